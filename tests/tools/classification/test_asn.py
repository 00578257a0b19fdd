#!/usr/bin/env python3
"""Organisations by origin AS, through the forwarder with a real MaxMind DB
built here: IPv6 sources, IPv4 sources and IPv4-mapped IPv6 sources find their
AS; the AS table names the organisation only when no prefix entry does; a
corrupt database is refused with a clear error at start, and one whose search
tree is damaged answers nothing, counts its failures and does not crash."""
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cllib as L  # noqa: E402

EXE = sys.argv[1]
W = L.workdir()
if not L.has_maxminddb(EXE, W):
    L.skip("the forwarder was built without libmaxminddb")

DB = os.path.join(W, "asn.mmdb")
L.make_mmdb(DB, [
    ("2a03:2880::/32", 32934, "FACEBOOK"),
    ("23.32.0.0/11", 20940, "Akamai International B.V."),
    ("2a02:26f0::/29", 20940, "Akamai International B.V."),
    ("2c0f:f248::/32", 13335, "CLOUDFLARENET"),
    ("2001:67c:1::/48", 64500, "EXAMPLE-NOT-IN-TABLE"),
])

# The AS table of a site, next to a prefix table that claims one prefix.
TABLE = os.path.join(W, "site.yaml")
with open(TABLE, "w") as f:
    f.write("""version: 1
entries:
  - prefix: 2a03:2880:f000::/36
    org: Example Site Override
    category: isp
    source: https://example.net/override
asns:
  - asn: 32934
    org: Facebook
    category: content_provider
    source: https://www.peeringdb.com/asn/32934
  - asn: AS20940
    org: Akamai
    category: cdn
    source: https://www.peeringdb.com/asn/20940
  - asn: 13335
    org: Cloudflare By AS
    category: cdn
    source: https://www.peeringdb.com/asn/13335
""")
CONF = os.path.join(W, "fwd.yaml")
L.write_config(CONF, asn_db=DB, tables=[TABLE], builtin=False)

evs, r = L.run_forwarder(EXE, CONF, [
    "2a03:2880:1::5",      # IPv6, by AS
    "23.32.1.1",           # IPv4 event, by AS
    "::ffff:23.32.9.9",    # IPv4-mapped IPv6 source: the IPv4 network's AS
    "2a03:2880:f001::1",   # inside the site's prefix entry: the prefix wins
    "2001:67c:1::1",       # an AS the table does not know
    "2001:db8:77::1",      # in no network of the database
])
if r.returncode != 0:
    L.die("forwarder exit %d: %s" % (r.returncode, r.stderr.decode()))

WANT = {
    "2a03:2880:1::5": (32934, "FACEBOOK", "Facebook", "content_provider"),
    "23.32.1.1": (20940, "Akamai International B.V.", "Akamai", "cdn"),
    "::ffff:23.32.9.9": (20940, "Akamai International B.V.", "Akamai", "cdn"),
    "2a03:2880:f001::1": (32934, "FACEBOOK", "Example Site Override", "isp"),
    "2001:67c:1::1": (64500, "EXAMPLE-NOT-IN-TABLE", None, None),
    "2001:db8:77::1": (None, None, None, None),
}
for src, want in WANT.items():
    ev = evs.get(src)
    if ev is None:
        L.die("no event for %s: %s" % (src, sorted(evs)))
    got = (ev.get("src_asn"), ev.get("src_as_org"), ev.get("src_org"), ev.get("src_category"))
    if got != want:
        L.die("%s: src_asn/src_as_org/src_org/src_category %r, want %r" % (src, got, want))

# The shipped table's own prefix entry wins over the AS entry: Cloudflare's
# published 2c0f:f248::/32 says "Cloudflare", not the site's "Cloudflare By AS".
L.write_config(CONF, asn_db=DB, tables=[TABLE], builtin=True)
evs, r = L.run_forwarder(EXE, CONF, ["2c0f:f248::1"])
ev = evs.get("2c0f:f248::1") or {}
if (ev.get("src_org"), ev.get("src_asn")) != ("Cloudflare", 13335):
    L.die("published prefix should win over the AS table: %r" % ev)

# A file that is not a MaxMind database: refused at start, with the path and
# the reason, exit 1 (not a crash).
BAD = os.path.join(W, "corrupt.mmdb")
with open(BAD, "wb") as f:
    f.write(os.urandom(4096))
L.write_config(CONF, asn_db=BAD, builtin=False)
evs, r = L.run_forwarder(EXE, CONF, ["2a03:2880:1::5"])
err = r.stderr.decode()
if r.returncode != 1 or "asn_database: %s:" % BAD not in err or "invalid metadata" not in err:
    L.die("corrupt database: want exit 1 and a clear error, got %d: %r" % (r.returncode, err))
# Truncated: the metadata at the end is gone.
with open(DB, "rb") as f:
    good = f.read()
with open(BAD, "wb") as f:
    f.write(good[: len(good) // 2])
evs, r = L.run_forwarder(EXE, CONF, ["2a03:2880:1::5"])
if r.returncode != 1 or "asn_database: %s:" % BAD not in r.stderr.decode():
    L.die("truncated database: want exit 1 and a clear error, got %d: %r"
          % (r.returncode, r.stderr.decode()))

# A damaged search tree (metadata intact): lookups fail, events go on without
# an AS, the failures are counted (SIGUSR1 counters), no crash.
dam = bytearray(good)
for i in range(0, min(len(dam) // 2, 1024)):
    dam[i] = 0xFF
with open(BAD, "wb") as f:
    f.write(bytes(dam))
LOG = os.path.join(W, "fw.log")
with open(LOG, "w") as f:
    f.write("".join(L.probe(s, i + 1) + "\n"
                    for i, s in enumerate(["2a03:2880:1::5", "23.32.1.1", "::ffff:23.32.9.9"])))
with open(CONF, "a") as f:
    f.write("inputs:\n  files:\n    - path: %s\n      follow: true\n  follow_poll_ms: 20\n" % LOG)
out = open(os.path.join(W, "dam.out"), "wb")
errf = open(os.path.join(W, "dam.err"), "wb")
p = subprocess.Popen([EXE, "-c", CONF], stdout=out, stderr=errf)
end = time.monotonic() + 20
while time.monotonic() < end and open(os.path.join(W, "dam.out")).read().count("\n") < 3:
    if p.poll() is not None:
        break
    time.sleep(0.05)
p.send_signal(signal.SIGUSR1)
end = time.monotonic() + 10
while time.monotonic() < end and "asn_lookup_errors" not in open(os.path.join(W, "dam.err")).read():
    time.sleep(0.05)
p.send_signal(signal.SIGTERM)
rc = p.wait(20)
out.close()
errf.close()
text = open(os.path.join(W, "dam.out")).read()
errtext = open(os.path.join(W, "dam.err")).read()
if rc != 0:
    L.die("damaged database: exit %d (signal?): %s" % (rc, errtext))
lines = [ln for ln in text.splitlines() if ln.strip()]
if len(lines) != 3 or any('"src_asn"' in ln for ln in lines):
    L.die("damaged database: want 3 events without src_asn, got %r" % lines)
import re  # noqa: E402
m = re.search(r"asn_lookup_errors\"?[=: ]+(\d+)", errtext)
if not m or int(m.group(1)) < 1:
    L.die("damaged database: lookup failures not counted: %r" % errtext)
print("ok: AS lookups for IPv6, IPv4 and IPv4-mapped sources; prefix entries win; "
      "corrupt, truncated and damaged databases handled")

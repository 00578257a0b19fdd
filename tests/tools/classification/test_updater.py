#!/usr/bin/env python3
"""ipv6probe-update-classification against a local HTTPS server (a CA made
with openssl, Python's http.server with ssl) serving each source's documented
format: the table is regenerated from every list and replaced atomically; a
missing list, a malformed one, an untrusted certificate or a plain-http URL
leave the old table as it was (exit 1, nothing half written); and a running
forwarder picks the new table up on SIGHUP."""
import http.server
import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
from email.utils import parsedate_to_datetime

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cllib as L  # noqa: E402
import feeds  # noqa: E402

UPDATER, FORWARDER, ROOT = sys.argv[1:4]
GENERATOR = os.path.join(ROOT, "tools", "classification", "build_table.py")
if not shutil.which("openssl"):
    L.skip("openssl is not installed")
W = L.workdir()
WWW = os.path.join(W, "www")
os.makedirs(WWW)


def sh(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        L.die("%s: %s" % (" ".join(cmd), r.stderr))


# A CA and a server certificate for 127.0.0.1.
CA_KEY, CA = os.path.join(W, "ca.key"), os.path.join(W, "ca.pem")
KEY, CSR, CRT = (os.path.join(W, n) for n in ("srv.key", "srv.csr", "srv.pem"))
EXT = os.path.join(W, "ext.cnf")
with open(EXT, "w") as f:
    f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", CA_KEY, "-out", CA,
   "-days", "2", "-subj", "/CN=ipv6probe test CA")
sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", KEY, "-out", CSR,
   "-subj", "/CN=127.0.0.1")
sh("openssl", "x509", "-req", "-in", CSR, "-CA", CA, "-CAkey", CA_KEY, "-CAcreateserial",
   "-out", CRT, "-days", "2", "-extfile", EXT)


class Quiet(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=WWW, **kw)

    def log_message(self, *a):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
srv.handle_error = lambda *a: None  # clients the test makes fail hang up mid-way
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CRT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
threading.Thread(target=srv.serve_forever, daemon=True).start()
BASE = "https://127.0.0.1:%d/" % srv.server_address[1]
MTIME = parsedate_to_datetime("Thu, 01 Oct 2026 12:00:00 GMT").timestamp()


AZURE_FILE = "dl/8/ServiceTags_Public_20261130.json"


def publish(overrides=None, azure_page=None):
    """Each list at /<id>.dat; Azure's as its download page does it: a page
    (/azure.dat) linking to the week's file."""
    os.makedirs(os.path.join(WWW, os.path.dirname(AZURE_FILE)), exist_ok=True)
    for sid, text in dict(feeds.FEEDS, **(overrides or {})).items():
        p = os.path.join(WWW, AZURE_FILE if sid == "azure" else sid + ".dat")
        with open(p, "w") as f:
            f.write(text)
        os.utime(p, (MTIME, MTIME))  # served as Last-Modified
    with open(os.path.join(WWW, "azure.dat"), "w") as f:
        f.write(azure_page if azure_page is not None else
                '<html><a href="%sdl/8/other.json">x</a> <a class="dl" href="%s%s">'
                "Download</a></html>" % (BASE, BASE, AZURE_FILE))


SOURCES = os.path.join(W, "sources.conf")


def write_sources(extra=None):
    with open(SOURCES, "w") as f:
        f.write("# the test's local copies of each list\n")
        for sid in feeds.FEEDS:
            f.write("%s %s%s.dat%s\n" % (sid, BASE, sid, " follow=%s*/ServiceTags_Public_*.json"
                                          % BASE if sid == "azure" else ""))
        if extra:
            f.write(extra)


TABLE = os.path.join(W, "var", "classification.yaml")
os.makedirs(os.path.dirname(TABLE))


def update(*extra, cacert=True):
    args = [UPDATER, "--output", TABLE, "--sources", SOURCES, "--generator", GENERATOR,
            "--python", sys.executable] + (["--cacert", CA] if cacert else []) + list(extra)
    return subprocess.run(args, capture_output=True, text=True,
                          env=dict(os.environ, TMPDIR=W))


def table_text():
    with open(TABLE) as f:
        return f.read()


# 1. A good run: every source's prefixes, with canonical URLs and dates.
publish()
write_sources()
r = update()
if r.returncode != 0:
    L.die("update: %s" % r.stderr)
text = table_text()
for p, org, cat, date in feeds.EXPECT:
    block = "  - prefix: %s\n    org: %s\n    category: %s\n" % (p, org, cat)
    if block not in text:
        L.die("table lacks %s %s %s" % (p, org, cat))
if "published: %s" % feeds.CF_DATE not in text or BASE in text.split("version: 1")[1]:
    L.die("entries must carry the Last-Modified date and the canonical URL, not the mirror's")
if "%d prefixes from %d sources" % (len(feeds.EXPECT), len(feeds.FEEDS)) not in r.stderr:
    L.die("summary line: %r" % r.stderr)
leftovers = [n for n in os.listdir(W) if n.startswith("ipv6probe-update.")]
if leftovers or os.listdir(os.path.dirname(TABLE)) != ["classification.yaml"]:
    L.die("temporary files left: %s %s" % (leftovers, os.listdir(os.path.dirname(TABLE))))
good = text


def refused(what, r, needle):
    if r.returncode != 1 or needle not in r.stderr or "kept as it was" not in r.stderr:
        L.die("%s: want exit 1 with %r; got %d %r" % (what, needle, r.returncode, r.stderr))
    if table_text() != good:
        L.die("%s: the old table was changed" % what)
    if os.listdir(os.path.dirname(TABLE)) != ["classification.yaml"]:
        L.die("%s: a partial file was left: %s" % (what, os.listdir(os.path.dirname(TABLE))))


# 2. Errors keep the old table.
os.remove(os.path.join(WWW, "fastly.dat"))
refused("a list missing (404)", update(), "fastly: %sfastly.dat" % BASE)
publish()
publish({"aws": "{\"syncToken\": \"1\", \"prefixes\": ["})
refused("a malformed list", update(), "aws: not JSON")
publish()
refused("an untrusted certificate", update(cacert=False), "certificate")
write_sources("plain http://127.0.0.1:1/x.dat\n")
refused("a plain-http URL", update(), "expected an https:// URL")
write_sources()
publish(azure_page="<html>moved</html>")
refused("a download page without the link", update(), "azure: %sazure.dat: no link matching" % BASE)
publish()
write_sources()
publish({"github": feeds.FEEDS["github"] + " " * (2 << 20)})
refused("a list over --max-size", update("--max-size", "1"), "larger than")
publish()

# The list of sources from the generator itself (no --sources): a generator
# whose --list names the local copies, the real one otherwise.
WRAP = os.path.join(W, "gen_wrap.py")
with open(WRAP, "w") as f:
    f.write("import os, sys\n"
            "if sys.argv[1:] == ['--list']:\n"
            "    sys.stdout.write(open(%r).read())\n"
            "else:\n"
            "    os.execv(sys.executable, [sys.executable, %r] + sys.argv[1:])\n"
            % (SOURCES, GENERATOR))
os.remove(TABLE)
r = subprocess.run([UPDATER, "--output", TABLE, "--generator", WRAP, "--python", sys.executable,
                    "--cacert", CA], capture_output=True, text=True, env=dict(os.environ, TMPDIR=W))
entries = table_text().split("\nversion: 1\n")[1]  # the header names the fetch times
if r.returncode != 0 or entries != good.split("\nversion: 1\n")[1]:
    L.die("update with the generator's own list: %d %s" % (r.returncode, r.stderr))

# 3. The forwarder picks the new table up on SIGHUP.
LOG = os.path.join(W, "fw.log")
open(LOG, "w").close()
CONF = os.path.join(W, "fwd.yaml")
with open(CONF, "w") as f:
    f.write("inputs:\n  files:\n    - path: %s\n      follow: true\n  follow_poll_ms: 20\n"
            "classification:\n  builtin: false\n  tables:\n    - %s\n" % (LOG, TABLE))
out_path, err_path = os.path.join(W, "fw.out"), os.path.join(W, "fw.err")
fw = subprocess.Popen([FORWARDER, "-c", CONF], stdout=open(out_path, "wb"),
                      stderr=open(err_path, "wb"))


def append(*srcs):
    with open(LOG, "a") as f:
        for s in srcs:
            append.n += 1
            f.write(L.probe(s, append.n) + "\n")


append.n = 0


def wait_file(path, pred, what, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if fw.poll() is not None:
            L.die("forwarder exited: %s" % open(err_path).read())
        with open(path) as f:
            data = f.read()
        if pred(data):
            return data
        time.sleep(0.05)
    L.die("timed out waiting for %s: %s" % (what, open(err_path).read()))


def events(data):
    import json
    return [json.loads(x) for x in data.splitlines() if x.strip()]


append("2001:db8:e::1", "2001:db8:99::1")
evs = events(wait_file(out_path, lambda d: d.count("\n") >= 2, "2 events"))
if [e.get("src_org") for e in evs] != ["Cloudflare", None]:
    L.die("before the update: %r" % [(e["src"], e.get("src_org")) for e in evs])
publish({"cloudflare": "2001:db8:99::/48\n"})
r = update()
if r.returncode != 0:
    L.die("second update: %s" % r.stderr)
fw.send_signal(signal.SIGHUP)
wait_file(err_path, lambda d: "configuration reloaded" in d, "the reload")
append("2001:db8:e::1", "2001:db8:99::1")
evs = events(wait_file(out_path, lambda d: d.count("\n") >= 4, "4 events"))[2:]
fw.send_signal(signal.SIGTERM)
rc = fw.wait(20)
if [e.get("src_org") for e in evs] != [None, "Cloudflare"]:
    L.die("after the update and SIGHUP: %r" % [(e["src"], e.get("src_org")) for e in evs])
if rc != 0:
    L.die("forwarder exit %d" % rc)
srv.shutdown()
print("ok: table regenerated from %d sources over HTTPS, old table kept on 5 kinds of "
      "error, forwarder reloaded it on SIGHUP" % len(feeds.FEEDS))

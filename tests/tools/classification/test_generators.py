#!/usr/bin/env python3
"""The generators (tools/classification/): each source's documented format
in, the classification YAML out -- every IPv6 prefix, the organisation,
category, canonical source URL and publication date; the same inputs give the
same bytes; a file not in its format, a prefix with host bits set or an
unknown source stop the build with a message naming the source, and no table
is written."""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cllib as L  # noqa: E402
import feeds  # noqa: E402

ROOT = sys.argv[1]
BUILD = os.path.join(ROOT, "tools", "classification", "build_table.py")
sys.path.insert(0, os.path.join(ROOT, "splunk_app", "tools"))
import yaml_to_csv  # noqa: E402


def write_inputs(d, feeds_=None, manifest=True):
    os.makedirs(d, exist_ok=True)
    for sid, text in (feeds_ or feeds.FEEDS).items():
        with open(os.path.join(d, sid), "w") as f:
            f.write(text)
    if manifest:
        with open(os.path.join(d, "manifest.json"), "w") as f:
            json.dump({sid: {"published": feeds.CF_DATE, "copy": "test"}
                       for sid in (feeds_ or feeds.FEEDS)}, f)


def build(d, out):
    return subprocess.run([sys.executable, BUILD, "--inputs", d, "--output", out],
                          capture_output=True, text=True)


def urls():
    r = subprocess.run([sys.executable, BUILD, "--list"], capture_output=True, text=True,
                       check=True)
    return {ln.split()[0]: ln.split()[1] for ln in r.stdout.splitlines()}


W = L.workdir()
IN = os.path.join(W, "in")
write_inputs(IN)
OUT = os.path.join(W, "table.yaml")
r = build(IN, OUT)
if r.returncode != 0:
    L.die("build_table: %s" % r.stderr)
with open(OUT) as f:
    text = f.read()
_, entries = yaml_to_csv.parse(text, OUT)
yaml_to_csv.rows_from_entries(entries, OUT)  # the Splunk lookup accepts it
got = {e["prefix"]: e for e in entries}
want = {p: (org, cat, date) for p, org, cat, date in feeds.EXPECT}
if set(got) != set(want):
    L.die("prefixes: extra %s, missing %s" % (sorted(set(got) - set(want)),
                                              sorted(set(want) - set(got))))
canonical = urls()
for p, (org, cat, date) in want.items():
    e = got[p]
    if (e["org"], e["category"], e["published"]) != (org, cat, date):
        L.die("%s: %r, want %r" % (p, (e["org"], e["category"], e["published"]),
                                   (org, cat, date)))
    if e["source"] not in canonical.values() or "127.0.0.1" in e["source"]:
        L.die("%s: source %r is not a canonical URL" % (p, e["source"]))
if got["2001:db8:a::/48"].get("note") != "AWS service AMAZON, EC2":
    L.die("one prefix under two AWS services: note %r" % got["2001:db8:a::/48"].get("note"))
for p in feeds.ABSENT:
    if p in got:
        L.die("%s should not be in the table" % p)
if "# Cloudflare (cloudflare)" not in text or "cloudflare: Cloudflare, cdn, 2 prefixes" not in text:
    L.die("the header does not cite each source with its count")

# Deterministic: a second build, from files written in the other order.
IN2 = os.path.join(W, "in2")
write_inputs(IN2, dict(reversed(list(feeds.FEEDS.items()))))
OUT2 = os.path.join(W, "table2.yaml")
if build(IN2, OUT2).returncode != 0 or open(OUT2).read() != text:
    L.die("two builds from the same inputs differ")

# One generator on its own.
r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "classification", "gen_tor.py"),
                    os.path.join(IN, "tor")], capture_output=True, text=True)
if r.returncode != 0 or "prefix: 2001:db8:15::7/128" not in r.stdout or \
        "published: 2026-11-30" not in r.stdout:
    L.die("gen_tor.py alone: %s %s" % (r.stdout, r.stderr))

# Akamai's list as published: a zip with an IPv4 and an IPv6 file.
import io, zipfile  # noqa: E401,E402
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("akamai_ipv4_CIDRs.txt", "192.0.2.0/24\n")
    z.writestr("akamai_ipv6_CIDRs.txt", feeds.FEEDS["akamai"])
    z.writestr("__MACOSX/._akamai_ipv6_CIDRs.txt", "\x00\x05junk")
zpath = os.path.join(W, "akamai.zip")
with open(zpath, "wb") as f:
    f.write(buf.getvalue())
r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "classification", "gen_akamai.py"),
                    zpath, "2026-10-01"], capture_output=True, text=True)
if r.returncode != 0 or r.stdout.count("prefix:") != 1 or "2001:db8:10::/48" not in r.stdout:
    L.die("gen_akamai.py on the zip: %s %s" % (r.stdout, r.stderr))

# Errors: the source is named, nothing is written.
BAD = {
    "aws": ("{\"prefixes\": []}", "aws: no 'ipv6_prefixes' list"),
    "azure": ("not json", "azure: not JSON"),
    "oracle": ("<html>page</html>", "oracle: not JSON"),
    "tor": ("{\"relays\": 3}", "tor: no 'relays' list"),
    "cloudflare": ("2001:db8:e::1/48\n", "cloudflare:1: bad prefix"),
    "digitalocean": ("2001:db8:zz::/48,NL,,,\n", "digitalocean:1: bad prefix"),
    "fastly": ("[]", "fastly: no 'ipv6_addresses' list"),
    "google": ("{\"prefixes\": [{\"x\": 1}]}", "google: prefixes[0] has no"),
}
for sid, (content, msg) in BAD.items():
    d = os.path.join(W, "bad-" + sid)
    write_inputs(d, dict(feeds.FEEDS, **{sid: content}))
    out = os.path.join(d, "out.yaml")
    r = build(d, out)
    if r.returncode == 0 or msg not in r.stderr or os.path.exists(out):
        L.die("%s: want exit 1 with %r and no table; got %d %r" % (sid, msg, r.returncode,
                                                                   r.stderr))
d = os.path.join(W, "unknown")
write_inputs(d, {"cloudflare": feeds.FEEDS["cloudflare"], "cloudflair": "2001:db8::/32\n"})
r = build(d, os.path.join(d, "out.yaml"))
if r.returncode == 0 or "cloudflair: not a known source id" not in r.stderr:
    L.die("unknown source file: %r" % r.stderr)
d = os.path.join(W, "nodate")
write_inputs(d, {"cloudflare": feeds.FEEDS["cloudflare"]}, manifest=False)
r = build(d, os.path.join(d, "out.yaml"))
if r.returncode == 0 or "cloudflare: no publication date" not in r.stderr:
    L.die("no publication date: %r" % r.stderr)
print("ok: %d sources, %d prefixes, deterministic, errors name their source"
      % (len(feeds.FEEDS), len(want)))

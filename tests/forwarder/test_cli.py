#!/usr/bin/env python3
"""The forwarder's command line as users and scripts rely on it: --stdout
over files and standard input, the count line at exit, --unparsed modes,
--output-file, --check-config, --help and --version."""
import gzip
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib as F  # noqa: E402

EXE = sys.argv[1]
W = F.workdir()
ENV = dict(os.environ, TZ="UTC")
COUNT_RE = re.compile(r"^ipv6probe-forward: (\d+) lines read, (\d+) events, (\d+) not firewall "
                      r"lines, (\d+) malformed lines$", re.M)


def run(args, stdin=b""):
    r = subprocess.run([EXE] + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=ENV, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def counts(err):
    m = COUNT_RE.findall(err)
    if len(m) != 1:
        F.die("expected one count line on stderr, got: %r" % err)
    return tuple(int(x) for x in m[0])


def write(name, lines):
    p = os.path.join(W, name)
    with open(p, "w") as f:
        f.write("".join(x + "\n" for x in lines))
    return p


a = write("a.log", [F.line(i, tag=1) for i in range(1, 101)])
b = write("b.log", [F.line(i, tag=2) for i in range(1, 51)] + ["not a firewall line",
                                                              "Nov 27 16:59:01 gw1 kernel: "
                                                              "IPT6: IN=eth0 OUT= SRC=zz"])

# Files in the order given, every line once, counts on stderr.
rc, out, err = run(["--stdout", a, b])
evs = F.parse_events(out)
if rc != 0:
    F.die("exit %d: %s" % (rc, err))
if [F.key(e) for e in evs] != [(1, i) for i in range(1, 101)] + [(2, i) for i in range(1, 51)]:
    F.die("events out of order or missing: %d events" % len(evs))
if counts(err) != (152, 150, 1, 1):
    F.die("counts %s, want (152, 150, 1, 1)" % (counts(err),))
if "b.log:52: byte" not in err or "malformed" not in err:
    F.die("malformed line not reported with file:line: %r" % err)

# Standard input, explicitly and by default; dvc comes from the header.
data = "".join(F.line(i, host="edge7") + "\n" for i in range(1, 11)).encode()
for args in (["--stdout"], ["--stdout", "-"]):
    rc, out, err = run(args, data)
    evs = F.parse_events(out)
    if rc != 0 or len(evs) != 10 or counts(err) != (10, 10, 0, 0):
        F.die("stdin %s: rc %d, %d events, %s" % (args, rc, len(evs), err))
    if any(e.get("dvc") != "edge7" for e in evs):
        F.die("dvc not taken from the syslog header")

# --unparsed: raw records, a dead-letter file, drop (silent).
rc, out, err = run(["--stdout", "--unparsed=raw", b])
raw = [e for e in F.parse_events(out) if "unparsed" in e]
if [r["unparsed"] for r in raw] != ["not a firewall line",
                                    "Nov 27 16:59:01 gw1 kernel: IPT6: IN=eth0 OUT= SRC=zz"]:
    F.die("--unparsed=raw records: %r" % raw)
if raw[0]["status"] != "not_firewall" or raw[1]["status"] != "malformed":
    F.die("--unparsed=raw status fields: %r" % raw)
dl = os.path.join(W, "dead.log")
rc, out, err = run(["--stdout", "--unparsed=" + dl, b])
with open(dl) as f:
    if f.read().splitlines() != ["not a firewall line",
                                 "Nov 27 16:59:01 gw1 kernel: IPT6: IN=eth0 OUT= SRC=zz"]:
        F.die("dead-letter file content wrong")
rc, out, err = run(["--stdout", "--unparsed=drop", b])
if "malformed:" in err:
    F.die("--unparsed=drop still reports lines: %r" % err)

# Bytes outside ASCII survive a raw record exactly.
odd = write("odd.log", ["caf\xe9 \x01 \"q\" \\"])
rc, out, err = run(["--stdout", "--unparsed=raw", odd])
rec = json.loads(out)
if rec["unparsed"] != "caf\u00c3\u00a9 \u0001 \"q\" \\":
    F.die("raw record does not carry the bytes: %r" % rec["unparsed"])

# A missing file: reported, the others still read, exit 1.
rc, out, err = run(["--stdout", os.path.join(W, "nope.log"), a])
if rc != 1 or len(F.parse_events(out)) != 100 or "nope.log" not in err:
    F.die("missing file: rc %d, stderr %r" % (rc, err))

# gzip-compressed rotated files are read too.
gz = os.path.join(W, "c.log.gz")
with gzip.open(gz, "wt") as f:
    f.write("".join(F.line(i, tag=3) + "\n" for i in range(1, 2001)))
rc, out, err = run(["--stdout", gz])
if [F.key(e) for e in F.parse_events(out)] != [(3, i) for i in range(1, 2001)]:
    F.die(".gz file not read completely")

# --output-file appends; stdout then stays empty unless --stdout is given.
of = os.path.join(W, "events.jsonl")
rc, out, err = run(["--output-file", of, a])
rc, out, err = run(["--output-file", of, a])
with open(of) as f:
    n = len(F.parse_events(f.read()))
if out or n != 200:
    F.die("--output-file: stdout %d bytes, file %d events (want 0, 200)" % (len(out), n))

# Over-long lines are cut, counted once each, and the next line is intact.
long_line = F.line(7, tag=9) + "X" * 200000
lp = write("long.log", [long_line, F.line(8, tag=9)])
rc, out, err = run(["--stdout", "--unparsed=drop", lp])
if F.key(F.parse_events(out)[-1]) != (9, 8) or counts(err)[0] != 2:
    F.die("a long line disturbed the next one: %s" % err)

# --help, --version, a bad option.
rc, out, err = run(["--help"])
if rc != 0 or "--listen" not in out or "--config" not in out:
    F.die("--help")
rc, out, err = run(["--version"])
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                       "meson.build")) as f:
    version = re.search(r"\bversion:\s*'([^']+)'", f.read()).group(1)
# One version for the forwarder and the library it runs with.
if rc != 0 or not out.startswith("ipv6probe-forward %s\nlibipv6probe %s\n" % (version, version)):
    F.die("--version: %r, want %s for both" % (out, version))
rc, out, err = run(["--no-such-option"])
if rc != 2:
    F.die("bad option: exit %d, want 2" % rc)
# Counters: a line on stderr every interval, and ipv6probe:stats records
# among the outputs' records when asked for.
conf = os.path.join(W, "stats.yaml")
with open(conf, "w") as f:
    f.write("inputs:\n  files:\n    - path: %s\n      follow: true\n"
            "stats:\n  interval_s: 1\n  events: true\n" % a)
fw = F.Forwarder(EXE, ["--config", conf], W)
fw.wait_events(101, timeout=10)
time.sleep(1.2)
fw.stop()
# Records other than events come labelled with their sourcetype.
stats = [e["event"] for e in fw.events() if e.get("sourcetype") == "ipv6probe:stats"]
if not stats or stats[-1]["lines"] != 100 or stats[-1]["inputs"][0]["name"] != a:
    F.die("no ipv6probe:stats record with the counters: %r" % stats[-1:])
if "ipv6probe-forward: stats: lines=100 events=100" not in fw.stderr():
    F.die("no stats line on stderr: %s" % fw.stderr())

# The progress line: forced on, it reports bytes and rate; by default it is
# off when stderr is not a terminal.
rc, out, err = run(["--stdout", "--progress", gz, a, b])
big = write("big.log", [F.line(i, tag=4) for i in range(1, 300001)])
rc, out, err = run(["--progress", "--unparsed=drop", big])
if "MiB" not in err or "lines/s" not in err:
    F.die("--progress printed no progress line: %r" % err[:300])
rc, out, err = run(["--unparsed=drop", big])
if "lines/s" in err:
    F.die("a progress line without a terminal")

# Every option --help lists is in the man page.
man = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                   "ipv6probe-forward.1")
with open(man) as f:
    page = f.read().replace("\\-", "-")
rc, out, err = run(["--help"])
for opt in sorted(set(re.findall(r"--[a-z][a-z-]+", out))):
    if opt not in page:
        F.die("%s is in --help but not in ipv6probe-forward(1)" % opt)
print("ok")

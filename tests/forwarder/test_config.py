#!/usr/bin/env python3
"""Configuration errors: each bad file gives exactly one message that names
file:line:column and what is wrong; --check-config accepts the documented
example, never prints secrets, and command-line flags override the file."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib as F  # noqa: E402

EXE = sys.argv[1]
EXAMPLE = sys.argv[2] if len(sys.argv) > 2 else None
W = F.workdir()
HEC = 'outputs:\n  hec:\n    endpoints: [ "https://127.0.0.1:8088" ]\n    token_env: HEC_TOKEN\n'

# (config text, expected message after "ipv6probe-forward: error: FILE:")
CASES = [
    ("inptus:\n  stdin: true\n",
     '1:1: unknown key "inptus" in the configuration (did you mean "inputs"?)'),
    ("inputs:\n  syslog:\n    - listen: tcp://127.0.0.1:99999\n",
     '3:15: listen address "tcp://127.0.0.1:99999": port must be from 1 to 65535'),
    ("inputs:\n  syslog:\n    - listen: \"tcp://[::1]:5514\"\n      max_mesage: 4096\n",
     '4:7: unknown key "max_mesage" in a syslog listener (did you mean "max_message"?)'),
    ("inputs:\n  syslog:\n    - listen: tcp://localhost:5514\n",
     '3:15: listen address "tcp://localhost:5514": "localhost" is not a numeric IP address'),
    ("inputs:\n  syslog:\n    - listen: sctp://[::1]:5514\n",
     '3:15: listen address "sctp://[::1]:5514" must start with udp:// or tcp://'),
    ("inputs:\n  files:\n    - path: /var/log/kern.log\n      follow: maybe\n",
     '4:15: "follow" must be true or false, not "maybe"'),
    ("inputs:\n  files:\n    - follow: true\n", '3:7: a file input needs "path"'),
    ("parser:\n  max_line: 12 MB\n",
     '2:13: "max_line": unknown size unit "MB" (use KiB, MiB or GiB)'),
    ("parser:\n  action_patterns:\n    - match: \"DROP\"\n      value: dropped\n",
     '3:7: pattern value "dropped" is not one of blocked, allowed, unknown'),
    ("parser:\n  utc_offset: east\n", '2:15: "utc_offset" must be a whole number, not "east"'),
    ("internal_prefixes:\n  - 2001:db8::/129\n",
     '2:5: "2001:db8::/129" is not an IPv6 prefix such as 2001:db8::/32 '
     '(with no bits set past its length)'),
    ("internal_prefixes:\n  - 2001:db8::/48\n  - 2001:db8:0:1::2/64\n",
     '3:5: "2001:db8:0:1::2/64" is not an IPv6 prefix such as 2001:db8::/32 '
     '(with no bits set past its length)'),
    ('outputs:\n  hec:\n    endpoints: [ "https://127.0.0.1:8088" ]\n',
     '3:5: hec needs exactly one of "token_file" and "token_env"'),
    ('outputs:\n  hec:\n    token_env: T\n',
     '3:5: hec needs "endpoints": a list of https://host:port URLs'),
    (HEC + "    batch:\n      events: 0\n",
     '6:15: "events" must be from 1 to 1000000, not 0'),
    (HEC + "    indexed_fields: [ dest, srcport ]\n", '5:29: "srcport" is not an event field'),
    (HEC + "    spool:\n      full_policy: wait\n",
     '6:20: "full_policy" must be one of block, drop_oldest, drop_newest, not "wait"'),
    (HEC + "    tls:\n      verfy: false\n",
     '6:7: unknown key "verfy" in tls (did you mean "verify"?)'),
    (HEC + "    gzip: 11\n", '5:11: "gzip" must be from 0 to 9, not 11'),
    (HEC + "    max_in_flight: 0\n", '5:20: "max_in_flight" must be from 1 to 64, not 0'),
    (HEC + "    acks:\n      poll_interval_ms: fast\n",
     '6:25: "poll_interval_ms" must be a whole number, not "fast"'),
    (HEC + "    allow_insecure_http: sometimes\n",
     '5:26: "allow_insecure_http" must be true or false, not "sometimes"'),
    ('outputs:\n  hec:\n    endpoints: [ "http://192.0.2.7:8088" ]\n    token_env: T\n',
     '3:5: hec endpoint "http://192.0.2.7:8088": plain http would send the token and events '
     'in clear text to another host; use https, or set allow_insecure_http: true'),
    ("inputs: [ stdin ]\n", "1:9: inputs must be a mapping of keys to values"),
    ("inputs:\n  stdin: true\n  stdin: false\n",
     '3:3: key "stdin" given twice in inputs (first at line 2)'),
    ("inputs:\n  stdin: true\n files: []\n",
     "3:2: YAML syntax: did not find expected key while parsing a block mapping"),
    ("pe:\n  valid_lifetime_s: -5\n",
     '2:21: "valid_lifetime_s" must be from 60 to 31622400, not -5'),
    ("ladder:\n  min_rung: 4\n",
     '2:3: unknown key "min_rung" in ladder (did you mean "min_rungs"?)'),
    ("scan:\n  ports: [1, 2]\n", '2:10: "ports" must be a whole number, not a list'),
    ("unparsed:\n  mode: file\n",
     '2:3: unparsed: mode file needs "file": the dead-letter file\'s path'),
    ("classification:\n  tables: /etc/x.yaml\n", '2:11: "tables" must be a list'),
    ("stats:\n  interval_s: 1\n  event: true\n",
     '3:3: unknown key "event" in stats (did you mean "events"?)'),
]


def check(text, want, i):
    path = os.path.join(W, "bad%02d.yaml" % i)
    with open(path, "w") as f:
        f.write(text)
    r = subprocess.run([EXE, "--check-config", "--config", path], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    got = r.stderr.decode().strip()
    exp = "ipv6probe-forward: error: %s:%s" % (path, want)
    if r.returncode != 1 or got != exp:
        F.die("case %d: exit %d\n  got:  %s\n  want: %s" % (i, r.returncode, got, exp))
    if r.stdout:
        F.die("case %d: printed a summary for a bad config" % i)


for i, (text, want) in enumerate(CASES):
    check(text, want, i)

# The same file is refused at startup, not only by --check-config.
bad = os.path.join(W, "bad00.yaml")
r = subprocess.run([EXE, "--config", bad], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=subprocess.PIPE, timeout=30)
if r.returncode != 1 or b"bad00.yaml:1:1:" not in r.stderr:
    F.die("a bad config was not refused at startup")

# A missing file.
r = subprocess.run([EXE, "--check-config", "--config", os.path.join(W, "none.yaml")],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
if r.returncode != 1 or b"none.yaml: No such file or directory" not in r.stderr:
    F.die("missing config file: %r" % r.stderr)

# No secret in any output of --check-config, good config or bad.
secret = "d6f1a2b3-5e4c-4d3b-9a8f-0123456789ab"
tok = os.path.join(W, "token")
with open(tok, "w") as f:
    f.write(secret + "\n")
for extra in ("", "    gzip: 42\n", "    dead_letter: %s.dl\n    allow_insecure_http: true\n"
              "    acks: {enabled: true, poll_interval_ms: 50}\n" % tok):
    p = os.path.join(W, "hec.yaml")
    with open(p, "w") as f:
        f.write('outputs:\n  hec:\n    endpoints: [ "https://127.0.0.1:8088" ]\n'
                "    token_file: %s\n%s" % (tok, extra))
    r = subprocess.run([EXE, "--check-config", "--config", p], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=dict(os.environ, HEC_TOKEN=secret), timeout=30)
    if secret.encode() in r.stdout + r.stderr:
        F.die("--check-config printed the HEC token")

# The documented example is a valid configuration.
if EXAMPLE:
    r = subprocess.run([EXE, "--check-config", "--config", EXAMPLE], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=30)
    if r.returncode != 0 or b"OK" not in r.stdout:
        F.die("examples/forward.yaml does not check: %s" % r.stderr.decode())

# Command-line flags override the file.
p = os.path.join(W, "over.yaml")
with open(p, "w") as f:
    f.write("unparsed:\n  mode: drop\noutputs:\n  stdout: false\n")
src = os.path.join(W, "in.log")
with open(src, "w") as f:
    f.write(F.line(1) + "\nnot a firewall line\n")
r = subprocess.run([EXE, "--config", p, "--stdout", "--unparsed=raw", src],
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
evs = F.parse_events(r.stdout.decode())
if len(evs) != 2 or evs[1].get("unparsed") != "not a firewall line":
    F.die("command-line --stdout/--unparsed did not override the file: %r" % evs)
print("ok: %d bad configs" % len(CASES))

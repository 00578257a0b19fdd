#!/usr/bin/env python3
"""Hostile bytes and careless operators: what the forwarder writes is valid
UTF-8 JSON whatever the input; command-line numbers are range-checked like
their YAML keys; every failure exits non-zero; files it creates are private
whatever the umask; YAML nesting is capped."""
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


def run(args, stdin=b"", umask=None, timeout=60):
    pre = (lambda: os.umask(umask)) if umask is not None else None
    r = subprocess.run([EXE] + args, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=ENV, timeout=timeout, preexec_fn=pre)
    return r.returncode, r.stdout, r.stderr.decode("utf-8", "replace")


def strict_json_lines(data, what):
    """Every line valid UTF-8 and one JSON object (Python's decoder is
    strict about UTF-8 when it is asked to be)."""
    out = []
    for i, ln in enumerate(data.split(b"\n")):
        if not ln:
            continue
        try:
            out.append(json.loads(ln.decode("utf-8", "strict")))
        except ValueError as e:
            F.die("%s: line %d is not valid UTF-8 JSON (%s): %r" % (what, i + 1, e, ln[:200]))
    return out


def test_invalid_utf8():
    good = F.line(1).encode()
    # Bytes >= 0x80 in the interface name and in the host; an overlong
    # form, a surrogate, a cut sequence; a valid two-byte character kept.
    bad = [F.line(2).replace("IN=eth0", "IN=p\xff0").encode("latin-1"),
           F.line(3, host="gw\x80\xc0").encode("latin-1"),
           F.line(4).replace("IN=eth0", "IN=e").encode() .replace(b"IN=e", b"IN=e\xc0\xaf\xed\xa0\x80\xe2\x82"),
           F.line(5).replace("IN=eth0", "IN=\u00e9th0").encode()]
    raw_bad = b"Nov 27 16:59:01 gw1 not a firewall \xff\xfe line"
    data = b"\n".join([good] + bad + [raw_bad]) + b"\n"
    path = os.path.join(W, "bytes.log")
    with open(path, "wb") as f:
        f.write(data)
    rc, out, err = run(["--stdout", "--unparsed=raw", path])
    if rc != 0:
        F.die("exit %d: %s" % (rc, err))
    recs = strict_json_lines(out, "--stdout")
    evs = [r for r in recs if "unparsed" not in r]
    raw = [r for r in recs if "unparsed" in r]
    if len(evs) != 5 or len(raw) != 1:
        F.die("want 5 events and 1 unparsed record, got %d and %d" % (len(evs), len(raw)))
    byn = {F.key(e)[1]: e for e in evs}
    if byn[2].get("src_interface") != "p\ufffd0":
        F.die("the invalid byte is not replaced by U+FFFD: %r" % byn[2].get("src_interface"))
    if byn[3].get("dvc") != "gw\ufffd\ufffd":
        F.die("dvc with invalid bytes: %r" % byn[3].get("dvc"))
    if byn[5].get("src_interface") != "\u00e9th0":
        F.die("a valid UTF-8 character was changed: %r" % byn[5].get("src_interface"))
    # The unparsed record keeps the line byte for byte (\u00XX = byte XX).
    if raw[0]["unparsed"].encode("latin-1") != raw_bad:
        F.die("unparsed record does not rebuild the line: %r" % raw[0]["unparsed"])
    # Counted: 1 (p ff 0) + 2 (gw 80 c0) + 7 (c0, af, ed a0 (a surrogate),
    # a0, 80, and e2 82 cut short: e2 and 82).
    fw = F.Forwarder(EXE, ["--stdout", "-F", path], W)
    fw.wait_events(5)
    # SIGUSR1: counters on stderr.  The batch is counted once all of it is
    # written, so ask until the lines are counted too.
    m = None
    for _ in range(100):
        fw.signal(10)
        time.sleep(0.1)
        c = F.counters(fw.stderr())
        if c and c["lines"] == 6:
            m = str(c["invalid_utf8"])
            break
    fw.stop()
    if m != "10":
        F.die("invalid_utf8 counter: %r, want 10" % m)


def test_cli_numbers():
    """Each number flag: out of its YAML key's range or overflowing is an
    error naming the flag, exit 2; in range is taken."""
    f = os.path.join(W, "one.log")
    with open(f, "w") as fh:
        fh.write(F.line(1) + "\n")
    bad = [("stats-interval", "-1"), ("stats-interval", "86401"),
           ("stats-interval", "9223372036854775807"), ("stats-interval", "99999999999999999999"),
           ("boot-time", "9223372036854775807"), ("boot-time", "-5"),
           ("utc-offset", "-86401"), ("utc-offset", "86401"), ("utc-offset", "1x")]
    for flag, v in bad:
        rc, out, err = run(["--stdout", "--%s=%s" % (flag, v), f])
        if rc != 2 or "--" + flag not in err or out:
            F.die("--%s=%s: exit %d, stderr %r" % (flag, v, rc, err))
    for flag, v in [("stats-interval", "0"), ("boot-time", "1700000000"), ("utc-offset", "-86400")]:
        rc, out, err = run(["--stdout", "--%s=%s" % (flag, v), f])
        if rc != 0 or len(strict_json_lines(out, flag)) != 1:
            F.die("--%s=%s refused: exit %d, %r" % (flag, v, rc, err))


def test_checkpoint_save_fails():
    """A checkpoint that cannot be saved is a failure: exit non-zero."""
    f = os.path.join(W, "ck.log")
    with open(f, "w") as fh:
        fh.write(F.line(1) + "\n")
    ro = os.path.join(W, "ro")
    os.mkdir(ro)
    ck = os.path.join(ro, "offsets")
    # Made unwritable by a file where its temporary file must go.
    os.mkdir(ck + ".tmp")
    rc, out, err = run(["--stdout", "--checkpoint=" + ck, f])
    if rc == 0 or ck not in err:
        F.die("failed checkpoint save: exit %d, stderr %r" % (rc, err))


def test_file_modes():
    """umask 0: outputs, checkpoints and the pid file are 0640, the
    unparsed dead-letter file 0600."""
    d = os.path.join(W, "modes")
    os.mkdir(d)
    f = os.path.join(d, "in.log")
    with open(f, "w") as fh:
        fh.write(F.line(1) + "\nnot a firewall line\n")
    cfg = os.path.join(d, "c.yaml")
    with open(cfg, "w") as fh:
        fh.write("pid_file: %s/pid\n" % d)
    paths = {"out.jsonl": 0o640, "offsets": 0o640, "dead.log": 0o600}
    old = os.umask(0)
    try:
        fw = F.Forwarder(EXE, ["-c", cfg, "--output-file=%s/out.jsonl" % d, "-F",
                               "--checkpoint=%s/offsets" % d, "--unparsed=%s/dead.log" % d, f], W)
    finally:
        os.umask(old)
    # The pid file exists while it runs.
    for _ in range(200):
        if os.path.exists(os.path.join(d, "pid")) and os.path.exists(os.path.join(d, "dead.log")):
            break
        time.sleep(0.05)
    modes = {"pid": stat_mode(os.path.join(d, "pid"))}
    fw.stop()
    for name in paths:
        modes[name] = stat_mode(os.path.join(d, name))
    paths["pid"] = 0o640
    if modes != paths:
        F.die("file modes under umask 0: %s, want %s" % (
            {k: oct(v) for k, v in modes.items()}, {k: oct(v) for k, v in paths.items()}))


def stat_mode(p):
    import stat as S
    return S.S_IMODE(os.stat(p).st_mode) if os.path.exists(p) else None


def test_yaml_depth():
    """A YAML file nested 100,000 deep: refused at once with file:line:col."""
    p = os.path.join(W, "deep.yaml")
    with open(p, "w") as fh:
        fh.write("inputs: " + "[" * 100000 + "]" * 100000 + "\n")
    rc, out, err = run(["-c", p, "--check-config"])
    if rc == 0 or not re.search(re.escape(p) + r":1:\d+: nested more than \d+ levels", err):
        F.die("deep YAML: exit %d, stderr %r" % (rc, err[:300]))


def main():
    test_invalid_utf8()
    test_cli_numbers()
    test_checkpoint_save_fails()
    test_file_modes()
    test_yaml_depth()
    print("ok")


main()

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
        F.die("file modes under umask 0 (None: no such file): %s, want %s; stderr: %s" % (
            {k: v if v is None else oct(v) for k, v in modes.items()},
            {k: oct(v) for k, v in paths.items()}, fw.stderr()))


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


def test_reload_prefixes():
    """70 SIGHUPs with internal prefixes: every one taken (the set is
    replaced, not added to, so it never fills up)."""
    import signal
    cfg = os.path.join(W, "reload.yaml")
    with open(cfg, "w") as fh:
        fh.write("internal_prefixes: [2001:db8:1::/48, 2001:db8:2::/48]\n")
    f = os.path.join(W, "reload.log")
    with open(f, "w") as fh:
        fh.write(F.line(1) + "\n")
    fw = F.Forwarder(EXE, ["-c", cfg, "--stdout", "-F", f], W)
    fw.wait_events(1)
    # One at a time (signals sent together are taken as one reload): 70
    # reloads, past the 64 prefixes the tracker holds.
    taken = 0
    for i in range(70):
        fw.signal(signal.SIGHUP)
        for _ in range(400):
            n = fw.stderr().count("configuration reloaded")
            if n > taken or "reload" in fw.stderr().replace("configuration reloaded", ""):
                break
            time.sleep(0.01)
        taken = fw.stderr().count("configuration reloaded")
    fw.stop()
    err = fw.stderr()
    if taken != 70 or "too many prefixes" in err:
        F.die("%d of 70 reloads taken; stderr %r" % (taken, err[-400:]))


def test_octet_frame_cut_at_eof():
    """"4294967296 <line>" and more lines, then close: one cut record, the
    first line alone, counted; never one record with everything inside."""
    import socket
    import signal
    port = F.free_port()
    fw = F.Forwarder(EXE, ["--stdout", "--unparsed=raw", "-l", "tcp://127.0.0.1:%d" % port], W)
    if not F.wait_port("127.0.0.1", port):
        F.die("listener did not start")
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(("4294967296 %s\n%s\n" % (F.line(1), F.line(2))).encode())
    s.close()
    evs = fw.wait_events(1)
    cut = None
    for _ in range(100):
        fw.signal(signal.SIGUSR1)
        time.sleep(0.1)
        c = F.counters(fw.stderr())
        if c:
            cut = F.input_counters(c, "tcp://127.0.0.1:%d" % port)["cut"]
            if cut:
                break
    fw.stop()
    evs = fw.events()
    if len(evs) != 1 or "unparsed" in evs[0] or F.key(evs[0]) != (1, 1):
        F.die("a cut frame at EOF: %r" % evs)
    if cut != 1:
        F.die("cut frame not counted: %r" % cut)


def input_line(fw, port):
    """The SIGUSR1 counters of the TCP listener on port, as a dict."""
    import signal
    before = fw.stderr().count(F.COUNTERS)
    fw.signal(signal.SIGUSR1)
    for _ in range(100):
        err = fw.stderr()
        if err.count(F.COUNTERS) > before:
            return F.input_counters(F.counters(err), "tcp://127.0.0.1:%d" % port)
        time.sleep(0.05)
    F.die("no counters for the listener")


def test_listener_limits():
    """One peer cannot take the listener: a per-source connection limit,
    a buffer budget per peer, a minimum rate for unfinished messages."""
    import socket
    port = F.free_port()
    cfg = os.path.join(W, "limits.yaml")
    with open(cfg, "w") as fh:
        fh.write("inputs:\n  syslog:\n    - listen: tcp://127.0.0.1:%d\n"
                 "      max_connections_per_source: 3\n      peer_buffer_budget: 96KiB\n"
                 "      min_bytes_per_minute: 600\n" % port)
    fw = F.Forwarder(EXE, ["-c", cfg, "--stdout"], W)
    if not F.wait_port("127.0.0.1", port):
        F.die("listener did not start")
    time.sleep(0.2)  # the probe connection of wait_port is gone

    def conn(src):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((src, 0))
        s.connect(("127.0.0.1", port))
        return s

    held = [conn("127.0.0.2") for _ in range(4)]  # the 4th is refused
    other = conn("127.0.0.3")
    other.sendall((F.line(7) + "\n").encode())
    evs = fw.wait_events(1)
    c = input_line(fw, port)
    if c.get("rejected_connections") != 1 or [F.key(e) for e in evs] != [(1, 7)]:
        F.die("per-source limit: %r, events %r" % (c, evs))
    for s in held:
        s.close()
    # Budget: two connections of one peer, 60 KiB each unfinished; the
    # second cannot have its buffer within 96 KiB: cut, counted, closed.
    a, b = conn("127.0.0.4"), conn("127.0.0.4")
    a.sendall(b"x" * 60000)
    time.sleep(0.3)
    b.sendall(b"y" * 60000)
    deadline = time.time() + 10
    while input_line(fw, port).get("budget_cut", 0) < 1 and time.time() < deadline:
        time.sleep(0.1)
    a.sendall(("\n" + F.line(8) + "\n").encode())
    evs = fw.wait_events(2)
    c = input_line(fw, port)
    if c.get("budget_cut") != 1 or (1, 8) not in [F.key(e) for e in evs]:
        F.die("peer budget: %r" % c)
    a.close()
    b.close()
    # Slowloris: 1 byte a second of a message that never ends (below 600
    # bytes a minute): closed within two windows, counted.
    s = conn("127.0.0.5")
    t0 = time.time()
    closed = False
    while time.time() - t0 < 40:
        try:
            s.send(b"z")
        except OSError:
            closed = True
            break
        if input_line(fw, port).get("slow_closed", 0) >= 1:
            closed = True
            break
        time.sleep(1)
    s.close()
    c = input_line(fw, port)
    fw.stop()
    if not closed or c.get("slow_closed") != 1:
        F.die("slowloris not closed: %r" % c)


def main():
    test_invalid_utf8()
    test_cli_numbers()
    test_checkpoint_save_fails()
    test_file_modes()
    test_yaml_depth()
    test_reload_prefixes()
    test_octet_frame_cut_at_eof()
    test_listener_limits()
    print("ok")


main()

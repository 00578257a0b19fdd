#!/usr/bin/python3
"""Live inputs deliver each event within a second of the line being written.

One line a second, five lines, into: a pipe on standard input (as
`journalctl -k -f | ipv6probe-forward` runs), a TCP syslog connection that
stays open, and a followed file.  The clock starts when the line is written
and stops when its event is read from the forwarder's standard output (a
pipe); every event must arrive within 1 s.  At one line a second no batch
ever fills, so this is the idle flush at work.

Usage: test_live.py IPV6PROBE_FORWARD
"""
import os
import select
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib  # noqa: E402

LINES = 5
LIMIT = 1.0


def start(exe, args, stdin=None):
    return subprocess.Popen([exe, "--stdout"] + args, stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=dict(os.environ, TZ="UTC"))


def read_event(p, deadline):
    """The next whole output line, or None when the deadline passes."""
    buf = b""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([p.stdout], [], [], left)
        if not r:
            return None
        c = os.read(p.stdout.fileno(), 1)
        if not c:
            return None
        if c == b"\n":
            return buf
        buf += c


def measure(label, p, write):
    """Write LINES lines a second apart; the delay of each event.  A first
    line, not timed, waits until the forwarder is up (start-up is not the
    point here: loading tables takes a while under a sanitizer)."""
    write(fwdlib.line(999) + "\n")
    if read_event(p, time.monotonic() + 60) is None:
        fwdlib.die("%s: the forwarder never came up" % label)
    time.sleep(1.0)
    delays = []
    for n in range(LINES):
        t0 = time.monotonic()
        write(fwdlib.line(n) + "\n")
        got = read_event(p, t0 + 5.0)
        if got is None:
            fwdlib.die("%s: line %d: no event within 5 s" % (label, n))
        delays.append(time.monotonic() - t0)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    worst = max(delays)
    print("%s: delays %s s" % (label, " ".join("%.3f" % d for d in delays)))
    if worst > LIMIT:
        fwdlib.die("%s: an event took %.3f s (more than %.1f s)" % (label, worst, LIMIT))


def stop(p):
    p.terminate()
    p.wait(timeout=20)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    exe = sys.argv[1]

    p = start(exe, [], stdin=subprocess.PIPE)

    def to_pipe(s):
        p.stdin.write(s.encode())
        p.stdin.flush()

    measure("stdin pipe", p, to_pipe)
    p.stdin.close()
    p.wait(timeout=20)

    port = fwdlib.free_port()
    p = start(exe, ["-l", "tcp://127.0.0.1:%d" % port])
    if not fwdlib.wait_port("127.0.0.1", port):
        fwdlib.die("listener did not come up")
    c = socket.create_connection(("127.0.0.1", port))
    measure("tcp connection", p, lambda s: c.sendall(s.encode()))
    c.close()
    stop(p)

    d = tempfile.mkdtemp(prefix="v6p-live-")
    path = os.path.join(d, "kern.log")
    open(path, "w").close()
    p = start(exe, ["-F", path])
    time.sleep(0.5)  # the follower has opened the file (the first line waits too)
    f = open(path, "a")

    def to_file(s):
        f.write(s)
        f.flush()

    measure("followed file", p, to_file)
    f.close()
    stop(p)
    print("PASS")


if __name__ == "__main__":
    main()

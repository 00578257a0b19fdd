#!/usr/bin/env python3
"""Start-up that fails part way: the forwarder exits 1 with one error line
that names what failed (a port taken, an output file that cannot be
opened, an unknown --user), and what it had set up before is undone: the
pid file it wrote is gone, the port it bound is free again.  A start that
succeeds writes the pid file and removes it at exit."""
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib as F  # noqa: E402

EXE = sys.argv[1]
W = F.workdir()
LOG = os.path.join(W, "in.log")
with open(LOG, "w") as f:
    f.write("".join(F.line(i) + "\n" for i in range(1, 11)))


def start(name, yaml, args):
    conf = os.path.join(W, name + ".yaml")
    pid = os.path.join(W, name + ".pid")
    with open(conf, "w") as f:
        f.write("pid_file: %s\n%s" % (pid, yaml))
    r = subprocess.run([EXE, "-c", conf] + args, stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode(), pid


def expect_failure(name, yaml, args, reason):
    rc, _, err, pid = start(name, yaml, args)
    if rc != 1:
        F.die("%s: exit %d, want 1: %r" % (name, rc, err))
    errors = [ln for ln in err.splitlines() if ": error: " in ln]
    if len(errors) != 1 or reason not in errors[0]:
        F.die("%s: want one error line naming %r, got %r" % (name, reason, err))
    if os.path.exists(pid):
        F.die("%s: the pid file was left behind" % name)
    return err


# A port another socket holds: refused before anything is written.
busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
busy.bind(("127.0.0.1", 0))
port = busy.getsockname()[1]
url = "udp://127.0.0.1:%d" % port
expect_failure("port", "", ["-l", url, LOG], url)
busy.close()

# An output file in a directory that does not exist: the pid file was
# already written, and goes again.
out = os.path.join(W, "missing", "out.json")
expect_failure("output", "", ["--output-file", out, LOG], out)

# An unknown user to drop to (only root may drop privileges at all), with
# a listener bound before: the error names the user, the port is free.
if os.geteuid() == 0:
    tcp_port = F.free_port()
    expect_failure("user", "", ["--user", "no-such-user-%d" % os.getpid(),
                                "-l", "tcp://127.0.0.1:%d" % tcp_port, LOG], "no-such-user")
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", tcp_port))  # raises when the forwarder kept it
    s.close()

# A start that succeeds: the events come out, the pid file goes at exit.
rc, out, err, pid = start("ok", "", ["--stdout", LOG])
if rc != 0 or len(F.parse_events(out)) != 10:
    F.die("ok: exit %d, %d events: %r" % (rc, len(F.parse_events(out)), err))
if os.path.exists(pid):
    F.die("ok: the pid file was left behind")
print("ok")

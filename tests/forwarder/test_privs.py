#!/usr/bin/env python3
"""Privileges: started as root with --user, the forwarder binds a port below
1024 and opens /dev/kmsg first, then runs as that user (all its threads),
and still serves the port.  Skips when not root."""
import os
import pwd
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib as F  # noqa: E402

EXE = sys.argv[1]
if os.geteuid() != 0:
    F.skip("needs root to show the switch to another user")
try:
    nobody = pwd.getpwnam("nobody")
except KeyError:
    F.skip("no user 'nobody' here")
W = F.workdir()
os.chmod(W, 0o755)

port = None
for p in range(1023, 900, -1):  # a free privileged port
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        port = p
        break
    except OSError:
        continue
    finally:
        s.close()
if port is None:
    F.skip("no free port below 1024")

fw = F.Forwarder(EXE, ["--listen", "tcp://127.0.0.1:%d" % port, "--user", "nobody", "--stdout"],
                 W)
if not F.wait_port("127.0.0.1", port):
    F.die("listener on port %d did not come up: %s" % (port, fw.stderr()))
time.sleep(0.2)
for task in os.listdir("/proc/%d/task" % fw.p.pid):
    with open("/proc/%d/task/%s/status" % (fw.p.pid, task)) as f:
        st = dict(ln.split(":", 1) for ln in f if ":" in ln)
    uids = st["Uid"].split()
    if any(int(u) != nobody.pw_uid for u in uids):
        F.die("thread %s still has uids %s" % (task, uids))
    if st["CapEff"].strip() != "0000000000000000":
        F.die("thread %s kept capabilities %s" % (task, st["CapEff"].strip()))
s = socket.create_connection(("127.0.0.1", port))
s.sendall(("<4>" + F.line(1) + "\n").encode())
s.close()
evs = fw.wait_events(1)
rc = fw.stop()
if rc != 0 or len(evs) != 1:
    F.die("after the switch: exit %d, %d events: %s" % (rc, len(evs), fw.stderr()))

# A user that does not exist is an error at startup, before anything is read.
fw = F.Forwarder(EXE, ["--user", "no-such-user-v6p", "--stdout"], W)
rc = fw.p.wait(10)
if rc != 1 or 'user "no-such-user-v6p": no such user' not in fw.stderr():
    F.die("unknown user: exit %d: %s" % (rc, fw.stderr()))
print("ok: port %d, running as nobody" % port)

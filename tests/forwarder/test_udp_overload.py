#!/usr/bin/env python3
"""UDP under overload: with the output stuck, the queue fills, the listener
stops reading its socket and the kernel drops what overflows the receive
buffer.  Every loss must be counted (SO_RXQ_OVFL): once the output moves
again, events that arrived plus datagrams counted as dropped equal those
sent, and none arrives twice."""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib as F  # noqa: E402

EXE = sys.argv[1]
W = F.workdir()
PU = F.free_port(socket.SOCK_DGRAM, socket.AF_INET6)
conf = os.path.join(W, "udp.yaml")
with open(conf, "w") as f:
    f.write("""inputs:
  syslog:
    - listen: "udp://[::1]:%d"
      receive_buffer: 16KiB
pipeline:
  queue_batches: 2
  batch_bytes: 128KiB
outputs:
  stdout: true
""" % PU)
errpath = os.path.join(W, "err")
p = subprocess.Popen([EXE, "--config", conf], stdout=subprocess.PIPE, stderr=open(errpath, "w"))
time.sleep(0.5)
# Nobody reads stdout yet: the worker blocks on it and the queue fills.
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
N = 20000
for i in range(1, N + 1):
    u.sendto(("<4>" + F.line(i, tag=7)).encode(), ("::1", PU))
time.sleep(0.5)
out = []
reader = threading.Thread(target=lambda: out.append(p.stdout.read()))
reader.start()  # the output moves again
time.sleep(1.0)
p.send_signal(signal.SIGUSR1)
time.sleep(0.5)
p.send_signal(signal.SIGTERM)
rc = p.wait(30)
reader.join()
with open(errpath) as f:
    err = f.read()
if rc != 0:
    F.die("exit %d: %s" % (rc, err))
evs = F.parse_events(out[0].decode())
c = F.counters(err)
if c is None:
    F.die("no counters after SIGUSR1: %s" % err)
udp = [i for i in c["inputs"] if i["kind"] == "syslog" and i["name"].startswith("udp://")]
if len(udp) != 1:
    F.die("no UDP counters: %s" % err)
dropped = udp[0]["dropped"]
keys = [F.key(e) for e in evs]
if len(set(keys)) != len(keys):
    F.die("duplicated events")
if not dropped:
    F.die("no drop counted though the output was stuck (%d of %d arrived)" % (len(evs), N))
if len(evs) + dropped != N:
    F.die("%d arrived + %d counted as dropped != %d sent" % (len(evs), dropped, N))
print("ok: %d arrived, %d dropped and counted" % (len(evs), dropped))

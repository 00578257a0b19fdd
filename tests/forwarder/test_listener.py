#!/usr/bin/env python3
"""The syslog listener under load and abuse.  Many TCP clients at once over
[::1] and 127.0.0.1, with both RFC 6587 framings split at random points, and
UDP datagrams; meanwhile 1,000 connections that send nothing, one client
that sends a 100 MiB line without a newline, and one that sends random
bytes.  Every well-formed line must arrive exactly once, over-long messages
are cut and counted, and the forwarder's memory stays bounded."""
import os
import random
import resource
import signal
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib as F  # noqa: E402

EXE = sys.argv[1]
W = F.workdir()
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if hard < 1500:
    F.skip("the descriptor limit (%d) is below the 1,000 idle connections this test opens" % hard)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

P6, P4, PU = F.free_port(family=socket.AF_INET6), F.free_port(), F.free_port(socket.SOCK_DGRAM)
CONF = os.path.join(W, "listen.yaml")
MAXMSG = 8192
with open(CONF, "w") as f:
    f.write("""inputs:
  syslog:
    - listen: "tcp://[::1]:%d"
      max_message: %d
      max_connections: 4000
      max_connections_per_source: 4000  # every client here is loopback
    - listen: "tcp://127.0.0.1:%d"
      max_message: %d
    - listen: "udp://[::1]:%d"
      receive_buffer: 4MiB
outputs:
  stdout: true
unparsed:
  mode: drop
""" % (P6, MAXMSG, P4, MAXMSG, PU))

# Under AddressSanitizer freed blocks wait in a quarantine (256 MiB by
# default) before reuse, which reads as RSS growth: a small one keeps the
# memory bound below measurable in that build too.
asan = os.environ.get("ASAN_OPTIONS", "")
fw = F.Forwarder(EXE, ["--config", CONF], W,
                 env={"ASAN_OPTIONS": (asan + ":" if asan else "") + "quarantine_size_mb=8"})
if not F.wait_port("::1", P6) or not F.wait_port("127.0.0.1", P4):
    F.die("listeners did not come up: %s" % fw.stderr())
rss0 = fw.rss_kib()
errors = []


def client(tag, host, port, n, octet):
    """n lines tagged `tag`, framed one way, sent in random-size pieces."""
    try:
        rnd = random.Random(tag)
        parts = []
        for i in range(1, n + 1):
            m = ("<4>" + F.line(i, tag=tag)).encode()
            parts.append(b"%d %s" % (len(m), m) if octet else m + b"\n")
        data = b"".join(parts)
        s = socket.create_connection((host, port))
        k = 0
        while k < len(data):
            step = rnd.randint(1, 3000)
            s.sendall(data[k:k + step])
            k += step
        s.close()
    except OSError as e:
        errors.append("client %d: %s" % (tag, e))


def idle_clients(out):
    for _ in range(1000):
        try:
            out.append(socket.create_connection(("::1", P6)))
        except OSError as e:
            errors.append("idle connection: %s" % e)
            return


def huge_line():
    try:
        s = socket.create_connection(("127.0.0.1", P4))
        blk = b"A" * (1 << 20)
        for _ in range(100):
            s.sendall(blk)
        s.sendall(b"\n")  # then a good line on the same connection
        s.sendall(("<4>" + F.line(1, tag=900) + "\n").encode())
        s.close()
    except OSError as e:
        errors.append("huge line: %s" % e)


def random_bytes():
    try:
        s = socket.create_connection(("::1", P6))
        s.sendall(random.Random(7).randbytes(1 << 20))
        s.close()
    except OSError as e:
        errors.append("random bytes: %s" % e)


# Faults first, then the well-behaved clients while the faults are open.
idle = []
idle_clients(idle)
faults = [threading.Thread(target=huge_line), threading.Thread(target=random_bytes)]
for t in faults:
    t.start()
N = 2000
clients = []
want = set()
for tag in range(1, 41):
    host, port = ("::1", P6) if tag % 2 else ("127.0.0.1", P4)
    clients.append(threading.Thread(target=client, args=(tag, host, port, N, tag % 4 < 2)))
    want |= {(tag, i) for i in range(1, N + 1)}
for t in clients:
    t.start()

# An octet-counted message longer than max_message: cut, and the next intact.
s = socket.create_connection(("::1", P6))
big = ("<4>" + F.line(5, tag=901)).encode() + b" " + b"B" * 100000
nxt = ("<4>" + F.line(6, tag=901)).encode()
s.sendall(b"%d %s%d %s" % (len(big), big, len(nxt), nxt))
s.close()

# UDP, paced so that loopback does not drop.
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
for i in range(1, 2001):
    u.sendto(("<4>" + F.line(i, tag=50)).encode(), ("::1", PU))
    if i % 200 == 0:
        time.sleep(0.01)
want |= {(50, i) for i in range(1, 2001)}
want |= {(900, 1), (901, 6)}  # (901, 5) is cut inside its junk tail

for t in clients + faults:
    t.join()
if errors:
    F.die("; ".join(errors[:5]))
evs = fw.wait_events(len(want), timeout=30)
rss = fw.rss_kib()
fw.signal(signal.SIGUSR1)
time.sleep(0.5)
for c in idle:
    c.close()
rc = fw.stop()
err = fw.stderr()
evs = fw.events()
if rc != 0:
    F.die("exit %d: %s" % (rc, err))


def input_counter(listen, name):
    c = F.counters(err)
    if c is None:
        F.die("no counters after SIGUSR1: %s" % err)
    return F.input_counters(c, listen)[name]


# UDP may lose datagrams under load, but every loss is counted.
udp_want = {(50, i) for i in range(1, 2001)}
udp_got = [e for e in evs if F.key(e) in udp_want]
dropped = input_counter("udp://[::1]:%d" % PU, "dropped")
if len(set(F.key(e) for e in udp_got)) != len(udp_got):
    F.die("UDP: duplicated events")
if len(udp_got) + dropped != 2000:
    F.die("UDP: %d arrived and %d counted as dropped, of 2000 sent" % (len(udp_got), dropped))
want -= udp_want
got = [e for e in evs if F.key(e) in want]
F.check_exactly_once(got, want, "listener (TCP)")
# The 100 MiB line and the long octet-counted message, cut once each; the
# random bytes may hold newlines and cut pieces of their own.
if input_counter("tcp://127.0.0.1:%d" % P4, "cut") != 1:
    F.die("the 100 MiB line was not cut exactly once: %s" % err)
if input_counter("tcp://[::1]:%d" % P6, "cut") < 1:
    F.die("the long octet-counted message was not cut")
if input_counter("tcp://[::1]:%d" % P6, "connections") < 1000 + 21:
    F.die("connections were not all accepted")
# The memory bound: 1,000 idle connections hold no buffers, and the 100 MiB
# line never costs more than max_message.
if rss - rss0 > 150 * 1024:
    F.die("RSS grew by %d KiB under the faults" % (rss - rss0))
print("ok: %d TCP events, UDP %d + %d dropped, RSS %d -> %d KiB" % (len(got), len(udp_got),
                                                                   dropped, rss0, rss))

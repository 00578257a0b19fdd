#!/usr/bin/env python3
"""Signals: SIGHUP with a good config (new patterns apply to the lines that
follow, none lost), SIGHUP with a bad config (refused with its position, the
old config kept), SIGUSR1 (counters), SIGTERM (everything read is written
before exit 0), and a second SIGTERM while stuck (exit at once)."""
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
LOG = os.path.join(W, "fw.log")
CONF = os.path.join(W, "fwd.yaml")
BASE = F.follow_conf(LOG) + """parser:
  action_patterns:
    - match: "^IPT6-DROP$"
      value: %s
"""


def write_conf(value):
    F.write_atomic(CONF, BASE % value)


def append(a, b):
    F.append_lines(LOG, (F.line(i) for i in range(a, b)))


# --- SIGHUP -----------------------------------------------------------------
open(LOG, "w").close()
write_conf("allowed")
fw = F.Forwarder(EXE, ["--config", CONF], W)
time.sleep(0.3)
append(1, 101)
fw.wait_events(100)
write_conf("blocked")
fw.signal(signal.SIGHUP)
fw.wait_stderr("configuration reloaded")
append(101, 201)
fw.wait_events(200)

# A bad config: refused with its position, the old one stays.
with open(CONF, "w") as f:
    f.write(BASE % "blocked" + "  max_lien: 5\n")
fw.signal(signal.SIGHUP)
fw.wait_stderr("reload rejected")
append(201, 301)
evs = fw.wait_events(300)
fw.signal(signal.SIGUSR1)
fw.wait_stderr(F.COUNTERS)
rc = fw.stop()
err = fw.stderr()
evs = fw.events()
if rc != 0:
    F.die("exit %d after reloads: %s" % (rc, err))
F.check_exactly_once(evs, {(1, i) for i in range(1, 301)}, "across reloads")
acts = [e["action"] for e in evs]
if acts[:100] != ["allowed"] * 100 or acts[100:] != ["blocked"] * 200:
    F.die("patterns after reload: %s" % sorted(set(enumerate(acts)), key=lambda x: x[0])[95:105])
if "%s:10:3: unknown key \"max_lien\" in parser (did you mean \"max_line\"?)" % CONF not in err:
    F.die("the refused reload does not say where: %s" % err)
# SIGUSR1: the counters as one line (one journal entry).
c = F.counters(err)
if c is None or (c["lines"], c["reloads"], c["reload_failures"]) != (300, 1, 1):
    F.die("SIGUSR1 counters: %s" % err)
if len([ln for ln in err.splitlines() if F.COUNTERS in ln]) != 1:
    F.die("SIGUSR1 wrote more than one line: %s" % err)

# --- SIGHUP reopens the output file (logrotate moved it away) ----------------------
out = os.path.join(W, "events.jsonl")
open(LOG, "w").close()
write_conf("blocked")
fw = F.Forwarder(EXE, ["--config", CONF, "--output-file", out], W)
time.sleep(0.3)
append(1, 51)
end = time.monotonic() + 10
while time.monotonic() < end and (not os.path.exists(out) or
                                  len(F.parse_events(open(out).read())) < 50):
    time.sleep(0.05)
os.rename(out, out + ".1")
fw.signal(signal.SIGHUP)
fw.wait_stderr("configuration reloaded")
append(51, 101)
end = time.monotonic() + 10
while time.monotonic() < end and (not os.path.exists(out) or
                                  len(F.parse_events(open(out).read())) < 50):
    time.sleep(0.05)
fw.stop()
with open(out + ".1") as f:
    old_evs = F.parse_events(f.read())
with open(out) as f:
    new_evs = F.parse_events(f.read())
F.check_exactly_once(old_evs, {(1, i) for i in range(1, 51)}, "the rotated output file")
F.check_exactly_once(new_evs, {(1, i) for i in range(51, 101)}, "the reopened output file")

# --- SIGTERM flushes what is in flight -----------------------------------------
port = F.free_port()
fw = F.Forwarder(EXE, ["--listen", "tcp://127.0.0.1:%d" % port, "--stdout"], W)
if not F.wait_port("127.0.0.1", port):
    F.die("listener did not come up: %s" % fw.stderr())
s = socket.create_connection(("127.0.0.1", port))
N = 200000
s.sendall("".join("<4>" + F.line(i) + "\n" for i in range(1, N + 1)).encode())
s.close()
time.sleep(0.05)
rc = fw.stop()
err = fw.stderr()
evs = fw.events()
m = [ln for ln in err.splitlines() if "lines read" in ln]
if rc != 0 or not m:
    F.die("SIGTERM: exit %d: %s" % (rc, err))
read = int(m[-1].split()[1])
if read != len(evs) or read == 0:
    F.die("SIGTERM: %d lines read but %d events written" % (read, len(evs)))
F.check_exactly_once(evs, {(1, i) for i in range(1, read + 1)}, "flush on SIGTERM")

# --- a second SIGTERM exits at once ----------------------------------------------
# stdout is a pipe nobody reads: the worker blocks on it, the queue fills, and
# the flush on the first SIGTERM cannot finish within the (long) deadline.
conf = os.path.join(W, "slow.yaml")
with open(conf, "w") as f:
    f.write("shutdown:\n  deadline_ms: 600000\npipeline:\n  queue_batches: 4\n")
p = subprocess.Popen([EXE, "--config", conf, "--stdout", "-"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
chunk = "".join(F.line(i) + "\n" for i in range(1, 20001)).encode()


def feed():
    # The forwarder takes what fits, then waits on its output: this write
    # blocks until the forwarder is gone.
    try:
        p.stdin.write(chunk)
        p.stdin.close()
    except (BrokenPipeError, ValueError):
        pass


threading.Thread(target=feed, daemon=True).start()
# Started (tables loaded) and writing: from here on its output fills up.
p.stdout.readline()
time.sleep(0.5)
p.send_signal(signal.SIGTERM)
time.sleep(0.5)
if p.poll() is not None:
    F.die("exited on the first SIGTERM though output was stuck (rc %s)" % p.returncode)
p.send_signal(signal.SIGTERM)
# Gone long before the 600 s deadline: it did not wait for the flush.
try:
    rc = p.wait(60)
except subprocess.TimeoutExpired:
    p.kill()
    F.die("a second SIGTERM did not end the forwarder")
err = p.stderr.read().decode()
if rc == 0 or "second signal" not in err:
    F.die("second SIGTERM: exit %d: %s" % (rc, err))
print("ok")

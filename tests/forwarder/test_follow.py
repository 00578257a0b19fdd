#!/usr/bin/env python3
"""Following a file like tail -F: across rename rotation (with the writer
still finishing the old file) and copytruncate rotation, then a stop in the
middle of a stream and a rotation while stopped; after the restart from the
checkpoint file every line has been sent exactly once."""
import os
import shutil
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib as F  # noqa: E402

EXE = sys.argv[1]
W = F.workdir()
LOG = os.path.join(W, "fw.log")
CK = os.path.join(W, "checkpoints")
CONF = os.path.join(W, "follow.yaml")
with open(CONF, "w") as f:
    f.write("""inputs:
  files:
    - path: %s
      follow: true
  follow_poll_ms: 20
  checkpoint:
    file: %s
    interval_ms: 50
outputs:
  stdout: true
unparsed:
  mode: drop
""" % (LOG, CK))


def append(path, a, b, chunk=97):
    """Lines a..b-1, in uneven chunks, sometimes ending mid-line."""
    data = "".join(F.line(i) + "\n" for i in range(a, b))
    with open(path, "a") as f:
        for k in range(0, len(data), chunk * 211):
            f.write(data[k:k + chunk * 211])
            f.flush()


def wait_for(fw, n, what):
    evs = fw.wait_events(n, timeout=30)
    if len(evs) < n:
        F.die("%s: %d of %d events arrived; stderr: %s" % (what, len(evs), n, fw.stderr()))
    return evs


open(LOG, "w").close()
fw = F.Forwarder(EXE, ["--config", CONF], W)
time.sleep(0.3)
append(LOG, 1, 1001)
wait_for(fw, 1000, "plain follow")

# Rename rotation: the writer adds to the renamed file before it reopens.
os.rename(LOG, LOG + ".1")
append(LOG + ".1", 1001, 1101)
time.sleep(0.1)
append(LOG, 1101, 2001)
wait_for(fw, 2000, "after rename rotation")

# copytruncate: the copy is taken, then the file is emptied in place.
shutil.copyfile(LOG, LOG + ".2")
os.truncate(LOG, 0)
time.sleep(0.3)
append(LOG, 2001, 3001)
wait_for(fw, 3000, "after copytruncate")

# A stop in the middle of a stream: the writer goes on while the
# forwarder stops.
def slow_writer():
    for a in range(3001, 4001, 10):
        append(LOG, a, a + 10)
        time.sleep(0.004)


t = threading.Thread(target=slow_writer)
t.start()
wait_for(fw, 3200, "before the stop")
rc = fw.stop()
t.join()
if rc != 0:
    F.die("SIGTERM: exit %d: %s" % (rc, fw.stderr()))
first = fw.events()
if not os.path.exists(CK):
    F.die("no checkpoint file written")

# While stopped: a rotation and a new file.
os.rename(LOG, LOG + ".3")
append(LOG, 4001, 4501)

fw2 = F.Forwarder(EXE, ["--config", CONF], W)
want = 4500 - len(first)
second = fw2.wait_events(want, timeout=30)
time.sleep(0.5)  # anything extra (a duplicate) would show up now
rc = fw2.stop()
second = fw2.events()
if rc != 0:
    F.die("second run: exit %d: %s" % (rc, fw2.stderr()))
F.check_exactly_once(first + second, {(1, i) for i in range(1, 4501)},
                     "follow across rotations and a restart")
order = [F.key(e)[1] for e in first + second]
if order != sorted(order):
    F.die("lines out of order")

# start_at: end skips what is there when no checkpoint knows the file.
LOG2 = os.path.join(W, "late.log")
append(LOG2, 1, 101)
conf2 = os.path.join(W, "end.yaml")
with open(conf2, "w") as f:
    f.write("inputs:\n  files:\n    - path: %s\n      follow: true\n      start_at: end\n"
            "  follow_poll_ms: 20\n" % LOG2)
fw3 = F.Forwarder(EXE, ["--config", conf2], W)
# "The end" is where the file stands when the forwarder opens it (after its
# tables load): append only once it has.
end_open = time.monotonic() + 30
while not any(os.path.realpath(os.path.join("/proc/%d/fd" % fw3.p.pid, fd)) == os.path.realpath(LOG2)
              for fd in os.listdir("/proc/%d/fd" % fw3.p.pid)):
    if time.monotonic() > end_open or fw3.p.poll() is not None:
        F.die("the forwarder never opened %s: %s" % (LOG2, fw3.stderr()))
    time.sleep(0.02)
time.sleep(0.1)
append(LOG2, 101, 151)
fw3.wait_events(50)
time.sleep(0.2)
fw3.stop()
F.check_exactly_once(fw3.events(), {(1, i) for i in range(101, 151)}, "start_at: end")
print("ok: %d + %d events over two runs" % (len(first), len(second)))

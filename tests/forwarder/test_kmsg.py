#!/usr/bin/env python3
"""/dev/kmsg as an input: records written to the kernel log come out as
events, each once, stamped with wall-clock time from the boot-relative
stamp.  Needs root (writing to /dev/kmsg); skips otherwise.  Other programs
may log at the same time: only this test's records (its own rule name) are
counted."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib as F  # noqa: E402

EXE = sys.argv[1]
W = F.workdir()
try:
    kmsg = open("/dev/kmsg", "w")
    open("/dev/kmsg", "r").close()
except OSError as e:
    F.skip("/dev/kmsg cannot be read and written here: %s" % e)

rule = "V6PKMSG-%d" % os.getpid()
fw = F.Forwarder(EXE, ["--kmsg", "--stdout", "--unparsed=drop"], W)
time.sleep(0.5)
# The kernel rate-limits writes to /dev/kmsg (printk_devkmsg: a burst of
# 10 every 5 s): stay below.
N = 8
t0 = time.time()
for i in range(1, N + 1):
    kmsg.write("<4>%s: %s\n" % (rule, F.kernel_text(i, tag=5).split(": ", 1)[1]))
    kmsg.flush()
ours = []
end = time.monotonic() + 15
while time.monotonic() < end:
    ours = [e for e in fw.events() if e.get("rule") == rule]
    if len(ours) >= N:
        break
    time.sleep(0.1)
time.sleep(0.3)
rc = fw.stop()
ours = [e for e in fw.events() if e.get("rule") == rule]
if rc != 0:
    F.die("exit %d: %s" % (rc, fw.stderr()))
F.check_exactly_once(ours, {(5, i) for i in range(1, N + 1)}, "/dev/kmsg")
for e in ours:
    if abs(e["time"] - t0) > 5:
        F.die("kernel stamp not turned into wall-clock time: %s vs %s" % (e["time"], t0))
print("ok: %d kernel records" % N)

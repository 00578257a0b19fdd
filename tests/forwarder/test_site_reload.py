#!/usr/bin/env python3
"""SIGHUP replaces the site's description (internal_interfaces,
internal_prefixes) between two lines, none lost: a router's FORWARD lines
read `forward` with no site, `inbound` once lan0 is declared inside, and
`outbound` once the description is turned around (the old one is replaced,
not added to)."""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fwdlib as F  # noqa: E402

EXE = sys.argv[1]
W = F.workdir()
LOG = os.path.join(W, "fw.log")
CONF = os.path.join(W, "fwd.yaml")


def write_conf(extra):
    F.write_atomic(CONF, F.follow_conf(LOG) + extra)


def append(a, b):
    F.append_lines(LOG, (F.line(i).replace("IN=eth0 OUT= ", "IN=wan0 OUT=lan0 ")
                         for i in range(a, b)))


def reload(fw, n):
    fw.signal(signal.SIGHUP)
    fw.wait_stderr("configuration reloaded", count=n)


open(LOG, "w").close()
write_conf("")
fw = F.Forwarder(EXE, ["--config", CONF], W)
time.sleep(0.3)
append(1, 51)
fw.wait_events(50)
write_conf("internal_interfaces: [\"lan*\"]\n")
reload(fw, 1)
append(51, 101)
fw.wait_events(100)
write_conf("internal_interfaces: [wan0]\ninternal_prefixes: [\"2001:db8:0:1::/64\"]\n")
reload(fw, 2)
append(101, 151)
fw.wait_events(150)
rc = fw.stop()
evs = fw.events()
if rc != 0:
    F.die("exit %d: %s" % (rc, fw.stderr()))
F.check_exactly_once(evs, {(1, i) for i in range(1, 151)}, "across reloads")
dirs = [e["direction"] for e in evs]
want = ["forward"] * 50 + ["inbound"] * 50 + ["outbound"] * 50
if dirs != want:
    F.die("directions across reloads: %s" % [(i, d) for i, (d, w) in enumerate(zip(dirs, want))
                                             if d != w][:5])
if any(e["hook"] != "forward" for e in evs):
    F.die("hook changed with the site")
print("PASS")

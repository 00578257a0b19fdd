#!/usr/bin/env python3
"""The HEC spool on a disk that fills up: a 1 MiB tmpfs, the receiver down,
3,000 events in.  With `full_policy: block` nothing that was accepted is
lost: the forwarder stops reading its input while the disk refuses writes
and goes on by itself once delivery makes room; with the drop policies
every event dropped is counted, so that sent = delivered + counted drops.

Runs as root in a private mount namespace of its own (the tmpfs goes away
with it); skipped otherwise.

    python3 tests/forwarder/hec/test_spool_full.py BUILD/forwarder/ipv6probe-forward
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import fwdlib as F  # noqa: E402
from hec_harness import Receiver  # noqa: E402
from test_forward_hec import TOKEN, Fwd, exit_counters, envelopes, seqs  # noqa: E402
import test_forward_hec  # noqa: E402

N = 3000
OUTAGE_S = 6


def private_namespace():
    """Run this script again inside a mount namespace of its own."""
    if os.environ.get("V6P_SPOOL_NS") == "1":
        return
    if os.geteuid() != 0:
        F.skip("needs root to mount a tmpfs")
    if not shutil.which("unshare"):
        F.skip("no unshare(1)")
    env = dict(os.environ, V6P_SPOOL_NS="1")
    r = subprocess.run(["unshare", "--mount", "--propagation", "private", sys.executable]
                       + sys.argv, env=env)
    sys.exit(r.returncode)


def run(policy, work):
    disk = os.path.join(work, "disk-" + policy)
    os.mkdir(disk)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", disk], check=True)
    token = os.path.join(work, "token")
    with open(token, "w") as f:
        f.write(TOKEN + "\n")
    r = Receiver(["--token", TOKEN + ":ack"])
    try:
        cfg = {"inputs": {"stdin": True},
               "outputs": {"stdout": False, "hec": {
                   "endpoints": [r.url], "token_file": token,
                   "batch": {"events": 100, "time_ms": 20},
                   "acks": {"enabled": True, "poll_interval_ms": 50},
                   "retry": {"initial_backoff_ms": 50, "max_backoff_ms": 500},
                   "health_interval_ms": 200,
                   "spool": {"dir": os.path.join(disk, "spool"), "max_bytes": "64MiB",
                             "full_policy": policy}}},
               "shutdown": {"deadline_ms": 120000}, "stats": {"events": False}}
        r.control("POST", "down?seconds=%d" % OUTAGE_S)
        fw = Fwd(work, cfg, stdin=True)
        # Long lines (a long log prefix) fill the 1 MiB disk ~3 times over.
        pad = "X" * 500
        text = [F.line(i, tag=5).replace("IPT6-DROP:", "IPT6-DROP-%s:" % pad) for i in range(N)]
        fw.feed(text)
        rc = fw.wait(240)
        err = fw.stderr()
        c = exit_counters(err) or {}
        got = seqs(envelopes(r))
        return rc, err, c, got
    finally:
        r.cleanup()
        subprocess.run(["umount", disk])


def main():
    private_namespace()
    test_forward_hec.FWD = sys.argv[1]
    import fwdlib
    fwdlib_exe = sys.argv[1]
    del fwdlib
    import test_forward_hec as T
    T.FWD = fwdlib_exe
    work = tempfile.mkdtemp(prefix="v6p-spool-full-")
    fails = []
    try:
        for policy in ("block", "drop_newest", "drop_oldest"):
            t0 = time.monotonic()
            rc, err, c, got = run(policy, work)
            print("%s: %.1f s" % (policy, time.monotonic() - t0))
            uniq = set(got)
            dropped = c["spool_dropped_new"] + c["spool_dropped_oldest"] + c["lost_at_exit"]
            print("%s: sent %d, delivered %d (%d distinct), counted drops %d, write errors %d, "
                  "rc %d" % (policy, N, len(got), len(uniq), dropped, c["spool_write_errors"], rc))
            if c["spool_write_errors"] == 0:
                fails.append("%s: the disk never filled: the test proves nothing" % policy)
            if not uniq <= set(range(N)):
                fails.append("%s: events that were not sent arrived" % policy)
            if len(uniq) + dropped != N:
                fails.append("%s: sent %d != delivered %d + counted drops %d"
                             % (policy, N, len(uniq), dropped))
            if policy == "block" and (dropped or rc != 0 or len(uniq) != N):
                fails.append("block: lost events or failed (rc %d): %s" % (rc, err[-2000:]))
            if "stay in the spool" in err and "are lost" not in err:
                fails.append("%s: exit line claims everything stays: %s" % (policy, err[-500:]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if fails:
        F.die("; ".join(fails))
    print("ok")


main()

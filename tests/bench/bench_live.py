#!/usr/bin/env python3
"""What duplicate detection and the idle flush of live inputs cost, on demand.

The same generated netfilter log (every packet logged by two rules, as on a
gateway with ip6tables and nftables side by side) goes through
ipv6probe-forward --stdout > /dev/null in two ways, runs interleaved:

  baseline   the file given as an argument, `dedupe: enabled: false`
             (no duplicate table, no poll on a pipe);
  dedupe     the file as an argument, duplicates marked (the default);
  live       the same bytes on standard input through a pipe (each read
             waits with poll and a 100 ms idle timeout), duplicates marked.

The figure is the forwarder's CPU time (user + system, from wait4) per
line, median of --runs runs each, and the cost over `baseline`; done for a
log where every packet is logged once (duplicate detection all cost, no
gain) and for one where every packet is logged twice (repeats then skip the
trackers).

usage: bench_live.py [--lines N] [--runs R] path/to/ipv6probe-forward"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "forwarder"))
import fwdlib as F  # noqa: E402


def make_file(path, n, twice):
    """n lines: n/2 packets each written by rule A then rule B (twice), or
    n packets each logged once (the worst case: every lookup a new key)."""
    with open(path, "w") as f:
        for i in range(n // 2 if twice else n):
            ln = F.line(i % 2000000, tag=1 + i // 2000000)
            f.write(ln + "\n")
            if twice:
                f.write(ln.replace("IPT6-DROP:", "NFT6-DROP:") + "\n")


def cpu_of(cmd, stdin_path=None):
    fin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    feeder = None
    if stdin_path:
        # A real pipe, not the file: the forwarder must see a FIFO.
        feeder = subprocess.Popen(["cat", stdin_path], stdout=subprocess.PIPE)
        fin.close()
        fin = feeder.stdout
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    err = p.stderr.read().decode()
    if feeder:
        feeder.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("forwarder failed: " + err)
    return ru.ru_utime + ru.ru_stime, wall, err


def measure(exe, log, off, runs, n, label):
    base, dedupe, live = [], [], []
    for _ in range(runs):
        base.append(cpu_of([exe, "-c", off, "--stdout", log])[:2])
        dedupe.append(cpu_of([exe, "--stdout", log])[:2])
        live.append(cpu_of([exe, "--stdout"], stdin_path=log)[:2])
    bc = statistics.median(c for c, _ in base)
    dc = statistics.median(c for c, _ in dedupe)
    lc = statistics.median(c for c, _ in live)
    print("%s, %d lines:" % (label, n))
    print("  baseline (file, no dedupe):        %5.0f ns CPU/line, %.0f lines/CPU-s" %
          (bc / n * 1e9, n / bc))
    print("  file, duplicates marked:           %5.0f ns CPU/line (%+.1f%%)" %
          (dc / n * 1e9, (dc / bc - 1) * 100))
    print("  pipe + idle flush, dups marked:    %5.0f ns CPU/line (%+.1f%%)" %
          (lc / n * 1e9, (lc / bc - 1) * 100))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=400000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("exe")
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="v6p-bench-live-")
    off = os.path.join(d, "off.yaml")
    with open(off, "w") as f:
        f.write("dedupe:\n  enabled: false\n")
    log = os.path.join(d, "gw.log")
    for twice, label in ((False, "every packet logged once (all lookups miss)"),
                         (True, "every packet logged by two rules")):
        make_file(log, a.lines, twice)
        measure(a.exe, log, off, a.runs, a.lines, label)
        os.unlink(log)
    os.rmdir(d) if not os.listdir(d) else None


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Forwarder throughput, on demand (not part of the test suite).

  1. file: ipv6probe-forward --stdout FILE > /dev/null, lines/s end to end;
     also pinned to one CPU (taskset -c 0) when taskset is there;
  2. tcp: messages/s received over TCP from a loopback sender (LF framing,
     4 connections), from the first byte sent until the forwarder has
     written the last event to /dev/null and exited on SIGTERM.

Prints the median of --runs runs for each.

usage: bench_forward.py [--lines N] [--runs R] path/to/ipv6probe-forward"""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "forwarder"))
import fwdlib as F  # noqa: E402


def make_file(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write(F.line(i % 2000000, tag=1 + i // 2000000) + "\n")


def run_file(exe, path, pin):
    cmd = ([shutil.which("taskset"), "-c", "0"] if pin else []) + [exe, "--stdout", path]
    t0 = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        sys.exit("forwarder failed: " + r.stderr.decode())
    return dt


def lines_read(errpath):
    with open(errpath) as f:
        c = F.counters(f.read())
    return c["lines"] if c else 0


def run_tcp(exe, payloads, n, d):
    port = F.free_port()
    errpath = os.path.join(d, "tcp.err")
    p = subprocess.Popen([exe, "--listen", "tcp://127.0.0.1:%d" % port, "--stdout"],
                         stdout=subprocess.DEVNULL, stderr=open(errpath, "w"))
    if not F.wait_port("127.0.0.1", port):
        sys.exit("listener did not come up")
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in payloads]
    t0 = time.monotonic()
    threads = [threading.Thread(target=s.sendall, args=(d,)) for s, d in zip(socks, payloads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in socks:
        s.close()
    # Done when the worker has written every event (SIGUSR1 prints counters).
    while True:
        p.send_signal(signal.SIGUSR1)
        time.sleep(0.01)
        if lines_read(errpath) >= n:
            break
    dt = time.monotonic() - t0
    p.send_signal(signal.SIGTERM)
    p.wait()
    with open(errpath) as f:
        err = f.read()
    got = [ln for ln in err.splitlines() if "lines read" in ln]
    if not got or int(got[-1].split()[1]) != n:
        sys.exit("tcp run lost lines: %s" % err[-500:])
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("forwarder")
    ap.add_argument("--lines", type=int, default=2000000)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="v6p-bench-")
    try:
        path = os.path.join(d, "fw.log")
        make_file(path, a.lines)
        size = os.path.getsize(path)
        print("file: %d lines, %.0f MiB" % (a.lines, size / 1048576))
        modes = [False] + ([True] if shutil.which("taskset") else [])
        for pin in modes:
            times = [run_file(a.forwarder, path, pin) for _ in range(a.runs)]
            med = statistics.median(times)
            print("  file -> /dev/null%s: median %.3f s = %.0f lines/s (%.0f MiB/s)"
                  % (" (one CPU)" if pin else "", med, a.lines / med, size / med / 1048576))
        n = a.lines // 2
        per = n // 4
        payloads = []
        for c in range(4):
            payloads.append("".join("<4>" + F.line(i, tag=10 + c) + "\n"
                                    for i in range(per)).encode())
        n = per * 4
        times = [run_tcp(a.forwarder, payloads, n, d) for _ in range(a.runs)]
        med = statistics.median(times)
        print("  tcp (4 connections, LF): %d messages, median %.3f s = %.0f messages/s"
              % (n, med, n / med))
    finally:
        shutil.rmtree(d)


if __name__ == "__main__":
    main()

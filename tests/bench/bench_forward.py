#!/usr/bin/env python3
"""The whole forwarder, file -> JSON lines, on the realistic mix and the worst cases.

usage: bench_forward.py [--lines N] [--runs R] [--sng-runs R] [--seed N]
                        [--inputs realistic,flood,sweep,random] [--no-syslog-ng]
                        [--tcp] BUILD [BUILD...]

BUILD is a build directory (or its forwarder/ipv6probe-forward).  Two or
more builds are measured in the same run, their runs interleaved, so that a
change can be compared with a baseline on a machine whose speed moves from
minute to minute.

For each input (gen_netfilter.py --mix, --lines lines, made once under
$V6P_BENCH_CACHE, default ${TMPDIR:-/tmp}/ipv6probe-bench, and read into the
page cache first) it prints, as medians of the runs:
  - `ipv6probe-forward --stdout FILE > /dev/null`: lines per CPU-second (user
    + system time of the child, every thread, from wait4), lines per
    wall-second, peak RSS; with `--workers 1` and `--workers 2` when the
    build's forwarder has that option (else its default, with a note);
  - syslog-ng, tuned (sng_rate.sh): lines per CPU-second, peak RSS;
  - `wc -l` over the file (ten times per run, to outlast process start-up):
    lines per CPU-second and per wall-second, the read floor;
  - `bench_parse -m parse` (the library's parse alone, file already in
    memory): lines per CPU-second of its thread, and that as a share of
    `wc -l`'s lines per CPU-second.
The forwarder is also run on an empty file in every run: its start-up
(about 0.25 CPU-s, mostly loading the shipped classification table) is
printed, and each forwarder figure is given again "after start-up": the
median of the runs less the median start-up, the steady state of a
long-running forwarder (an estimate: the difference of two noisy medians).
Then a summary: each figure asked of the forwarder, measured both ways,
met or NOT met.  Peak RSS is that of the child alone (GNU time's %M, when
/usr/bin/time is there; else wait4's, which counts the Python that started
it).

--tcp adds the forwarder's TCP listener (4 loopback connections, LF
framing) on the realistic file: messages per second from the first byte sent
until the last event is written.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "forwarder"))
import fwdlib as F  # noqa: E402

INPUTS = {
    "realistic": "the default mix: a few thousand sources, 600 destinations in one /48",
    "flood": "every source new, random in 2000::/3 (a spoofed flood)",
    "sweep": "every destination new, random in one /48 (an address sweep)",
    "random": "source and destination random in 2000::/3 (the random-address file)",
}
WC_REPEAT = 10


def cache_dir():
    d = os.environ.get("V6P_BENCH_CACHE") or os.path.join(
        os.environ.get("TMPDIR", "/tmp"), "ipv6probe-bench")
    os.makedirs(d, exist_ok=True)
    return d


def gen_key():
    """The generator's checksum, as run_bench.sh names its files."""
    with open(os.path.join(HERE, "gen_netfilter.py"), "rb") as f:
        out = subprocess.run(["cksum"], stdin=f, capture_output=True, text=True, check=True)
    return out.stdout.split()[0]


def input_file(mix, lines, seed):
    key = gen_key()
    # The realistic file has the name run_bench.sh gives it: one copy for both.
    name = ("netfilter-%d-s%d-%s.log" % (lines, seed, key) if mix == "realistic"
            else "netfilter-%d-s%d-%s-%s.log" % (lines, seed, mix, key))
    path = os.path.join(cache_dir(), name)
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        print("generating %s (%d lines, --mix %s)" % (path, lines, mix), flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_netfilter.py"), "-n", str(lines),
                        "--seed", str(seed), "--mix", mix, "-o", path + ".tmp"], check=True)
        os.rename(path + ".tmp", path)
    with open(path, "rb") as f:  # into the page cache
        while f.read(1 << 20):
            pass
    return path


class Build:
    def __init__(self, arg):
        if os.path.isfile(arg):
            self.fwd = os.path.abspath(arg)
            self.dir = os.path.dirname(os.path.dirname(self.fwd))
        else:
            self.dir = os.path.abspath(arg)
            self.fwd = os.path.join(self.dir, "forwarder", "ipv6probe-forward")
        if not os.access(self.fwd, os.X_OK):
            sys.exit("bench_forward: no forwarder at %s" % self.fwd)
        self.label = "/".join(self.dir.rstrip("/").split("/")[-2:])
        helptext = subprocess.run([self.fwd, "--help"], capture_output=True, text=True).stdout
        if "--workers" in helptext:
            self.configs = [("--workers 1", ["--workers", "1"]), ("--workers 2", ["--workers", "2"])]
            self.note = None
        else:
            self.configs = [("default", [])]
            self.note = "no --workers option: one worker, 2 workers not measured"
        self.parse_note = None
        # Not built here: the build directory may be someone else's, busy.
        self.bench_parse = os.path.join(self.dir, "tests", "bench", "bench_parse")
        if not os.access(self.bench_parse, os.X_OK):
            self.parse_note = "no bench_parse (ninja -C %s tests/bench/bench_parse)" % self.dir
            self.bench_parse = None


# A child's ru_maxrss counts the memory of the process it was exec'd from,
# and Python's own (about 18 MB) hides the peak of a small child; GNU time is
# a small process in between that reports the child's own peak (%M).
GNU_TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None


def run_child(cmd, stdout=subprocess.DEVNULL, stderr=None):
    """(cpu s, wall s, peak RSS kB, exit status) of cmd: CPU time (user +
    system, every thread) from wait4, peak RSS from GNU time when there."""
    with tempfile.NamedTemporaryFile("r") as tf:
        full = ([GNU_TIME, "-q", "-f", "%M", "-o", tf.name] if GNU_TIME else []) + cmd
        t0 = time.monotonic()
        p = subprocess.Popen(full, stdout=stdout, stderr=stderr)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        rss = ru.ru_maxrss
        if GNU_TIME:
            got = tf.read().split()
            rss = int(got[-1]) if got and got[-1].isdigit() else rss
    return ru.ru_utime + ru.ru_stime, wall, rss, p.returncode


def run_forwarder(build, extra, path, lines, errfile):
    errfile.seek(0)
    errfile.truncate()
    cpu, wall, rss, rc = run_child([build.fwd, "--stdout", "--no-progress"] + extra + [path],
                                   stderr=errfile)
    errfile.seek(0)
    err = errfile.read().decode(errors="replace")
    m = re.search(r"(\d+) lines read", err)
    if rc != 0 or not m or int(m.group(1)) != lines:
        sys.exit("bench_forward: %s %s on %s: exit %d, %s" % (build.fwd, " ".join(extra), path,
                                                              rc, err.strip()[-500:]))
    return cpu, wall, rss


def run_wc(path):
    cpu, wall, rss, rc = run_child(["wc", "-l"] + [path] * WC_REPEAT)
    if rc != 0:
        sys.exit("bench_forward: wc -l failed")
    return cpu, wall, rss


def run_parse(build, path, runs):
    """bench_parse -m parse: (lines per CPU-second, peak RSS kB) or None."""
    if not build.bench_parse:
        return None
    with tempfile.TemporaryFile() as out:
        _, _, rss, rc = run_child([build.bench_parse, "-r", str(runs), "-m", "parse", path],
                                  stdout=out)
        out.seek(0)
        text = out.read().decode()
    m = re.search(r"^parse-only: ([0-9,]+) lines/s", text, re.M)
    if rc != 0 or not m:
        sys.exit("bench_forward: bench_parse on %s: %s" % (path, text[-300:]))
    return int(m.group(1).replace(",", "")), rss


def run_sng(path):
    """sng_rate.sh tuned: (lines per CPU-second, peak RSS kB) or None."""
    r = subprocess.run([os.path.join(HERE, "sng_rate.sh"), "tuned", path],
                       capture_output=True, text=True)
    if r.returncode == 77:
        return None
    m = re.search(r" (\d+) lines per CPU-second, peak RSS (\d+) kB", r.stdout)
    if r.returncode != 0 or not m:
        sys.exit("bench_forward: syslog-ng: %s %s" % (r.stdout, r.stderr))
    return int(m.group(1)), int(m.group(2))


def n(x):
    return "{:,.0f}".format(x)


def mb(kb):
    return "%.1f MB" % (kb / 1024)


def median_rates(samples, lines):
    """Medians of lines per CPU-second, lines per wall-second; peak RSS (max)."""
    return (statistics.median(lines / c for c, _, _ in samples),
            statistics.median(lines / w for _, w, _ in samples),
            max(r for _, _, r in samples))


def run_tcp(exe, payloads, total, d):
    port = F.free_port()
    errpath = os.path.join(d, "tcp.err")
    with open(errpath, "w") as err:
        p = subprocess.Popen([exe, "--listen", "tcp://127.0.0.1:%d" % port, "--stdout"],
                             stdout=subprocess.DEVNULL, stderr=err)
    if not F.wait_port("127.0.0.1", port):
        sys.exit("listener did not come up")
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in payloads]
    t0 = time.monotonic()
    threads = [threading.Thread(target=s.sendall, args=(b,)) for s, b in zip(socks, payloads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in socks:
        s.close()
    # Done when every event is written (SIGUSR1 prints the counters).
    while True:
        p.send_signal(signal.SIGUSR1)
        time.sleep(0.01)
        with open(errpath) as f:
            c = F.counters(f.read())
        if c and c["lines"] >= total:
            break
    dt = time.monotonic() - t0
    p.send_signal(signal.SIGTERM)
    p.wait()
    return dt


def bench_tcp(builds, path, runs):
    with open(path, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    per = len(lines) // 4
    payloads = [b"".join(b"<4>" + ln for ln in lines[c * per:(c + 1) * per]) for c in range(4)]
    d = tempfile.mkdtemp(prefix="v6p-bench-")
    try:
        for b in builds:
            times = [run_tcp(b.fwd, payloads, per * 4, d) for _ in range(runs)]
            print("  [%s] tcp listener (4 connections, LF): %s messages/s" % (
                b.label, n(per * 4 / statistics.median(times))))
    finally:
        shutil.rmtree(d)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("builds", nargs="+", metavar="BUILD")
    ap.add_argument("--lines", type=int, default=200000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sng-runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--inputs", default=",".join(INPUTS))
    ap.add_argument("--no-syslog-ng", action="store_true")
    ap.add_argument("--tcp", action="store_true")
    a = ap.parse_args()
    mixes = a.inputs.split(",")
    for m in mixes:
        if m not in INPUTS:
            sys.exit("bench_forward: unknown input %s (%s)" % (m, ", ".join(INPUTS)))
    builds = [Build(x) for x in a.builds]
    print("load average at start: %.2f %.2f %.2f; %d CPUs" % (os.getloadavg() + (os.cpu_count(),)))
    for b in builds:
        print("build %s: %s%s" % (b.label, b.fwd, "".join(
            "; " + x for x in (b.note, b.parse_note) if x)))
    # results[mix] = {"wc": ..., "sng": ..., (label, "parse"): ..., (label, cfg): ...}
    results = {}
    err = tempfile.TemporaryFile()
    # The forwarder on an empty file: its start-up (the classification
    # table's load, mostly), subtracted for the steady-state figures.
    empty = os.path.join(cache_dir(), "empty.log")
    open(empty, "w").close()
    for mix in mixes:
        path = input_file(mix, a.lines, a.seed)
        res = results[mix] = {}
        size = os.path.getsize(path)
        print("== %s: %s lines, %.1f MB, %s" % (mix, n(a.lines), size / 1e6, INPUTS[mix]),
              flush=True)
        fw = {(b.label, c): [] for b in builds for c, _ in b.configs}
        up = {(b.label, c): [] for b in builds for c, _ in b.configs}
        wc = []
        for r in range(a.runs):  # interleaved, so that a slow minute hits every build
            for b in (builds if r % 2 == 0 else builds[::-1]):
                for c, extra in b.configs:
                    fw[(b.label, c)].append(run_forwarder(b, extra, path, a.lines, err))
                    up[(b.label, c)].append(run_forwarder(b, extra, empty, 0, err))
            wc.append(run_wc(path))
        res["wc"] = median_rates(wc, a.lines * WC_REPEAT)
        print("  wc -l (read floor): %s lines/CPU-s, %s lines/s, peak RSS %s"
              % (n(res["wc"][0]), n(res["wc"][1]), mb(res["wc"][2])))
        if not a.no_syslog_ng:
            s = [x for x in (run_sng(path) for _ in range(a.sng_runs)) if x]
            if s:
                res["sng"] = (statistics.median(x[0] for x in s), max(x[1] for x in s))
                print("  syslog-ng tuned (median of %d): %s lines/CPU-s, peak RSS %s"
                      % (len(s), n(res["sng"][0]), mb(res["sng"][1])))
            else:
                print("  syslog-ng: not installed, skipped")
        for b in builds:
            p = run_parse(b, path, a.runs)
            if p:
                res[(b.label, "parse")] = p
                print("  [%s] bench_parse -m parse: %s lines/CPU-s = %.1f%% of wc -l, peak RSS %s"
                      % (b.label, n(p[0]), 100 * p[0] / res["wc"][0], mb(p[1])))
            one = None
            for c, _ in b.configs:
                r = median_rates(fw[(b.label, c)], a.lines)
                su = (statistics.median(x[0] for x in up[(b.label, c)]),
                      statistics.median(x[1] for x in up[(b.label, c)]))
                # Lines per CPU-second and per wall-second of the lines alone:
                # the medians of the runs less the median start-up.
                cpu = statistics.median(x[0] for x in fw[(b.label, c)]) - su[0]
                wall = statistics.median(x[1] for x in fw[(b.label, c)]) - su[1]
                r = res[(b.label, c)] = r + (a.lines / cpu, a.lines / wall, su)
                extra = ""
                if "sng" in res:
                    extra += ", %.1fx syslog-ng per CPU-s (%.1fx after start-up)" % (
                        r[0] / res["sng"][0], r[3] / res["sng"][0])
                if one:
                    extra += ", %.2fx one worker's lines/s (%.2fx after start-up)" % (
                        r[1] / one[1], r[4] / one[4])
                one = one or r
                print("  [%s] forward %s: %s lines/CPU-s, %s lines/s, peak RSS %s%s\n"
                      "  [%s] forward %s after start-up (%.3f CPU-s, %.3f s): %s lines/CPU-s, "
                      "%s lines/s"
                      % (b.label, c, n(r[0]), n(r[1]), mb(r[2]), extra,
                         b.label, c, su[0], su[1], n(r[3]), n(r[4])), flush=True)
    if a.tcp and "realistic" in mixes:
        print("== tcp")
        bench_tcp(builds, input_file("realistic", a.lines, a.seed), a.runs)
    print("load average at end: %.2f %.2f %.2f" % os.getloadavg())

    print("== summary (medians of %d runs, %s lines per input)" % (a.runs, n(a.lines)))

    def verdict(ok):
        return "met" if ok else "NOT met"

    for b in builds:
        one_cfg = b.configs[0][0]
        print("[%s]" % b.label)
        r = results.get("realistic", {}).get((b.label, one_cfg))
        if r:
            print("  realistic mix, one worker: %s lines/CPU-s (%s after start-up); "
                  "target >= 1,000,000: %s (%s after start-up)"
                  % (n(r[0]), n(r[3]), verdict(r[0] >= 1e6), verdict(r[3] >= 1e6)))
        rr = results.get("random", {})
        if (b.label, one_cfg) in rr and "sng" in rr:
            r = rr[(b.label, one_cfg)]
            x, y = r[0] / rr["sng"][0], r[3] / rr["sng"][0]
            print("  random-address file, one worker / syslog-ng tuned (lines/CPU-s): %s / %s = "
                  "%.1fx (%.1fx after start-up); target >= 20x: %s (%s after start-up)"
                  % (n(r[0]), n(rr["sng"][0]), x, y, verdict(x >= 20), verdict(y >= 20)))
        if len(b.configs) == 2:
            for mix in mixes:
                r1, r2 = (results[mix][(b.label, c)] for c, _ in b.configs)
                x, y = r2[1] / r1[1], r2[4] / r1[4]
                print("  %s, 2 workers / 1 worker (lines/s): %s / %s = %.2fx (%.2fx after "
                      "start-up); target >= 1.7x: %s (%s after start-up)"
                      % (mix, n(r2[1]), n(r1[1]), x, y, verdict(x >= 1.7), verdict(y >= 1.7)))
        else:
            print("  2 workers / 1 worker: not measured (%s)" % b.note)
        for mix in mixes:
            p = results[mix].get((b.label, "parse"))
            if p:
                x = p[0] / results[mix]["wc"][0]
                y = p[0] / results[mix]["wc"][1]
                print("  %s, parse-only / wc -l (lines/CPU-s): %s / %s = %.1f%%; target >= 25%%: %s"
                      " (%.1f%% of wc -l's lines per wall-second, which count the waits for a"
                      " CPU of a busy machine)"
                      % (mix, n(p[0]), n(results[mix]["wc"][0]), 100 * x, verdict(x >= 0.25),
                         100 * y))
        if b is not builds[0]:
            base = builds[0]
            for mix in mixes:
                now = results[mix][(b.label, one_cfg)][0]
                was = results[mix][(base.label, base.configs[0][0])][0]
                now2 = results[mix][(b.label, one_cfg)][3]
                was2 = results[mix][(base.label, base.configs[0][0])][3]
                print("  %s, one worker, lines/CPU-s against %s: %+.1f%% (%+.1f%% after start-up)"
                      % (mix, base.label, 100 * (now - was) / was, 100 * (now2 - was2) / was2))


if __name__ == "__main__":
    main()

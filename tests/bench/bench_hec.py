#!/usr/bin/env python3
"""HEC throughput end to end: ipv6probe-forward -c CONFIG FILE reading
netfilter lines, parsing and tagging them, and posting them through its HEC
output (gzip on, acks on, disk spool with an fsync per batch) to a counting
receiver on loopback that inflates every body and counts every event; then
syslog-ng's http() destination (or splunk-hec-event() where the installed
syslog-ng has it) sending the same events (the forwarder's JSON) to the same
receiver.  Medians of --runs.

    python3 tests/bench/bench_hec.py --forwarder BUILD/forwarder/ipv6probe-forward \
        [--receiver BUILD/tests/bench/hec_count_receiver] [--events N]

The receiver is tests/bench/hec_count_receiver.c (`ninja -C BUILD
tests/bench/hec_count_receiver`): the Python receiver decompresses and
parses about 190,000 events/s on a whole core, which on a 2-core machine
would measure the receiver, not the forwarder.  --python-receiver uses it
anyway.  The forwarder's CPU per event is its user + system time from
/proc/PID/stat, read when it has exited but is not yet reaped.

Not part of the test suite (run on demand).  syslog-ng's http() needs
Debian's syslog-ng-mod-http; run as root, the script installs it with
apt-get when it is missing.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "forwarder", "hec"))
sys.path.insert(0, os.path.join(HERE, "..", "forwarder"))
import fwdlib as F  # noqa: E402
from hec_harness import Receiver  # noqa: E402

TOKEN = "4a8d2b7e-0c6f-4e1a-9b3d-2f5e8c7a1d90"
CHANNEL = "0f3c6a2e-9b1d-4e7a-8c5f-2d4b6e8a1c3f"
TICK = os.sysconf("SC_CLK_TCK")


class CountReceiver:
    """hec_count_receiver on an ephemeral loopback port."""

    def __init__(self, exe, workdir):
        port_file = os.path.join(workdir, "count.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.proc = subprocess.Popen([exe, "--token", TOKEN, "--port-file", port_file],
                                     stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("hec_count_receiver did not start")
            time.sleep(0.01)
        with open(port_file) as f:
            self.port = int(f.read())
        self.url = "http://127.0.0.1:%d" % self.port

    def stats(self):
        with urllib.request.urlopen(self.url + "/__hec/stats", timeout=10) as r:
            return json.loads(r.read())

    def cpu(self):
        return proc_cpu(self.proc.pid)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait()


def receiver(a, workdir):
    if a.python_receiver:
        return Receiver(["--token", TOKEN + ":ack", "--count-only"], out=False)
    return CountReceiver(a.receiver, workdir)


def proc_cpu(pid):
    """User + system seconds of a process (all its threads) from /proc."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def make_lines(path, n):
    with open(path, "w") as f:
        for i in range(n):
            f.write(F.line(i % 2000000, tag=1 + i // 2000000) + "\n")


def make_events(forwarder, lines_path, path):
    """The forwarder's own events for those lines, for syslog-ng to send."""
    with open(path, "wb") as out:
        subprocess.run([forwarder, "--stdout", lines_path], stdout=out,
                       stderr=subprocess.DEVNULL, check=True)


def wait_events(recv, n, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if recv.stats()["events"] >= n:
            return True
        time.sleep(0.02)
    return False


def run_forwarder(a, lines_path, n, workdir):
    with receiver(a, workdir) as r:
        spool = tempfile.mkdtemp(prefix="spool-", dir=workdir)
        cfg = {"outputs": {"stdout": False, "hec": {
            "endpoints": [r.url], "token_env": "HEC_TOKEN", "gzip": 1,
            "batch": {"events": 5000, "bytes": "4MiB", "time_ms": 200},
            "acks": {"enabled": True, "poll_interval_ms": 100},
            "spool": {"dir": spool, "fsync": "batch"}}},
            "stats": {"events": False}, "shutdown": {"deadline_ms": 600000}}
        cfg_path = os.path.join(workdir, "forward.yaml")
        with open(cfg_path, "w") as f:
            json.dump(cfg, f)  # JSON is YAML's flow style
        env = dict(os.environ, HEC_TOKEN=TOKEN, TZ="UTC")
        rcpu0 = r.cpu() if hasattr(r, "cpu") else 0.0
        t0 = time.monotonic()
        p = subprocess.Popen([a.forwarder, "-c", cfg_path, lines_path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        err = p.stderr.read()
        # Exited but not reaped: /proc still has its final CPU times.
        os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
        wall = time.monotonic() - t0
        cpu = proc_cpu(p.pid)
        rc = p.wait()
        rcpu = (r.cpu() - rcpu0) if hasattr(r, "cpu") else 0.0
        got = r.stats()["events"]
        shutil.rmtree(spool, ignore_errors=True)
        if rc != 0 or got != n:
            raise SystemExit("forwarder run failed: rc=%d, %d of %d events: %s"
                             % (rc, got, n, err.decode(errors="replace")[-2000:]))
        return n / wall, cpu / n, rcpu / n


def syslog_ng_module(name):
    for d in ("/usr/lib/syslog-ng/3.38", "/usr/lib/x86_64-linux-gnu/syslog-ng"):
        if os.path.exists(os.path.join(d, "lib%s.so" % name)):
            return True
    return False


def has_splunk_hec_event():
    scl = "/usr/share/syslog-ng/include/scl"
    if not os.path.isdir(scl):
        return False
    for root, _, files in os.walk(scl):
        for f in files:
            try:
                with open(os.path.join(root, f), errors="replace") as fh:
                    if "splunk-hec-event" in fh.read():
                        return True
            except OSError:
                pass
    return False


def run_syslog_ng(a, events_path, n, workdir):
    with receiver(a, workdir) as r:
        url = r.url + "/services/collector/event"
        conf = os.path.join(workdir, "syslog-ng.conf")
        with open(conf, "w") as f:
            f.write("""@version: 3.38
options { stats-freq(0); log-fifo-size(200000); };
source s { file("%s" flags(no-parse) follow-freq(0.1) log-fetch-limit(10000)
                log-iw-size(200000)); };
destination d { http(url("%s") method("POST")
    headers("Authorization: Splunk %s", "X-Splunk-Request-Channel: %s")
    body-suffix("\\n") batch-lines(5000) batch-bytes(2097152) batch-timeout(200)
    workers(2) body("{\\"time\\":$R_UNIXTIME,\\"host\\":\\"gw1\\",\\"event\\":$MSG}")); };
log { source(s); destination(d); flags(flow-control); };
""" % (events_path, url, TOKEN, CHANNEL))
        cmd = ["syslog-ng", "-F", "-f", conf, "-R", os.path.join(workdir, "persist"),
               "-p", os.path.join(workdir, "pid"), "-c", os.path.join(workdir, "ctl")]
        for p in ("persist", "pid", "ctl"):
            try:
                os.unlink(os.path.join(workdir, p))
            except OSError:
                pass
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = wait_events(r, n, 300)
        wall = time.monotonic() - t0
        cpu = proc_cpu(proc.pid)
        proc.terminate()
        proc.wait()
        if not ok:
            raise SystemExit("syslog-ng delivered %d of %d" % (r.stats()["events"], n))
        return n / wall, cpu / n


def ensure_http_module():
    """syslog-ng's http() is in Debian's syslog-ng-mod-http."""
    if syslog_ng_module("http"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing syslog-ng-mod-http with apt-get")
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.call(["apt-get", "install", "-y", "-q", "syslog-ng-mod-http"], env=env,
                        stdout=subprocess.DEVNULL)
    return syslog_ng_module("http")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--forwarder", required=True)
    ap.add_argument("--receiver", help="hec_count_receiver (default: next to the forwarder's "
                    "build, tests/bench/hec_count_receiver)")
    ap.add_argument("--python-receiver", action="store_true",
                    help="count with tests/forwarder/hec/hec_receiver.py --count-only instead")
    ap.add_argument("--events", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-syslog-ng", action="store_true")
    a = ap.parse_args()
    if not a.python_receiver:
        if not a.receiver:
            build = os.path.dirname(os.path.dirname(os.path.abspath(a.forwarder)))
            a.receiver = os.path.join(build, "tests", "bench", "hec_count_receiver")
        if not os.path.exists(a.receiver):
            raise SystemExit("%s: not built (ninja -C BUILD tests/bench/hec_count_receiver)"
                             % a.receiver)
    work = tempfile.mkdtemp(prefix="bench-hec-")
    try:
        lines = os.path.join(work, "fw.log")
        make_lines(lines, a.events)
        events = os.path.join(work, "events.jsonl")
        make_events(a.forwarder, lines, events)
        print("%d netfilter lines, %.0f bytes each; events %.0f bytes of JSON each; receiver %s"
              % (a.events, os.path.getsize(lines) / a.events, os.path.getsize(events) / a.events,
                 "hec_receiver.py --count-only" if a.python_receiver else "hec_count_receiver"))
        ours = [run_forwarder(a, lines, a.events, work) for _ in range(a.runs)]
        eps = statistics.median(x[0] for x in ours)
        cpu = statistics.median(x[1] for x in ours)
        rcpu = statistics.median(x[2] for x in ours)
        print("ipv6probe-forward -> HEC (parse, tag, gzip 1, acks, disk spool): %.0f events/s, "
              "%.2f us CPU/event (receiver %.2f us/event) (runs: %s)"
              % (eps, cpu * 1e6, rcpu * 1e6, ", ".join("%.0f" % x[0] for x in ours)))
        if a.no_syslog_ng:
            return
        if not shutil.which("syslog-ng"):
            print("syslog-ng not installed; comparison skipped")
            return
        if has_splunk_hec_event():
            print("syslog-ng has splunk-hec-event(); this script drives http() in both cases")
        if not ensure_http_module():
            print("syslog-ng http(): module missing (apt-get install syslog-ng-mod-http); "
                  "comparison skipped")
            return
        theirs = [run_syslog_ng(a, events, a.events, work) for _ in range(a.runs)]
        seps = statistics.median(x[0] for x in theirs)
        scpu = statistics.median(x[1] for x in theirs)
        print("syslog-ng 3.38 http() (the same events, no parsing, no gzip, no acks): "
              "%.0f events/s, %.2f us CPU/event (runs: %s)"
              % (seps, scpu * 1e6, ", ".join("%.0f" % x[0] for x in theirs)))
        print("ratio ipv6probe-forward / syslog-ng: %.2fx the events/s, %.2fx the CPU per event"
              % (eps / seps, cpu / scpu))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

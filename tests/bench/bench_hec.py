#!/usr/bin/env python3
"""HEC throughput: the HEC client (hec_driver: spool + hec.c) posting to the
receiver in --count-only mode on loopback, gzip on, acks on; then syslog-ng's
http() destination (or splunk-hec-event() where the installed syslog-ng has
it) sending the same events to the same receiver.  Medians of --runs.

    python3 tests/bench/bench_hec.py --driver BUILD/tests/hec/hec_driver [--events N]

Not part of the test suite (run on demand).  syslog-ng needs Debian's
syslog-ng-mod-http for http(); without it that half is skipped.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hec"))
from hec_harness import Receiver  # noqa: E402

TOKEN = "4a8d2b7e-0c6f-4e1a-9b3d-2f5e8c7a1d90"
CHANNEL = "0f3c6a2e-9b1d-4e7a-8c5f-2d4b6e8a1c3f"


def make_events(path, n):
    """Events shaped like the forwarder's (schema 1), about 450 bytes each."""
    with open(path, "w") as f:
        for i in range(n):
            ev = {"schema": 1, "time": "1795798800.%06d" % (i % 1000000), "dvc": "gw1",
                  "vendor_product": "linux:iptables", "rule": "IPT6-DROP", "action": "blocked",
                  "direction": "inbound", "src_interface": "eth0",
                  "src_mac": "12:52:8d:35:65:90", "protocol_version": 6,
                  "src": "2001:db8:%x::%x" % (i % 4096, i), "dest": "2001:db8:1::%x" % (i % 97),
                  "transport": "tcp", "protocol_number": 6, "src_port": 40000 + i % 20000,
                  "dest_port": 22 + i % 1000, "hop_limit": 57, "flow_label": i % 1048576,
                  "traffic_class": 0, "bytes": 80, "tcp_flag": ["SYN"],
                  "src_iid": "randomized", "dest_iid": "low_byte",
                  "src_block": "global_unicast", "dest_block": "documentation",
                  "tags": ["port_scan"]}
            f.write(json.dumps(ev, separators=(",", ":")) + "\n")


def wait_events(recv, n, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if recv.stats()["events"] >= n:
            return True
        time.sleep(0.02)
    return False


def run_driver(driver, events_path, n, workdir):
    with Receiver(["--token", TOKEN + ":ack", "--count-only"], out=False) as r:
        spool = tempfile.mkdtemp(prefix="spool-", dir=workdir)
        env = dict(os.environ, HEC_TOKEN=TOKEN)
        stats = os.path.join(workdir, "stats.json")
        cmd = [driver, "--url", r.url, "--token-env", "HEC_TOKEN", "--gzip", "1", "--acks",
               "--ack-poll-ms", "100", "--batch-events", "5000", "--batch-bytes", "2097152",
               "--spool-dir", spool, "--stats", stats]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        with open(events_path, "rb") as f:
            rc = subprocess.call(cmd, stdin=f, stdout=subprocess.DEVNULL, env=env)
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        got = r.stats()["events"]
        shutil.rmtree(spool, ignore_errors=True)
        if rc != 0 or got != n:
            raise SystemExit("driver run failed: rc=%d, %d of %d events" % (rc, got, n))
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return n / wall, cpu / n


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


def run_syslog_ng(events_path, n, workdir):
    with Receiver(["--token", TOKEN + ":ack", "--count-only"], out=False) as r:
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
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        ok = wait_events(r, n, 300)
        wall = time.monotonic() - t0
        proc.terminate()
        proc.wait()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if not ok:
            raise SystemExit("syslog-ng delivered %d of %d" % (r.stats()["events"], n))
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return n / wall, cpu / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--events", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bench-hec-")
    try:
        events = os.path.join(work, "events.jsonl")
        make_events(events, a.events)
        print("events: %d, %.0f bytes each" % (a.events, os.path.getsize(events) / a.events))
        ours = [run_driver(a.driver, events, a.events, work) for _ in range(a.runs)]
        eps = statistics.median(x[0] for x in ours)
        cpu = statistics.median(x[1] for x in ours)
        print("hec client (gzip 1, acks, disk spool): %.0f events/s, %.2f us CPU/event "
              "(runs: %s)" % (eps, cpu * 1e6, ", ".join("%.0f" % x[0] for x in ours)))
        if has_splunk_hec_event():
            print("syslog-ng has splunk-hec-event(); this script drives http() in both cases")
        if not syslog_ng_module("http"):
            print("syslog-ng http(): module missing (apt-get install syslog-ng-mod-http); "
                  "comparison skipped")
            return
        theirs = [run_syslog_ng(events, a.events, work) for _ in range(a.runs)]
        seps = statistics.median(x[0] for x in theirs)
        scpu = statistics.median(x[1] for x in theirs)
        print("syslog-ng 3.38 http() (no gzip, no acks): %.0f events/s, %.2f us CPU/event "
              "(runs: %s)" % (seps, scpu * 1e6, ", ".join("%.0f" % x[0] for x in theirs)))
        print("ratio hec client / syslog-ng: %.2fx events/s, %.2fx less CPU per event"
              % (eps / seps, scpu / cpu))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

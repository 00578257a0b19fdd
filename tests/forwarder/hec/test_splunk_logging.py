#!/usr/bin/env python3
"""Splunk's own HEC client (npm splunk-logging) must be accepted by the receiver.

Starts hec_receiver.py, runs test_splunk_logging.js against it with node, and
checks that exactly the events the client sent were stored, unchanged.
Exits 77 (skip) when node or the npm package is not available.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hec_harness import Receiver  # noqa: E402

SKIP = 77
TOKEN = "4a8d2b7e-0c6f-4e1a-9b3d-2f5e8c7a1d90"
DISABLED = "5b9e3c8f-1d7a-4f2b-8c4e-3a6f9d8b2e01"
BAD = "ffffffff-0000-4000-8000-000000000000"


def main():
    node = os.environ.get("NODE") or shutil.which("node") or shutil.which("nodejs")
    if not node:
        print("SKIP: node is not installed")
        return SKIP
    if not os.path.isdir(os.path.join(HERE, "node_modules", "splunk-logging")):
        print("SKIP: npm package splunk-logging is not installed "
              "(run `npm ci` in tests/forwarder/hec)")
        return SKIP
    tls_dir = tempfile.mkdtemp(prefix="hec-tls-")
    try:
        results = [run(node, None)]
        openssl = shutil.which("openssl")
        if openssl:
            cert, key = os.path.join(tls_dir, "cert.pem"), os.path.join(tls_dir, "key.pem")
            subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "2",
                            "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
            results.append(run(node, (cert, key)))
        else:
            print("note: openssl missing, HTTPS run skipped")
    finally:
        shutil.rmtree(tls_dir, ignore_errors=True)
    if SKIP in results:
        return SKIP
    passed = results.count(0)
    print("%d passed, %d failed" % (passed, len(results) - passed))
    return 0 if passed == len(results) else 1


def run(node, tls):
    """One run of the node client against a fresh receiver; 0 = all good."""
    scheme = "https" if tls else "http"
    with Receiver(["--token", TOKEN, "--token", DISABLED + ":disabled"],
                  tls=tls) as r:
        env = dict(os.environ, HEC_URL=r.url, HEC_TOKEN=TOKEN,
                   HEC_BAD_TOKEN=BAD, HEC_DISABLED_TOKEN=DISABLED)
        p = subprocess.run([node, os.path.join(HERE, "test_splunk_logging.js")],
                           cwd=HERE, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        sys.stderr.write(p.stderr.decode("utf-8", "replace"))
        if p.returncode == SKIP:
            print("SKIP: test_splunk_logging.js could not load splunk-logging")
            return SKIP
        if p.returncode != 0:
            print("FAIL (%s): node script exited %d" % (scheme, p.returncode))
            print(p.stdout.decode("utf-8", "replace"))
            return 1
        report = json.loads(p.stdout)
        records = r.events()
        stats = r.stats()

    failures = []
    sent = report["sent"]
    if len(records) != len(sent):
        failures.append("stored %d events, client sent %d" % (len(records), len(sent)))
    for i, (want, got) in enumerate(zip(sent, records)):
        env = got["envelope"]
        exp_event = {"message": want["message"], "severity": want["severity"]}
        if env.get("event") != exp_event:
            failures.append("event %d: stored %r, sent %r" % (i, env.get("event"), exp_event))
        for k in ("host", "source", "sourcetype", "index"):
            if env.get(k) != want["metadata"].get(k):
                failures.append("event %d: %s stored %r, sent %r"
                                % (i, k, env.get(k), want["metadata"].get(k)))
        t = env.get("time")
        if not (isinstance(t, str) and re.match(r"^[0-9]+\.[0-9]{3}$", t)):
            failures.append("event %d: time %r is not the client's decimal string" % (i, t))
        if want["message"] == "with time" and t != "1717000000.123":
            failures.append("explicit time stored as %r" % t)
    # request grouping: 4 single + 1 batch of 4 + 1 flush of 3 = 6 accepted requests
    reqs = sorted({rec["req"] for rec in records})
    if len(reqs) != 6:
        failures.append("events arrived in %d requests, want 6" % len(reqs))
    if stats["by_code"].get("4") != 1 or stats["by_code"].get("1") != 1:
        failures.append("bad/disabled token replies not seen: %r" % stats["by_code"])
    for f in failures:
        print("FAIL (%s): %s" % (scheme, f))
    if not failures:
        print("ok: %s run, %d events as sent" % (scheme, len(sent)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

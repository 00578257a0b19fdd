"""The HEC client (forwarder/hec/, through tests/forwarder/hec/hec_driver)
against the strict receiver, over loopback.  Every test asserts the exact
set of events that arrived.

    HEC_DRIVER=/path/to/hec_driver python3 tests/forwarder/hec/test_hec_client.py

HEC_LONG_OUTAGE=0 shortens the one-minute outage test to a few seconds.
"""

import collections
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hec_harness import Receiver, retry_gaps  # noqa: E402

DRIVER = os.environ.get("HEC_DRIVER", "")
TOKEN = "4a8d2b7e-0c6f-4e1a-9b3d-2f5e8c7a1d90"
DISABLED = "7c1e9f20-5b3a-4d8e-a6f1-0e2d4c6b8a13"
LONG_OUTAGE = os.environ.get("HEC_LONG_OUTAGE", "1") != "0"


def make_events(n, start=0, tag="e"):
    out = []
    for i in range(start, start + n):
        ev = {"time": "17%08d.%06d" % (i // 1000, i % 1000 * 7), "dvc": "gw%d" % (i % 3),
              "id": "%s%d" % (tag, i), "src": "2001:db8::%x" % i, "dest_port": i % 65536,
              "tags": ["t%d" % (i % 4)], "msg": "quote \" back \\ nl \n tab \t"}
        out.append(json.dumps(ev, separators=(",", ":")))
    return out


def ids_of(lines):
    return [json.loads(l)["id"] for l in lines]


def received_ids(recv):
    return [r["envelope"]["event"]["id"] for r in recv.events()]


class Driver:
    """One run of hec_driver; stdin may be fed while it runs."""

    def __init__(self, urls, workdir, args=(), token_file=None, token=TOKEN):
        self.stats_path = os.path.join(workdir, "stats-%d.json" % time.monotonic_ns())
        self.stderr_path = self.stats_path + ".err"
        cmd = [DRIVER]
        for u in urls:
            cmd += ["--url", u]
        env = dict(os.environ)
        if token_file:
            cmd += ["--token-file", token_file]
        else:
            env["HEC_TOKEN"] = token
            cmd += ["--token-env", "HEC_TOKEN"]
        cmd += ["--stats", self.stats_path, "--backoff-initial-ms", "50",
                "--backoff-max-ms", "1000", "--batch-time-ms", "20"]
        cmd += list(args)
        self._err = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, env=env)
        self.committed = 0

    def feed(self, lines):
        self.proc.stdin.write(("\n".join(lines) + "\n").encode())
        self.proc.stdin.flush()

    def finish(self, timeout=120):
        self.proc.stdin.close()
        out = self.proc.stdout.read().decode()
        self.proc.stdout.close()
        rc = self.proc.wait(timeout)
        self._err.close()
        for line in out.split("\n"):
            if line.startswith("committed "):
                self.committed = int(line.split()[1])
        return rc

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self._err.close()
        out = self.proc.stdout.read().decode()
        self.proc.stdout.close()
        for line in out.split("\n"):
            if line.startswith("committed "):
                self.committed = int(line.split()[1])

    def stats(self):
        with open(self.stats_path) as f:
            return json.load(f)

    def stderr(self):
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")


def run(urls, workdir, lines, args=(), **kw):
    d = Driver(urls, workdir, args, **kw)
    d.feed(lines)
    rc = d.finish()
    return rc, d


@unittest.skipUnless(DRIVER and os.path.exists(DRIVER), "HEC_DRIVER not built")
class HecClientTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="hec-client-")
        self.receivers = []

    def tearDown(self):
        for r in self.receivers:
            r.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def receiver(self, *args, ack=True):
        tok = TOKEN + (":ack" if ack else "")
        r = Receiver(["--token", tok, "--token", DISABLED + ":disabled"] + list(args))
        self.receivers.append(r)
        return r

    def assertExactlyOnce(self, got, want):
        dup = [k for k, c in collections.Counter(got).items() if c > 1]
        self.assertEqual(dup, [], "duplicates")
        self.assertEqual(sorted(got), sorted(want))

    def assertAllArrived(self, got, want):
        self.assertEqual(set(got), set(want))

    # ---- every event once and unchanged ----

    def test_batches_gzip_acks(self):
        cases = [  # events, batch events, gzip level, acks
            (30, 1, 0, False), (30, 1, 6, True), (2000, 10, 1, True), (3000, 100, 0, False),
            (10000, 10000, 6, True), (20000, 10000, 0, False), (25000, 5000, 1, True)]
        for n, batch, gz, acks in cases:
            with self.subTest(n=n, batch=batch, gzip=gz, acks=acks):
                r = self.receiver(ack=acks)
                lines = make_events(n, tag="b%d-%d-%d-" % (batch, gz, acks))
                args = ["--batch-events", str(batch), "--gzip", str(gz), "--ack-poll-ms", "50",
                        "--sourcetype", "ipv6probe:event", "--index", "main",
                        "--source", "fw:test", "--field", "src", "--field", "tags",
                        "--field", "dest_port"]
                if acks:
                    args.append("--acks")
                rc, d = run([r.url], self.dir, lines, args)
                self.assertEqual(rc, 0, d.stderr())
                recs = r.events()
                self.assertExactlyOnce([x["envelope"]["event"]["id"] for x in recs], ids_of(lines))
                by_id = {json.loads(l)["id"]: json.loads(l) for l in lines}
                for x in recs:
                    env = x["envelope"]
                    ev = by_id[env["event"]["id"]]
                    self.assertEqual(env["event"], ev)  # unchanged
                    self.assertEqual(env["host"], ev["dvc"])
                    self.assertAlmostEqual(env["time"], float(ev["time"]), places=5)
                    self.assertEqual(env["sourcetype"], "ipv6probe:event")
                    self.assertEqual(env["index"], "main")
                    self.assertEqual(env["source"], "fw:test")
                    self.assertEqual(env["fields"], {"src": ev["src"], "tags": ev["tags"],
                                                     "dest_port": str(ev["dest_port"])})
                    self.assertEqual("ackId" in x, acks)
                st = r.stats()
                self.assertGreaterEqual(st["accepted_requests"], -(-n // batch))
                self.assertEqual(st["gzip_requests"] > 0, gz > 0)
                ds = d.stats()
                self.assertEqual(ds["events_delivered"], n)
                self.assertEqual(ds["acks_true"] > 0, acks)
                r.cleanup()
                self.receivers.remove(r)

    def test_batch_bytes(self):
        r = self.receiver()
        lines = make_events(3000, tag="bytes")
        rc, d = run([r.url], self.dir, lines, ["--batch-events", "100000", "--batch-bytes",
                                               "20000", "--gzip", "1"])
        self.assertEqual(rc, 0, d.stderr())
        self.assertExactlyOnce(received_ids(r), ids_of(lines))
        size = sum(len(l) for l in lines)
        self.assertGreaterEqual(r.stats()["accepted_requests"], size // 20000)

    # ---- faults ----

    def test_receiver_down_then_back(self):
        outage = 60 if LONG_OUTAGE else 4
        r = self.receiver()
        lines = make_events(6000, tag="down")
        d = Driver([r.url], self.dir, ["--acks", "--ack-poll-ms", "100", "--gzip", "1",
                                       "--batch-events", "200", "--backoff-max-ms", "2000",
                                       "--drain-timeout-ms", str((outage + 60) * 1000)])
        d.feed(lines[:2000])
        time.sleep(1.0)
        r.control("POST", "down?seconds=%d" % outage)
        t0 = time.monotonic()
        d.feed(lines[2000:])
        rc = d.finish(timeout=outage + 120)
        self.assertEqual(rc, 0, d.stderr())
        self.assertGreaterEqual(time.monotonic() - t0, outage - 1)
        self.assertAllArrived(received_ids(r), ids_of(lines))
        st = d.stats()
        self.assertGreater(st["transport_errors"] + st["health_failures"], 0)
        self.assertGreaterEqual(st["endpoint_down"], 1)
        self.assertGreaterEqual(st["endpoint_up"], 1)
        # Duplicates only of batches that were out when the receiver went away.
        got = received_ids(r)
        self.assertLessEqual(len(got) - len(set(got)), st["events_resent"])

    def test_half_of_requests_503(self):
        r = self.receiver()
        r.set_faults("busy percent=50", seed=7)
        lines = make_events(5000, tag="busy")
        rc, d = run([r.url], self.dir, lines, ["--batch-events", "100", "--gzip", "1",
                                               "--acks", "--ack-poll-ms", "50",
                                               "--backoff-max-ms", "200"])
        self.assertEqual(rc, 0, d.stderr())
        self.assertExactlyOnce(received_ids(r), ids_of(lines))
        st = d.stats()
        self.assertGreater(st["http_5xx"], 10)
        self.assertEqual(st["retries"], st["http_5xx"])

    def test_429_backpressure(self):
        r = self.receiver()
        r.set_faults("429 count=4 retry-after=1")
        lines = make_events(1000, tag="bp")
        rc, d = run([r.url], self.dir, lines, ["--batch-events", "1000", "--acks",
                                               "--ack-poll-ms", "50", "--max-inflight", "1"])
        self.assertEqual(rc, 0, d.stderr())
        self.assertExactlyOnce(received_ids(r), ids_of(lines))
        self.assertEqual(d.stats()["http_429"], 4)
        # Retry-After: 1 s honoured each time, counted from the answer.
        gaps = retry_gaps(r.stats()["timeline"], 429)
        self.assertEqual(len(gaps), 4)
        self.assertGreaterEqual(min(gaps), 1.0, gaps)

    def test_acks_never_answered(self):
        r = self.receiver()
        r.set_faults("ack-never after=2 count=1")
        lines = make_events(1000, tag="ackn")
        rc, d = run([r.url], self.dir, lines, ["--batch-events", "100", "--acks",
                                               "--ack-poll-ms", "50", "--ack-timeout-ms",
                                               "1500", "--max-inflight", "1"])
        self.assertEqual(rc, 0, d.stderr())
        got = received_ids(r)
        self.assertAllArrived(got, ids_of(lines))
        dups = sorted(k for k, c in collections.Counter(got).items() if c > 1)
        # Exactly the third batch (ids 200..299) arrived twice.
        self.assertEqual(dups, sorted("ackn%d" % i for i in range(200, 300)))
        st = d.stats()
        self.assertEqual(st["ack_timeouts"], 1)
        self.assertEqual(st["events_resent"], 100)
        self.assertIn("did not acknowledge", d.stderr())

    def test_partial_failure(self):
        r = self.receiver()
        r.set_faults('reject match="part1234x" code=6')
        lines = make_events(3000, tag="part")
        bad = [i for i, l in enumerate(lines) if '"part1234"' in l][0]
        lines[bad] = lines[bad].replace('"part1234"', '"part1234x"')
        dead = os.path.join(self.dir, "dead.jsonl")
        rc, d = run([r.url], self.dir, lines, ["--batch-events", "500", "--gzip", "6",
                                               "--acks", "--ack-poll-ms", "50",
                                               "--dead-letter", dead])
        self.assertEqual(rc, 0, d.stderr())
        want = ids_of(lines)
        want.remove("part1234x")
        self.assertExactlyOnce(received_ids(r), want)
        with open(dead) as f:
            dl = [json.loads(l) for l in f]
        self.assertEqual(len(dl), 1)
        self.assertEqual(dl[0]["event"]["event"]["id"], "part1234x")
        self.assertEqual(dl[0]["code"], 6)
        self.assertEqual(dl[0]["status"], 400)
        self.assertEqual(dl[0]["text"], "Invalid data format")
        st = d.stats()
        self.assertEqual(st["partial_failures"], 1)
        self.assertEqual(st["events_dead_letter"], 1)

    def _token_refused(self, token, text):
        r = self.receiver()
        tf = os.path.join(self.dir, "token")
        with open(tf, "w") as f:
            f.write(token + "\n")
        lines = make_events(2000, tag="tok")
        d = Driver([r.url], self.dir, ["--batch-events", "100", "--acks", "--ack-poll-ms", "50",
                                       "--auth-retry-ms", "300", "--auth-warn-ms", "1000",
                                       "--spool-dir", os.path.join(self.dir, "spool"),
                                       "--drain-timeout-ms", "30000"], token_file=tf)
        d.feed(lines)
        time.sleep(1.0)
        first = r.stats()["by_endpoint"].get("event", 0)
        time.sleep(1.5)
        st = r.stats()
        self.assertEqual(st["events"], 0)
        # Sending stopped at the first refusals (those in flight together).
        self.assertLessEqual(first, 4)
        self.assertEqual(st["by_endpoint"].get("event", 0), first)
        with open(tf, "w") as f:
            f.write(TOKEN + "\n")
        rc = d.finish()
        self.assertEqual(rc, 0, d.stderr())
        self.assertExactlyOnce(received_ids(r), ids_of(lines))
        err = d.stderr()
        self.assertIn(text, err)
        self.assertGreaterEqual(err.count("refuses to take events"), 2)  # repeated loudly
        self.assertNotIn(token, err)
        self.assertNotIn(TOKEN, err)
        self.assertIn("accepts the token again", err)
        self.assertEqual(d.stats()["token_reloads"], 1)

    def test_bad_token(self):
        self._token_refused("00000000-1111-4222-8333-444444444444", "Invalid token")

    def test_disabled_token(self):
        self._token_refused(DISABLED, "Token disabled")

    def test_sigkill_and_restart(self):
        r = self.receiver()
        r.set_faults("ack-delay 1")
        spool = os.path.join(self.dir, "spool")
        lines = make_events(30000, tag="kill")
        args = ["--batch-events", "500", "--gzip", "1", "--acks", "--ack-poll-ms", "200",
                "--spool-dir", spool]
        d = Driver([r.url], self.dir, args)
        for i in range(0, 20000, 1000):
            d.feed(lines[i:i + 1000])
            time.sleep(0.05)
        deadline = time.monotonic() + 20
        while r.stats()["events"] < 5000 and time.monotonic() < deadline:
            time.sleep(0.05)
        d.kill()
        self.assertGreater(d.committed, 0)
        before = len(received_ids(r))
        self.assertLess(before, 30000)
        # Restart: the spool replays; the lines not yet durable are sent again.
        d2 = Driver([r.url], self.dir, args)
        d2.feed(lines[d.committed:])
        rc = d2.finish()
        self.assertEqual(rc, 0, d2.stderr())
        got = received_ids(r)
        self.assertAllArrived(got, ids_of(lines))
        st = d2.stats()
        dups = len(got) - len(set(got))
        self.assertGreater(st["spool_replay_pending"], 0)
        # Duplicates: only events that were spooled but not acknowledged.
        self.assertLessEqual(dups, st["spool_replay_pending"])
        self.assertIn("will be resent", d2.stderr())

    def test_spool_corruption(self):
        r = self.receiver()
        spool = os.path.join(self.dir, "spool")
        lines = make_events(3000, tag="cor")
        # No endpoint up: everything stays in the spool.
        r.control("POST", "down?seconds=3")
        rc, d = run([r.url], self.dir, lines, ["--spool-dir", spool, "--drain-timeout-ms", "500"])
        self.assertEqual(rc, 3)
        segs = sorted(f for f in os.listdir(spool) if f.startswith("seg-"))
        path = os.path.join(spool, segs[0])
        with open(path, "r+b") as f:
            data = f.read()
            pos = data.index(b'"id":"cor1500"')
            f.seek(pos + 3)
            f.write(b"X")  # damaged data: the checksum catches it
        last = os.path.join(spool, segs[-1])
        os.truncate(last, os.path.getsize(last) - 7)  # the last record torn
        time.sleep(3)
        rc, d = run([r.url], self.dir, [], ["--spool-dir", spool])
        self.assertEqual(rc, 0, d.stderr())
        want = ids_of(lines)
        want.remove("cor1500")
        want.remove("cor2999")
        self.assertExactlyOnce(received_ids(r), want)
        st = d.stats()
        self.assertEqual(st["spool_corrupt_records"], 1)
        self.assertEqual(st["spool_lost_records"], 1)
        self.assertGreater(st["spool_torn_bytes"], 0)
        err = d.stderr()
        self.assertIn("damaged record", err)
        self.assertIn("unfinished record", err)

    def test_several_endpoints(self):
        r1 = self.receiver()
        r2 = self.receiver()
        lines = make_events(8000, tag="ep")
        d = Driver([r1.url, r2.url], self.dir, ["--batch-events", "100", "--acks",
                                                "--ack-poll-ms", "50", "--gzip", "1",
                                                "--health-interval-ms", "200"])
        d.feed(lines[:4000])
        time.sleep(1.5)
        n1, n2 = r1.stats()["events"], r2.stats()["events"]
        self.assertGreater(n1, 0)
        self.assertGreater(n2, 0)  # spread over both
        r2.set_faults("unhealthy; busy")  # the second one fails and says so on /health
        # Give the health check (every 200 ms) time to see it before the rest
        # comes: on a loaded machine the second half could otherwise all be
        # sent before any request reaches the failing endpoint.
        time.sleep(1.0)
        d.feed(lines[4000:])
        rc = d.finish()
        self.assertEqual(rc, 0, d.stderr())
        got = received_ids(r1) + received_ids(r2)
        self.assertExactlyOnce(got, ids_of(lines))
        self.assertGreater(len(received_ids(r1)), n1)
        st = d.stats()
        self.assertGreaterEqual(st["endpoint_down"], 1)
        self.assertIn("taken out of rotation", d.stderr())

    def test_plain_http_needs_opt_in(self):
        d = Driver(["http://192.0.2.1:8088"], self.dir, [])
        rc = d.finish()
        self.assertEqual(rc, 1)
        self.assertIn("allow_insecure_http", d.stderr())


if __name__ == "__main__":
    unittest.main(verbosity=2)

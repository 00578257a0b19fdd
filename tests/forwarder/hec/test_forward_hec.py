"""ipv6probe-forward itself posting to the strict HEC receiver, over
loopback: `ipv6probe-forward -c CONFIG FILE` (or standard input) with an
`outputs: hec:` section.  Every test asserts the exact multiset of events
that arrived, compared with what the same forwarder writes to standard
output for the same lines.

    python3 tests/forwarder/hec/test_forward_hec.py BUILD/forwarder/ipv6probe-forward [TEST...]

HEC_LONG_OUTAGE=0 shortens the one-minute outage and the once-a-minute token
message wait to a few seconds.
"""

import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
import fwdlib as F  # noqa: E402
from hec_harness import Receiver, retry_gaps  # noqa: E402

FWD = ""
TOKEN = "4a8d2b7e-0c6f-4e1a-9b3d-2f5e8c7a1d90"
BAD_TOKEN = "00000000-1111-4222-8333-444444444444"
LONG = os.environ.get("HEC_LONG_OUTAGE", "1") != "0"
FIELDS = ["src", "dest", "action", "transport", "icmp_seq"]


def lines(n, tag=1, ladder=True):
    """n generated netfilter lines and, with ladder, a hop-limit ladder of six
    probes from another source, which the forwarder reports as one
    ipv6probe:ladder summary at the end of input."""
    out = [F.line(i, tag) for i in range(n)]
    if ladder:
        for k in range(6):
            b = F.body(60000 + k, tag + 1).replace("HOPLIMIT=57", "HOPLIMIT=%d" % (k + 1))
            b = b.replace("SRC=2001:0db8:0000:0001", "SRC=2001:0db8:0000:0009")
            out.append("Nov 27 16:59:%02d gw2 %s" % (2 + k, b))
    return out


def canon(obj):
    """An event as text for comparison.  Packet ids are drawn afresh by each
    forwarder instance, so two runs over one file differ there: only that
    an event has one, and whether it repeats an earlier line, is compared."""
    if isinstance(obj, dict) and "packet_id" in obj:
        obj = dict(obj, packet_id=True)
        if "duplicate_of" in obj:
            obj["duplicate_of"] = True
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def exit_counters(text):
    """The forwarder's "hec at exit:" line as a dict (counters at 0 are
    left out of it)."""
    m = re.findall(r"hec at exit:(.*)", text)
    if not m:
        return None
    return collections.defaultdict(int, {k: int(v) for k, v in
                                         (kv.split("=") for kv in m[-1].split())})


def envelopes(recv, sourcetype=None):
    envs = [r["envelope"] for r in recv.events()]
    if sourcetype:
        envs = [e for e in envs if e.get("sourcetype") == sourcetype]
    return envs


def seqs(envs):
    """Line numbers (fwdlib key) of the ipv6probe:event envelopes."""
    return [F.key(e["event"])[1] for e in envs if e.get("sourcetype") == "ipv6probe:event"]


class Fwd:
    """One ipv6probe-forward run; stdin is a pipe when asked for."""

    def __init__(self, workdir, cfg, args=(), stdin=False):
        self.cfg_path = os.path.join(workdir, "fwd-%d.yaml" % time.monotonic_ns())
        with open(self.cfg_path, "w") as f:
            json.dump(cfg, f, indent=1)  # JSON is YAML's flow style
        self.f = F.Forwarder(FWD, ["-c", self.cfg_path] + list(args), workdir,
                             stdin=subprocess.PIPE if stdin else None)
        self.p = self.f.p

    def feed(self, text_lines):
        self.p.stdin.write(("\n".join(text_lines) + "\n").encode())
        self.p.stdin.flush()

    def wait(self, timeout=120):
        if self.p.stdin:
            self.p.stdin.close()
        rc = self.p.wait(timeout)
        self.f.out.close()
        self.f.err.close()
        return rc

    def kill(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()
        self.f.out.close()
        self.f.err.close()

    def stderr(self):
        return self.f.stderr()

    def stdout(self):
        with open(self.f.out_path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")

    def counters(self):
        return exit_counters(self.stderr())


@unittest.skipUnless(FWD or len(sys.argv) > 1, "no forwarder given")
class ForwardHecTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="hec-fwd-")
        self.receivers = []
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write(TOKEN + "\n")

    def tearDown(self):
        for r in self.receivers:
            r.cleanup()
        shutil.rmtree(self.dir, ignore_errors=True)

    def receiver(self, *args, ack=True):
        r = Receiver(["--token", TOKEN + (":ack" if ack else "")] + list(args))
        self.receivers.append(r)
        return r

    def write_input(self, text_lines, name="in.log"):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write("\n".join(text_lines) + "\n")
        return path

    def config(self, url, batch=100, gzip=0, ack=True, spool=True, inputs=None, **hec):
        h = {"endpoints": [url], "token_file": self.token_file,
             "batch": {"events": batch, "bytes": "64MiB", "time_ms": 20},
             "gzip": gzip,
             "acks": {"enabled": ack, "poll_interval_ms": 50, "timeout_ms": 60000},
             "retry": {"initial_backoff_ms": 50, "max_backoff_ms": 1000},
             "health_interval_ms": 500,
             "index": "main", "source": "fw:test", "indexed_fields": FIELDS}
        if spool:
            h["spool"] = {"dir": os.path.join(self.dir, "spool")}
        for k, v in hec.items():
            if isinstance(v, dict) and isinstance(h.get(k), dict):
                h[k] = dict(h[k], **v)
            else:
                h[k] = v
        cfg = {"outputs": {"stdout": False, "hec": h}, "shutdown": {"deadline_ms": 150000},
               "stats": {"events": False}}
        if inputs:
            cfg["inputs"] = inputs
        return cfg

    def reference(self, path):
        """What the forwarder writes to standard output for these lines:
        events plain, ladder summaries labelled."""
        r = subprocess.run([FWD, "--stdout", path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120, env=dict(os.environ, TZ="UTC"))
        self.assertEqual(r.returncode, 0, r.stderr)
        events, ladders = [], []
        for ln in r.stdout.decode().splitlines():
            o = json.loads(ln)
            if "sourcetype" in o and "event" in o:
                if o["sourcetype"] == "ipv6probe:ladder":
                    ladders.append(o)
            else:
                events.append(o)
        return events, ladders

    def run_file(self, cfg, text_lines, timeout=180):
        path = self.write_input(text_lines)
        fw = Fwd(self.dir, cfg, [path])
        rc = fw.wait(timeout)
        self.assertEqual(rc, 0, fw.stderr())
        return fw, path

    def assertExactlyOnce(self, got, want):
        c = collections.Counter(got)
        dup = [k for k, n in c.items() if n > 1]
        self.assertEqual(dup[:5], [], "duplicates")
        # The differences alone: a diff of two long lists takes minutes.
        missing = collections.Counter(want) - c
        extra = c - collections.Counter(want)
        self.assertEqual((list(missing)[:3], list(extra)[:3]), ([], []),
                         "%d events missing, %d unexpected" % (sum(missing.values()),
                                                                sum(extra.values())))

    # ---- every event once and unchanged, with its metadata ----

    def test_metadata_batches_gzip_acks(self):
        cases = [  # events, batch events, gzip level, acks, disk spool
            (300, 1, 0, True, True), (300, 1, 6, False, False),
            (20000, 10000, 1, True, True), (20000, 10000, 0, False, False)]
        for n, batch, gz, acks, disk in cases:
            with self.subTest(n=n, batch=batch, gzip=gz, acks=acks, disk=disk):
                r = self.receiver(ack=acks)
                text = lines(n, tag=2)
                fw, path = self.run_file(self.config(r.url, batch, gz, acks, disk), text)
                want_ev, want_lad = self.reference(path)
                self.assertEqual(len(want_ev), n + 6)  # and the ladder's probes
                self.assertEqual(len(want_lad), 1)
                recs = r.events()
                envs = [x["envelope"] for x in recs]
                got_ev = [e for e in envs if e.get("sourcetype") == "ipv6probe:event"]
                got_lad = [e for e in envs if e.get("sourcetype") == "ipv6probe:ladder"]
                self.assertEqual(len(envs), len(got_ev) + len(got_lad), "other sourcetypes")
                # Unchanged: the same objects the forwarder prints, once each.
                self.assertExactlyOnce([canon(e["event"]) for e in got_ev],
                                       [canon(e) for e in want_ev])
                self.assertEqual([canon(e["event"]) for e in got_lad],
                                 [canon(x["event"]) for x in want_lad])
                for e in got_ev:
                    ev = e["event"]
                    self.assertEqual(e["host"], ev["dvc"])
                    self.assertAlmostEqual(e["time"], ev["time"], places=6)
                    self.assertEqual(e["index"], "main")
                    self.assertEqual(e["source"], "fw:test")
                    self.assertEqual(e["fields"], {f: str(ev[f]) for f in FIELDS if f in ev})
                lad = got_lad[0]
                self.assertAlmostEqual(lad["time"], want_lad[0]["time"], places=6)
                self.assertEqual((lad["index"], lad["source"]), ("main", "fw:test"))
                self.assertNotIn("fields", lad)
                self.assertTrue(all(("ackId" in x) == acks for x in recs))
                st = r.stats()
                self.assertGreaterEqual(st["accepted_requests"], -(-(n + 7) // batch))
                self.assertEqual(st["gzip_requests"] > 0, gz > 0)
                c = fw.counters()
                self.assertEqual(c["events_delivered"], n + 7)
                self.assertEqual(c["acks"] > 0, acks)
                self.assertEqual(c["events_resent"], 0)
                r.cleanup()
                self.receivers.remove(r)

    # ---- faults ----

    def test_receiver_down_then_back(self):
        """Standard input; the receiver goes away for a minute mid-stream."""
        outage = 60 if LONG else 4
        r = self.receiver()
        text = lines(6000, tag=3, ladder=False)
        cfg = self.config(r.url, 200, 1, True, inputs={"stdin": True},
                          retry={"max_backoff_ms": 2000})
        fw = Fwd(self.dir, cfg, stdin=True)
        fw.feed(text[:2000])
        deadline = time.monotonic() + 20
        while r.stats()["events"] < 2000 and time.monotonic() < deadline:
            time.sleep(0.05)
        r.control("POST", "down?seconds=%d" % outage)
        t0 = time.monotonic()
        fw.feed(text[2000:])
        rc = fw.wait(outage + 120)
        self.assertEqual(rc, 0, fw.stderr())
        self.assertGreaterEqual(time.monotonic() - t0, outage - 1)
        got = seqs(envelopes(r))
        self.assertEqual(set(got), set(range(6000)))
        c = fw.counters()
        self.assertGreater(c["transport_errors"] + c["health_failures"], 0)
        self.assertGreaterEqual(c["endpoint_down"], 1)
        self.assertGreaterEqual(c["endpoint_up"], 1)
        # Duplicates only of batches that were out when it went away.
        self.assertLessEqual(len(got) - len(set(got)), c["events_resent"])
        self.assertIn("taken out of rotation", fw.stderr())

    def test_half_of_requests_503(self):
        r = self.receiver()
        r.set_faults("busy percent=50", seed=7)
        fw, _ = self.run_file(self.config(r.url, 100, 1, True, retry={"max_backoff_ms": 200}),
                              lines(5000, tag=4, ladder=False))
        self.assertExactlyOnce(seqs(envelopes(r)), range(5000))
        c = fw.counters()
        self.assertGreater(c["http_5xx"], 10)
        self.assertEqual(c["retries"], c["http_5xx"])

    def test_429_backpressure(self):
        r = self.receiver()
        r.set_faults("429 count=4 retry-after=1")
        fw, _ = self.run_file(self.config(r.url, 1000, 0, True, max_in_flight=1),
                              lines(1000, tag=5, ladder=False))
        self.assertExactlyOnce(seqs(envelopes(r)), range(1000))
        self.assertEqual(fw.counters()["http_429"], 4)
        # Retry-After: 1 s honoured each time, counted from the answer.
        gaps = retry_gaps(r.stats()["timeline"], 429)
        self.assertEqual(len(gaps), 4)
        self.assertGreaterEqual(min(gaps), 1.0, gaps)

    def test_acks_never_answered(self):
        r = self.receiver()
        r.set_faults("ack-never after=2 count=1")
        fw, _ = self.run_file(self.config(r.url, 100, 0, True, max_in_flight=1,
                                          acks={"timeout_ms": 1500}),
                              lines(1000, tag=6, ladder=False))
        got = seqs(envelopes(r))
        self.assertEqual(set(got), set(range(1000)))
        dups = sorted(k for k, n in collections.Counter(got).items() if n > 1)
        c = fw.counters()
        # Exactly the batch whose ackId never came arrived twice.
        self.assertEqual(c["ack_timeouts"], 1)
        self.assertEqual(len(dups), c["events_resent"])
        self.assertGreater(len(dups), 0)
        self.assertEqual(dups, list(range(dups[0], dups[0] + len(dups))))
        self.assertEqual(len(got), 1000 + len(dups))
        self.assertIn("did not acknowledge", fw.stderr())

    def test_partial_failure_dead_letter(self):
        r = self.receiver()
        # Event 1234 is refused (code 6); those before it in its batch are
        # kept, those after it are sent again.
        r.set_faults("reject match='\"icmp_seq\":1234,' code=6")
        dead = os.path.join(self.dir, "dead.jsonl")
        fw, _ = self.run_file(self.config(r.url, 500, 6, True, dead_letter=dead),
                              lines(3000, tag=7, ladder=False))
        want = [i for i in range(3000) if i != 1234]
        self.assertExactlyOnce(seqs(envelopes(r)), want)
        with open(dead) as f:
            dl = [json.loads(x) for x in f]
        self.assertEqual(len(dl), 1)
        self.assertEqual(dl[0]["event"]["event"]["icmp_seq"], 1234)
        self.assertEqual(dl[0]["event"]["sourcetype"], "ipv6probe:event")
        self.assertEqual((dl[0]["status"], dl[0]["code"], dl[0]["text"]),
                         (400, 6, "Invalid data format"))
        self.assertEqual(dl[0]["endpoint"], r.url)
        c = fw.counters()
        self.assertEqual(c["partial_failures"], 1)
        self.assertEqual(c["events_dead_letter"], 1)

    def test_bad_token(self):
        """A refused token: stop sending, keep spooling, say so at once and
        every minute, never print the token; fixed and SIGHUP: delivered."""
        with open(self.token_file, "w") as f:
            f.write(BAD_TOKEN + "\n")
        r = self.receiver()
        cfg = self.config(r.url, 100, 1, True, inputs={"stdin": True})
        fw = Fwd(self.dir, cfg, stdin=True)
        t0 = time.monotonic()
        text = lines(2000, tag=8, ladder=False)
        fw.feed(text[:1000])
        time.sleep(1.5)
        first = r.stats()["by_endpoint"].get("event", 0)
        fw.feed(text[1000:])
        time.sleep(1.5)
        st = r.stats()
        self.assertEqual(st["events"], 0)
        # Sending stopped at the first refusals (those in flight together).
        self.assertLessEqual(first, 4)
        self.assertEqual(st["by_endpoint"].get("event", 0), first)
        # Still taking events: they are in the spool.
        spool = os.path.join(self.dir, "spool")
        size = sum(os.path.getsize(os.path.join(spool, s)) for s in os.listdir(spool)
                   if s.startswith("seg-"))
        self.assertGreater(size, 2000 * 400)
        self.assertEqual(fw.stderr().count("refuses to take events"), 1)
        if LONG:
            time.sleep(max(0, 62 - (time.monotonic() - t0)))
            self.assertGreaterEqual(fw.stderr().count("refuses to take events"), 2)
            self.assertEqual(r.stats()["events"], 0)
        with open(self.token_file, "w") as f:
            f.write(TOKEN + "\n")
        fw.p.send_signal(signal.SIGHUP)  # re-read the token file
        rc = fw.wait(60)
        self.assertEqual(rc, 0, fw.stderr())
        self.assertExactlyOnce(seqs(envelopes(r)), range(2000))
        out = fw.stderr() + fw.stdout()
        self.assertIn("Invalid token", out)
        self.assertIn("accepts the token again", out)
        self.assertNotIn(BAD_TOKEN, out)
        self.assertNotIn(TOKEN, out)
        self.assertGreaterEqual(fw.counters()["auth_failures"], 1)

    def test_sigkill_and_restart(self):
        """A file read with checkpoints; SIGKILL mid-stream while acks are
        slow; the restart replays the spool and reads on from the
        checkpoint."""
        r = self.receiver()
        r.set_faults("ack-delay 1")
        n = 30000
        path = self.write_input(lines(n, tag=9, ladder=False))
        cfg = self.config(r.url, 500, 1, True, acks={"poll_interval_ms": 200})
        cfg["inputs"] = {"files": [path],
                         "checkpoint": {"file": os.path.join(self.dir, "ckpt"),
                                        "interval_ms": 50}}
        # Slow the first run down so that it is killed mid-stream.
        r.set_faults("ack-delay 1; slow 0.2")
        fw = Fwd(self.dir, cfg)
        deadline = time.monotonic() + 30
        while r.stats()["events"] < 5000 and time.monotonic() < deadline:
            time.sleep(0.05)
        fw.kill()
        before = len(seqs(envelopes(r)))
        self.assertGreater(before, 0)
        self.assertLess(before, n)
        r.set_faults("ack-delay 1")
        fw2 = Fwd(self.dir, cfg)
        rc = fw2.wait(120)
        self.assertEqual(rc, 0, fw2.stderr())
        got = seqs(envelopes(r))
        self.assertEqual(set(got), set(range(n)))  # nothing lost
        c = fw2.counters()
        self.assertGreater(c["spool_replayed"], 0)
        self.assertIn("will be resent", fw2.stderr())
        # Duplicates only of events not yet acknowledged at the kill: they
        # are the last ones spooled, a run no longer than what was replayed.
        dups = sorted(k for k, m in collections.Counter(got).items() if m > 1)
        if dups:
            self.assertLessEqual(dups[-1] - dups[0] + 1, c["spool_replayed"])
        self.assertLessEqual(len(got) - n, 2 * c["spool_replayed"])


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        FWD = sys.argv.pop(1)
    unittest.main(verbosity=2)

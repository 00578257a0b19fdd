"""The HEC output against a hostile or careless world: secrets stay out of
files, logs, /proc and core dumps; a 200 without an ackId while acks are
on is not a delivery.

    python3 tests/forwarder/hec/test_hec_hardening.py BUILD/forwarder/ipv6probe-forward
"""
import os
import pwd
import re
import stat
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import test_forward_hec as T  # noqa: E402
from test_forward_hec import TOKEN, Fwd, lines, seqs, envelopes  # noqa: E402


class HecHardeningTest(unittest.TestCase):
    # The same fixtures as the forwarder's HEC tests, not their tests.
    setUp = T.ForwardHecTest.setUp
    tearDown = T.ForwardHecTest.tearDown
    receiver = T.ForwardHecTest.receiver
    write_input = T.ForwardHecTest.write_input
    config = T.ForwardHecTest.config
    run_file = T.ForwardHecTest.run_file
    def test_reply_text_redacted_and_private(self):
        """A reply quoting the token (and one cut inside it): neither the
        dead-letter file nor standard error holds it; the file is 0600
        although the umask is 0."""
        r = self.receiver()
        r.set_faults("reply 400 code=6 count=1 text='bad data near Splunk %s'\n"
                     "reply 400 code=6 count=1 text='echo Splunk %s'" % (TOKEN, TOKEN[:20]))
        dead = os.path.join(self.dir, "dead.jsonl")
        cfg = self.config(r.url, batch=5, dead_letter=dead)
        path = self.write_input(lines(20, ladder=False))
        old = os.umask(0)
        try:
            fw = Fwd(self.dir, cfg, [path])
            rc = fw.wait(120)
        finally:
            os.umask(old)
        self.assertEqual(rc, 0, fw.stderr())
        with open(dead) as f:
            text = f.read()
        self.assertIn("bad data near", text)
        self.assertIn("echo Splunk", text)
        self.assertNotIn(TOKEN[:12], text)
        self.assertNotIn(TOKEN[:12], fw.stderr())
        self.assertIn("<redacted>", text)
        self.assertEqual(stat.S_IMODE(os.stat(dead).st_mode), 0o600)

    def test_token_env_scrubbed_no_core(self):
        """token_env is gone from /proc/PID/environ once read; no core
        file (RLIMIT_CORE 0) and not dumpable (so /proc/PID/status belongs to
        root although the process runs as nobody)."""
        r = self.receiver()
        cfg = self.config(r.url, spool=False, inputs={"stdin": True})
        del cfg["outputs"]["hec"]["token_file"]
        cfg["outputs"]["hec"]["token_env"] = "V6P_TEST_TOKEN"
        nobody = pwd.getpwnam("nobody")
        args = ["--user", "nobody"] if os.geteuid() == 0 else []
        env_before = os.environ.get("V6P_TEST_TOKEN")
        os.environ["V6P_TEST_TOKEN"] = TOKEN
        try:
            fw = Fwd(self.dir, cfg, args, stdin=True)
        finally:
            if env_before is None:
                del os.environ["V6P_TEST_TOKEN"]
        fw.feed(lines(10, ladder=False))
        deadline = time.monotonic() + 30
        while r.stats()["events"] < 10 and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = fw.p.pid
        with open("/proc/%d/environ" % pid, "rb") as f:
            environ = f.read()
        with open("/proc/%d/limits" % pid) as f:
            limits = f.read()
        with open("/proc/%d/status" % pid) as f:
            uid = int(re.search(r"^Uid:\s+(\d+)", f.read(), re.M).group(1))
        owner = os.stat("/proc/%d/status" % pid).st_uid
        rc = fw.wait(60)
        self.assertEqual(rc, 0, fw.stderr())
        self.assertEqual(r.stats()["events"], 10)
        self.assertNotIn(TOKEN.encode(), environ)
        self.assertNotIn(b"V6P_TEST_TOKEN=" + TOKEN[:4].encode(), environ)
        self.assertRegex(limits, r"Max core file size\s+0\s+0")
        if args:
            self.assertEqual(uid, nobody.pw_uid)
            self.assertEqual(owner, 0, "still dumpable: /proc/PID/status belongs to the user")

    def test_pasted_token_not_echoed(self):
        """A token pasted as the value of token_file or token_env."""
        for key in ("token_file", "token_env"):
            with self.subTest(key=key):
                cfg = self.config("http://127.0.0.1:9", spool=False)
                h = cfg["outputs"]["hec"]
                del h["token_file"]
                h[key] = TOKEN
                fw = Fwd(self.dir, cfg, [os.devnull])
                rc = fw.wait(60)
                self.assertNotEqual(rc, 0)
                self.assertNotIn(TOKEN[:8], fw.stderr())
                self.assertIn("not shown", fw.stderr())

    def test_acks_on_200_without_ackid(self):
        """A proxy answering 200 (no ackId) three times: retried, counted,
        named; every event still arrives acknowledged."""
        r = self.receiver()
        r.set_faults("reply 200 code=0 count=3")
        cfg = self.config(r.url, batch=50)
        fw, path = self.run_file(cfg, lines(200, ladder=False))
        c = fw.counters()
        self.assertEqual(c["ack_id_missing"], 3, fw.stderr())
        self.assertEqual(set(seqs(envelopes(r))), set(range(200)))
        self.assertGreaterEqual(c["acks"], 4)
        self.assertIn("%s answered 200 without a usable ackId" % r.url, fw.stderr())


if __name__ == "__main__":
    T.FWD = sys.argv.pop(1)
    unittest.main(verbosity=2)

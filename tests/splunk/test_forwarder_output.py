#!/usr/bin/env python3
"""Real forwarder output uses only fields the app knows (splunk_app/fields.txt).

Runs ipv6probe-forward --stdout over the sample logs in examples/logs when the
forwarder is built (IPV6PROBE_BUILD_ROOT, set by meson), and checks every
emitted field. Files named in IPV6PROBE_FORWARDER_OUTPUT (os.pathsep-separated
JSON-lines or HEC bodies) are checked too. The checker itself is tested on
made-up records so that it can be seen to fail.
"""

import glob
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splunkcheck as sc  # noqa: E402
import check_events  # noqa: E402

BUILD = os.environ.get("IPV6PROBE_BUILD_ROOT", "")
FORWARDER = os.path.join(BUILD, "forwarder", "ipv6probe-forward") if BUILD else ""


class ForwarderOutput(unittest.TestCase):
    def test_sample_logs_through_forwarder(self):
        if not FORWARDER or not os.access(FORWARDER, os.X_OK):
            self.skipTest("forwarder not built")
        logs = sorted(glob.glob(os.path.join(sc.ROOT, "examples", "logs", "*.log")))
        if not logs:
            self.skipTest("no sample logs")
        r = subprocess.run([FORWARDER, "--stdout"] + logs, capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        counts, problems = check_events.check_text(r.stdout, "forwarder")
        self.assertGreater(counts.get("ipv6probe:event", 0), 0, "no events produced")
        uniq = sorted(set(p.split(": ", 2)[-1] for p in problems))
        self.assertEqual(uniq, [], "\n".join(uniq))

    def test_named_output_files(self):
        paths = [p for p in os.environ.get("IPV6PROBE_FORWARDER_OUTPUT", "").split(os.pathsep) if p]
        if not paths:
            self.skipTest("IPV6PROBE_FORWARDER_OUTPUT not set")
        for p in paths:
            with open(p, encoding="utf-8") as f:
                _, problems = check_events.check_text(f.read(), p)
            self.assertEqual(problems, [], "\n".join(problems[:50]))

    def test_checker_fails_on_unknown_fields(self):
        text = ('{"schema":1,"src":"2001:db8::1","hop_limt":3}\n'
                '{"time":1.5,"sourcetype":"ipv6probe:ladder","event":{"ladder_id":"a","rungs":3,"x":null},'
                '"fields":{"dvc":1}}'
                '{"sourcetype":"ipv6probe:stats","event":{"lines":1,"tagged":{"hop_ladder":2},"inputs":[{"kind":"stdin","lines":1}]}}\n'
                '{"sourcetype":"ipv6probe:nope","event":{"a":1}}\n')
        counts, problems = check_events.check_text(text, "t")
        joined = "\n".join(problems)
        self.assertEqual(counts, {"ipv6probe:event": 1, "ipv6probe:ladder": 1,
                                  "ipv6probe:stats": 1, "ipv6probe:nope": 1})
        for needle in ("'hop_limt'", "'x' not in", "'x' is null", "indexed field 'dvc' is not a string",
                       "unknown sourcetype"):
            self.assertIn(needle, joined)
        self.assertNotIn("hop_ladder", joined)
        self.assertNotIn("inputs", joined)
        self.assertNotIn("'src'", joined)


if __name__ == "__main__":
    sc.run_tests()

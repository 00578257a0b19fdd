#!/usr/bin/env python3
"""Files of `ipv6probe-forward --stdout` output, indexed as sourcetype
ipv6probe:stdout, reach the same sourcetypes and _raw as HEC would give them.

The index-time TRANSFORMS named in props.conf [ipv6probe:stdout] are applied
in order, the way Splunk's typing pipeline applies them (REGEX on _raw,
FORMAT with $1, DEST_KEY MetaData:Sourcetype or _raw), to every line the
built forwarder writes for the sample logs and for the dashboards' lab story
(packet events, ladder, suspect and stats records).  Each line must land in
the sourcetype it belongs to, with the record itself as _raw, and that
sourcetype must have its search-time stanza.
"""

import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "studio"))
import splunkcheck as sc  # noqa: E402

BUILD = os.environ.get("IPV6PROBE_BUILD_ROOT", "")
FORWARDER = os.path.join(BUILD, "forwarder", "ipv6probe-forward") if BUILD else ""


def conf(name):
    with open(os.path.join(sc.APP_DIR, "default", name), encoding="utf-8") as f:
        return {s: {k: v for k, v, _ in e} for s, e, _ in sc.parse_conf_text(f.read())}


def router():
    """The [ipv6probe:stdout] index-time transforms as (regex, format, dest) in order."""
    props, transforms = conf("props.conf"), conf("transforms.conf")
    st = props["ipv6probe:stdout"]
    names = [n.strip() for k, v in st.items() if k.startswith("TRANSFORMS-") for n in v.split(",")]
    return [(re.compile(transforms[n]["REGEX"]), transforms[n]["FORMAT"], transforms[n]["DEST_KEY"])
            for n in names]


def index(line, steps):
    """(sourcetype, _raw) of one line after the transforms."""
    sourcetype, raw = "ipv6probe:stdout", line
    for rx, fmt, dest in steps:
        m = rx.search(raw)
        if not m:
            continue
        value = re.sub(r"\$(\d)", lambda g: m.group(int(g.group(1))), fmt)
        if dest == "MetaData:Sourcetype":
            sourcetype = value[len("sourcetype::"):]
        elif dest == "_raw":
            raw = value
    return sourcetype, raw


class FileIngest(unittest.TestCase):
    def check(self, text):
        steps, props = router(), conf("props.conf")
        seen = {}
        for n, line in enumerate(text.splitlines(), 1):
            o = json.loads(line)
            want_st = o["sourcetype"] if "event" in o and "sourcetype" in o else "ipv6probe:event"
            want = o["event"] if want_st != "ipv6probe:event" else o
            st, raw = index(line, steps)
            self.assertEqual(st, want_st, f"line {n}: {line[:200]}")
            self.assertEqual(json.loads(raw), want, f"line {n}")
            self.assertIn(st, props, f"no search-time stanza for {st}")
            seen[st] = seen.get(st, 0) + 1
        return seen

    def test_sample_logs(self):
        if not FORWARDER or not os.access(FORWARDER, os.X_OK):
            self.skipTest("forwarder not built")
        logs = sorted(glob.glob(os.path.join(sc.ROOT, "examples", "logs", "*.log")))
        r = subprocess.run([FORWARDER, "--stdout"] + logs, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        seen = self.check(r.stdout)
        self.assertGreater(seen.get("ipv6probe:event", 0), 0)
        self.assertGreater(seen.get("ipv6probe:ladder", 0), 0)

    def test_lab_story(self):
        if not FORWARDER or not os.access(FORWARDER, os.X_OK):
            self.skipTest("forwarder not built")
        import story
        with tempfile.TemporaryDirectory() as tmp:
            text, _ = story.run_forwarder(FORWARDER, tmp, chunks=2)
        seen = self.check(text)
        for st in ("ipv6probe:event", "ipv6probe:ladder", "ipv6probe:suspect", "ipv6probe:stats"):
            self.assertGreater(seen.get(st, 0), 0, st)

    def test_router_is_not_fooled(self):
        # a packet event whose text mentions a sourcetype stays a packet event
        steps = router()
        line = '{"schema":1,"time":1.5,"rule":"\\"sourcetype\\":\\"ipv6probe:stats\\"","src":"2001:db8::1"}'
        self.assertEqual(index(line, steps), ("ipv6probe:event", line))


if __name__ == "__main__":
    sc.run_tests()

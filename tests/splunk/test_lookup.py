#!/usr/bin/env python3
"""The classification lookup CSV is generated from the YAML and matches it.

* the CSV in the app equals what splunk_app/tools/yaml_to_csv.py makes from
  libipv6probe/data/classification.yaml (so a stale CSV fails);
* the generator's own parser agrees with PyYAML on the table when PyYAML is
  installed (an independent reading of the same file);
* every entry has a valid prefix, an org, a category and a public source URL;
* the generator rejects broken tables with file:line messages.
"""

import csv
import io
import ipaddress
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splunkcheck as sc  # noqa: E402

sys.path.insert(0, sc.TOOLS_DIR)
import yaml_to_csv  # noqa: E402

CSV_PATH = os.path.join(sc.APP_DIR, "lookups", "ipv6probe_classification.csv")


def read_yaml():
    with open(sc.YAML_FILE, encoding="utf-8") as f:
        return f.read()


class Lookup(unittest.TestCase):
    def setUp(self):
        if not os.path.exists(sc.YAML_FILE):
            self.skipTest("classification.yaml not present")

    def test_csv_is_generated_from_yaml(self):
        want = yaml_to_csv.convert(read_yaml(), sc.YAML_FILE)
        with open(CSV_PATH, encoding="utf-8", newline="") as f:
            have = f.read()
        self.assertEqual(have, want, "lookup CSV is stale: run "
                         "splunk_app/tools/yaml_to_csv.py libipv6probe/data/classification.yaml "
                         "splunk_app/ipv6probe/lookups/ipv6probe_classification.csv")

    def test_csv_rows_match_yaml_entries(self):
        _, entries = yaml_to_csv.parse(read_yaml(), sc.YAML_FILE)
        with open(CSV_PATH, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        self.assertEqual(len(rows), len(entries))
        by_prefix = {ipaddress.ip_network(e["prefix"]): e for e in entries}
        prev_len = 129
        for r in rows:
            net = ipaddress.ip_network(r["prefix"])
            e = by_prefix[net]
            self.assertEqual((r["org"], r["category"], r["source"]),
                             (e["org"], e["category"], e["source"]))
            self.assertEqual(r["prefix"], net.compressed)
            self.assertLessEqual(net.prefixlen, prev_len, "most specific first")
            prev_len = net.prefixlen
            self.assertTrue(r["source"].startswith(("https://", "http://")))

    def test_independent_yaml_reader_agrees(self):
        try:
            import yaml
        except ImportError:
            self.skipTest("PyYAML not installed")
        # The C loader when PyYAML has it: the table is tens of thousands of entries.
        doc = yaml.load(read_yaml(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        _, entries = yaml_to_csv.parse(read_yaml(), sc.YAML_FILE)
        self.assertEqual(doc["version"], 1)
        strip = [{k: v for k, v in e.items() if k != "_line"} for e in entries]
        theirs = [{k: str(v) for k, v in e.items()} for e in doc["entries"]]
        self.assertEqual(strip, theirs)

    def test_transforms_points_at_csv(self):
        t = sc.app_conf("transforms.conf")["ipv6probe_classification"]
        self.assertEqual(t["filename"], os.path.basename(CSV_PATH))
        self.assertEqual(t["match_type"], "CIDR(prefix)")
        with open(CSV_PATH, encoding="utf-8", newline="") as f:
            self.assertEqual(next(csv.reader(f)), list(yaml_to_csv.COLUMNS))

    def test_generator_rejects_bad_tables(self):
        cases = [
            ("entries:\n  - prefix: 2001:db8::/32\n", "version"),
            ("version: 1\nentries:\n  - prefix: 2001:db8::1/32\n    org: X\n"
             "    category: cdn\n    source: https://x\n", ":3: bad prefix"),
            ("version: 1\nentries:\n  - prefix: 2001:db8::/32\n    org: X\n"
             "    category: cdn\n", "lacks 'source'"),
            ("version: 1\nentries:\n  - prefix: 2001:db8::/32\n    org: X\n"
             "    category: CDN\n    source: https://x\n", "lower_snake_case"),
            ("version: 1\nentries:\n  - prefix: 2001:db8::/32\n    org: X\n"
             "    category: cdn\n    source: https://x\n  - prefix: 2001:0db8::/32\n"
             "    org: Y\n    category: cdn\n    source: https://y\n", "already listed"),
            ("version: 2\nentries:\n", "unsupported version"),
            ("version: 1\nentries:\n  - prefix: 2001:db8::/32\n    org: 'X\n", ":4: unterminated"),
            ("version: 1\nasns:\n  - asn: 5\n    org: A\n    category: cdn\n"
             "    source: https://a\n  - asn: AS5\n    org: B\n    category: cdn\n"
             "    source: https://b\n", ":7: AS5 already listed at line 3"),
            ("version: 1\nasns:\n  - asn: AS0\n    org: A\n    category: cdn\n"
             "    source: https://a\n", "bad AS number"),
        ]
        for text, needle in cases:
            with self.assertRaises(yaml_to_csv.TableError, msg=needle) as cm:
                yaml_to_csv.convert(text, "t.yaml")
            self.assertIn(needle, str(cm.exception))

    def test_generator_output(self):
        text = ("# c\nversion: 1\nentries:\n"
                "  - prefix: 2001:DB8::/32   # doc\n    org: \"Big, Inc\"\n"
                "    category: cdn\n    source: https://a.example/x#frag\n"
                "  - prefix: 2001:db8:1::/48\n    org: Small\n    category: isp\n"
                "    source: https://b.example/\n    note: ignored\n")
        rows = list(csv.reader(io.StringIO(yaml_to_csv.convert(text))))
        self.assertEqual(rows, [["prefix", "org", "category", "source"],
                                ["2001:db8:1::/48", "Small", "isp", "https://b.example/"],
                                ["2001:db8::/32", "Big, Inc", "cdn", "https://a.example/x#frag"]])


if __name__ == "__main__":
    sc.run_tests()

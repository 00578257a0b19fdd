#!/usr/bin/env python3
"""SPL of saved searches, macros, event types and props.conf evals.

Checks what can be checked without Splunk: balanced quotes and brackets, macro
names and argument counts, known commands, and that every field a search reads
is emitted by the forwarder (splunk_app/fields.txt) or created by props.conf or by
an earlier command of the same search. Also: alert actions are off, schedules
are well formed, and the index is only named in the ipv6probe_index macro.
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splunkcheck as sc  # noqa: E402

DESIGN = os.path.join(sc.ROOT, "..", "shared", "DESIGN.md")


class FieldSchema(unittest.TestCase):
    def test_fields_file(self):
        fields = sc.load_fields()
        self.assertEqual(sorted(fields), ["ipv6probe:event", "ipv6probe:ladder",
                                          "ipv6probe:stats", "ipv6probe:suspect"])
        ev = fields["ipv6probe:event"]
        for f in ("src", "dest", "hop_limit", "dest_pe", "tags", "vendor_product",
                  "src_behavior", "ladder_id", "inner_icmp_seq", "src_asn"):
            self.assertIn(f, ev)
        self.assertIn("tagged.*", fields["ipv6probe:stats"])
        self.assertIn("repeats", fields["ipv6probe:ladder"])
        self.assertIn("never_probed_contacts", fields["ipv6probe:suspect"])

    def test_design_schema_fields_listed(self):
        """Every field of the DESIGN.md event schema table is in fields.txt."""
        if not os.path.exists(DESIGN):
            self.skipTest("DESIGN.md not present")
        with open(DESIGN, encoding="utf-8") as f:
            text = f.read()
        m = re.search(r"## Event schema.*?\n\|(.*?)\n\n", text, re.S)
        self.assertIsNotNone(m, "event schema table not found in DESIGN.md")
        names = set()
        for row in m.group(0).split("\n"):
            if row.startswith("|") and not row.startswith("|---"):
                first = row.split("|")[1]
                names.update(re.findall(r"`([a-z_]+)`", first))
        self.assertGreater(len(names), 30)
        missing = sorted(names - sc.load_fields()["ipv6probe:event"])
        self.assertEqual(missing, [], "schema fields missing from fields.txt")


class SavedSearches(unittest.TestCase):
    def setUp(self):
        self.schema = sc.Schema()

    def test_searches_check(self):
        errors = []
        self.assertGreaterEqual(len(self.schema.savedsearches), 8)
        for name, st in self.schema.savedsearches.items():
            if name == "default":
                continue
            spl = st.get("search")
            if not spl:
                errors.append(f"[{name}]: no search")
                continue
            an, _ = sc.analyze(spl, self.schema, ctx=f"[{name}]")
            errors.extend(an.errors)
        self.assertEqual(errors, [], "\n".join(errors))

    def test_alert_actions_off(self):
        bad = []
        for name, st in self.schema.savedsearches.items():
            for k, v in st.items():
                if k == "actions" and v.strip():
                    bad.append(f"[{name}] actions = {v}")
                if re.match(r"^action\.[A-Za-z0-9_]+$", k) and v.strip().lower() in ("1", "true", "t", "yes"):
                    bad.append(f"[{name}] {k} = {v}")
                if k == "alert.track" and v.strip().lower() in ("1", "true"):
                    bad.append(f"[{name}] {k} = {v}")
        self.assertEqual(bad, [])

    def test_schedules(self):
        """Searches ship unscheduled (admins opt in); the schedule an admin
        turns on is ready: a valid cron_schedule and a time range."""
        bad = []
        ready = 0
        for name, st in self.schema.savedsearches.items():
            if st.get("enableSched", "0") != "0":
                bad.append(f"[{name}] enableSched = {st.get('enableSched')}: ships scheduled")
            cron = st.get("cron_schedule")
            if cron is not None:
                ready += 1
                fields = cron.split()
                if len(fields) != 5 or not all(re.match(r"^[\d*/,\-]+$", x) for x in fields):
                    bad.append(f"[{name}] cron_schedule {cron!r}")
                if "dispatch.earliest_time" not in st and "dispatch.earliest_time" not in \
                        self.schema.savedsearches.get("default", {}):
                    bad.append(f"[{name}] no dispatch.earliest_time")
            if st.get("counttype") and "quantity" not in st:
                bad.append(f"[{name}] counttype without quantity")
        self.assertGreater(ready, 3)
        self.assertEqual(bad, [])

    def test_index_only_in_macro(self):
        """Sites point the app at their index by editing one macro."""
        bad = []
        for name, st in self.schema.savedsearches.items():
            if re.search(r"\bindex\s*=", st.get("search", "")):
                bad.append(f"savedsearch [{name}]")
        for name, st in self.schema.macros.items():
            if name != "ipv6probe_index" and re.search(r"\bindex\s*=", st.get("definition", "")):
                bad.append(f"macro [{name}]")
        self.assertEqual(bad, [])
        self.assertIn("ipv6probe_index", self.schema.macros)
        for st in ("event", "ladder", "suspect", "stats"):
            defs = [m for m, d in self.schema.macros.items()
                    if f'sourcetype="ipv6probe:{st}"' in d.get("definition", "")]
            self.assertEqual(len(defs), 1, f"one macro per sourcetype ({st}): {defs}")


class Macros(unittest.TestCase):
    def setUp(self):
        self.schema = sc.Schema()

    def test_macro_definitions(self):
        errors = []
        for name, st in self.schema.macros.items():
            d = st.get("definition")
            if d is None:
                errors.append(f"[{name}] no definition")
                continue
            errors.extend(f"[{name}] {e}" for e in sc.check_balance(d))
            m = re.match(r"^(.*)\((\d+)\)$", name)
            declared = [a.strip() for a in st.get("args", "").split(",") if a.strip()]
            if m:
                if int(m.group(2)) != len(declared):
                    errors.append(f"[{name}] args lists {len(declared)} names")
                for a in declared:
                    if not re.match(r"^[A-Za-z0-9_\-]+$", a):
                        errors.append(f"[{name}] bad argument name {a!r}")
                    if f"${a}$" not in d:
                        errors.append(f"[{name}] argument {a} unused in definition")
            elif declared:
                errors.append(f"[{name}] args on a macro without (n)")
            try:
                sc.expand_macros(d, self.schema.macros)
            except sc.SplError as exc:
                errors.append(f"[{name}] {exc}")
        self.assertEqual(errors, [], "\n".join(errors))

    def test_every_macro_is_used(self):
        used = set()
        texts = [st.get("search", "") for st in self.schema.savedsearches.values()]
        texts += [st.get("definition", "") for st in self.schema.macros.values()]
        views = os.path.join(sc.APP_DIR, "default", "data", "ui", "views")
        for fn in os.listdir(views):
            with open(os.path.join(views, fn), encoding="utf-8") as f:
                texts.append(f.read())
        for t in texts:
            for m in re.finditer(r"`([A-Za-z0-9_]+)(\(([^`]*)\))?`", t):
                n = len(sc._split_top(m.group(3), ",")) if m.group(2) else 0
                used.add(f"{m.group(1)}({n})" if n else m.group(1))
        unused = sorted(set(self.schema.macros) - used)
        self.assertEqual(unused, [])


class EventTypesAndProps(unittest.TestCase):
    def setUp(self):
        self.schema = sc.Schema()

    def test_eventtype_searches(self):
        ets = sc.app_conf("eventtypes.conf")
        errors = []
        for name, st in ets.items():
            s = st.get("search", "")
            if "|" in sc._blank_strings(s) or "[" in sc._blank_strings(s):
                errors.append(f"[{name}] event type search has a pipe or subsearch")
            an, _ = sc.analyze(s, self.schema, ctx=f"eventtype [{name}]")
            errors.extend(an.errors)
            if not sc.sourcetypes_in(s):
                errors.append(f"[{name}] names no sourcetype")
        self.assertEqual(errors, [], "\n".join(errors))

    def test_props_read_only_emitted_fields(self):
        """EVAL/FIELDALIAS/LOOKUP inputs are fields the forwarder emits."""
        errors = []
        for stanza, keys in self.schema.props.items():
            raw = self.schema.raw_fields([stanza])
            aliased = raw.copy()
            for k, v in keys.items():
                if k.startswith("FIELDALIAS-"):
                    for m in re.finditer(r"(\S+)\s+AS(?:NEW)?\s+(\S+)", v, re.I):
                        if not raw.has(m.group(1)):
                            errors.append(f"[{stanza}] {k}: {m.group(1)!r} not emitted")
                        aliased.add(m.group(2))
            evals = aliased.copy()
            for k, v in keys.items():
                if k.startswith("EVAL-"):
                    errors.extend(f"[{stanza}] {k}: {e}" for e in sc.check_balance(v))
                    for r in sc.expr_refs(v):
                        if not aliased.has(r):
                            errors.append(f"[{stanza}] {k}: reads {r!r}, not emitted")
                    evals.add(k[5:])
            for k, v in keys.items():
                if k.startswith("LOOKUP-"):
                    name, ins, outs = sc.parse_lookup_spec(v)
                    cols = sc.lookup_columns(name, self.schema.transforms)
                    if cols is None:
                        errors.append(f"[{stanza}] {k}: unknown lookup {name}")
                        continue
                    for col, ev in ins + outs:
                        if col not in cols:
                            errors.append(f"[{stanza}] {k}: no column {col!r}")
                    for col, ev in ins:
                        if not evals.has(ev):
                            errors.append(f"[{stanza}] {k}: input {ev!r} not available")
        self.assertEqual(errors, [], "\n".join(errors))

    def test_cim_mappings(self):
        ev = self.schema.props["ipv6probe:event"]
        self.assertEqual(ev.get("KV_MODE"), "json")
        self.assertNotIn("INDEXED_EXTRACTIONS", ev, "double extraction with KV_MODE=json")
        created = sc.props_created(self.schema.props, "ipv6probe:event")
        for f in ("ttl", "src_ip", "dest_ip", "vendor", "product", "protocol",
                  "vlan", "tos", "rule_id", "packets", "tags", "tcp_flag"):
            self.assertTrue(created.has(f), f)
        self.assertIn("hop_limit AS ttl", ev.get("FIELDALIAS-cim_ttl", ""))
        tags = sc.app_conf("tags.conf")
        self.assertEqual(tags["eventtype=ipv6probe_traffic"].get("network"), "enabled")
        self.assertEqual(tags["eventtype=ipv6probe_traffic"].get("communicate"), "enabled")
        for st in ("ipv6probe:event", "ipv6probe:ladder", "ipv6probe:suspect", "ipv6probe:stats"):
            self.assertIn(st, self.schema.props)
        for stanza in tags:
            et = stanza.split("=", 1)[1]
            self.assertIn(et, sc.app_conf("eventtypes.conf"), stanza)

    def test_vendor_product_split(self):
        """The vendor/product evals give Linux/iptables for linux:iptables.

        Splunk's eval cannot run here; this mirrors the expression in Python
        for the four vendor_product values the forwarder emits."""
        expr = self.schema.props["ipv6probe:event"]["EVAL-vendor"]
        self.assertIn('"linux", "Linux"', expr)
        self.assertIn('split(mvindex(vendor_product, 0), ":")', expr)

        def vendor(vp):
            first = vp.split(":")[0]
            if first == "linux":
                return "Linux"
            if vp == "pf:filterlog":
                return "pfSense/OPNsense"
            if first == "pf":
                return "BSD pf"
            return first
        self.assertEqual(vendor("linux:iptables"), "Linux")
        self.assertEqual("linux:iptables".split(":")[1], "iptables")
        self.assertIn('mvindex(split(mvindex(vendor_product, 0), ":"), 1)',
                      self.schema.props["ipv6probe:event"]["EVAL-product"])


class Checker(unittest.TestCase):
    """The SPL checker reports each kind of mistake."""

    def setUp(self):
        self.schema = sc.Schema()

    def errs(self, spl):
        an, _ = sc.analyze(spl, self.schema)
        return "\n".join(an.errors)

    def test_detects(self):
        self.assertEqual(self.errs('`ipv6probe_events` | stats count BY src'), "")
        self.assertIn("unterminated", self.errs('`ipv6probe_events` dvc="gw1 | stats count'))
        self.assertIn("unclosed", self.errs('`ipv6probe_events` | eval x=if(a, 1, 0'))
        self.assertIn("unmatched", self.errs('`ipv6probe_events` | eval x=1)'))
        self.assertIn("unknown macro", self.errs('`ipv6probe_event` | stats count'))
        self.assertIn("argument", self.errs('`ipv6probe_ladder` | stats count'))
        self.assertIn("argument", self.errs('`ipv6probe_classify(src)`'))
        self.assertIn("unknown command", self.errs('`ipv6probe_events` | statz count'))
        self.assertIn("'hop_limt'", self.errs('`ipv6probe_events` | stats max(hop_limt)'))
        self.assertIn("'rungs'", self.errs('`ipv6probe_events` | stats max(rungs)'))
        self.assertIn("'dest'", self.errs('`ipv6probe_events` | stats count BY src | table dest'))
        self.assertIn("'probes'", self.errs('`ipv6probe_events` | stats count BY src | where probes>1'))
        self.assertIn("'x'", self.errs('`ipv6probe_events` | eval y=x+1'))
        self.assertIn("unknown lookup", self.errs('`ipv6probe_events` | lookup nope a OUTPUT b'))
        self.assertIn("no column", self.errs('`ipv6probe_events` | lookup ipv6probe_classification pfx AS src OUTPUT org'))
        self.assertIn("no saved search", self.errs('| savedsearch "nope"'))
        self.assertEqual(self.errs('`ipv6probe_stats` | stats latest(tagged.*) AS tagged.* BY host'), "")
        self.assertIn("tagz_*", self.errs('`ipv6probe_stats` | stats latest(tagz_*) AS t BY host'))


if __name__ == "__main__":
    sc.run_tests()

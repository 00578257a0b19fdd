#!/usr/bin/env python3
"""Dashboards and navigation.

Every view parses as XML and is either Simple XML version 1.1 or a Dashboard
Studio view (version 2 with a JSON definition).  Each search in it
either references an existing saved search or goes through the app's macros
(so it follows the site's index). Queries pass the SPL checks, post-process
searches name an existing base, drilldowns and inputs use fields their search
returns, links point at existing views, and the nav names existing objects.
"""

import json
import os
import re
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splunkcheck as sc  # noqa: E402

UI = os.path.join(sc.APP_DIR, "default", "data", "ui")
VIEWS = os.path.join(UI, "views")
BUILTIN_VIEWS = {"search", "reports", "alerts", "dashboards", "datasets",
                 "analytics_workspace", "home", "field_extractor"}
REQUIRED = {"ipv6probe_overview", "ipv6probe_ladder_explorer",
            "ipv6probe_harvester", "ipv6probe_forwarder_health"}


def view_files():
    return sorted(f for f in os.listdir(VIEWS) if f.endswith(".xml"))


def check_view(path, schema):
    """Return a list of problems in one view (Simple XML or Dashboard Studio)."""
    errors = []
    name = os.path.basename(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        return [f"{name}: not well-formed XML: {exc}"]
    if root.get("version") == "2":
        return check_studio(path, root, schema)
    if root.tag not in ("dashboard", "form"):
        errors.append(f"{name}: root element <{root.tag}>")
    if root.get("version") != "1.1":
        errors.append(f"{name}: version is {root.get('version')!r}, not \"1.1\"")
    if root.find("label") is None:
        errors.append(f"{name}: no <label>")
    if root.tag == "dashboard" and root.find("fieldset") is not None:
        errors.append(f"{name}: inputs need <form>")
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    if re.search(r"<script|\.js\b|jquery", raw, re.I):
        errors.append(f"{name}: custom JavaScript")
    if root.get("script"):
        errors.append(f"{name}: script attribute")

    base_results = {}
    searches = list(root.iter("search"))
    if not searches:
        errors.append(f"{name}: no searches")

    def run(search, ctx, base_avail=None):
        ref = search.get("ref")
        q = search.find("query")
        if ref is not None:
            if ref not in schema.savedsearches:
                errors.append(f"{ctx}: references missing saved search {ref!r}")
                return sc.FieldSet(lenient=True)
            an, avail = sc.analyze(schema.savedsearches[ref]["search"], schema, ctx=ctx)
            errors.extend(an.errors)
            return avail
        if q is None or not (q.text or "").strip():
            errors.append(f"{ctx}: search without ref or query")
            return sc.FieldSet(lenient=True)
        text = q.text.strip()
        if base_avail is None:
            if "`" not in text and "savedsearch" not in text:
                errors.append(f"{ctx}: query uses no app macro or saved search")
            an, avail = sc.analyze(text, schema, ctx=ctx)
        else:
            an, avail = sc.analyze("| " + text, schema, avail=base_avail, ctx=ctx)
        errors.extend(an.errors)
        return avail

    # base searches first
    for s in searches:
        if s.get("id"):
            if s.get("id") in base_results:
                errors.append(f"{name}: duplicate search id {s.get('id')}")
            base_results[s.get("id")] = run(s, f"{name} search#{s.get('id')}")
    tokens_set = set()
    for el in root.iter():
        if el.tag == "input" and el.get("token"):
            tokens_set.add(el.get("token"))
        if el.tag in ("set", "unset", "eval") and el.get("token"):
            tokens_set.add(el.get("token").replace("form.", ""))
    parents = {c: p for p in root.iter() for c in p}
    for i, s in enumerate(searches):
        if s.get("id"):
            continue
        holder = parents.get(s)
        ctx = f"{name} <{holder.tag if holder is not None else '?'}> search {i}"
        if s.get("base"):
            if s.get("base") not in base_results:
                errors.append(f"{ctx}: base {s.get('base')!r} not defined")
                continue
            avail = run(s, ctx, base_results[s.get("base")])
        else:
            avail = run(s, ctx)
        if holder is None:
            continue
        # inputs: fieldForValue/Label must come out of the search
        if holder.tag == "input":
            for tag in ("fieldForValue", "fieldForLabel"):
                el = holder.find(tag)
                if el is not None and not avail.has(el.text.strip()):
                    errors.append(f"{ctx}: {tag} {el.text.strip()!r} not in search results")
        # drilldowns: $row.X$ / $result.X$ must be result fields
        vis = holder
        for dd in vis.iter("drilldown"):
            for m in re.finditer(r"\$(?:row|result)\.([A-Za-z0-9_]+)\$", ET.tostring(dd, encoding="unicode")):
                if not avail.has(m.group(1)):
                    errors.append(f"{ctx}: drilldown uses {m.group(1)!r}, not in results")
    # tokens used in queries are defined by an input or a drilldown
    for q in root.iter("query"):
        for m in re.finditer(r"\$([A-Za-z0-9_.]+)\$", q.text or ""):
            tok = m.group(1).split(".")[0]
            if tok not in tokens_set and tok not in ("env", "job"):
                errors.append(f"{name}: query uses undefined token ${m.group(1)}$")
    # links to other views of this app
    for link in root.iter("link"):
        m = re.match(r"^/app/([^/]+)/([^?]+)", (link.text or "").strip())
        if m:
            if m.group(1) != sc.APP_ID:
                errors.append(f"{name}: link to app {m.group(1)}")
            elif not os.path.exists(os.path.join(VIEWS, m.group(2) + ".xml")):
                errors.append(f"{name}: link to missing view {m.group(2)}")
    return errors


STUDIO_DS = {"ds.search", "ds.savedSearch", "ds.chain"}


def studio_tokens(d):
    """Tokens a Studio definition defines: inputs, drilldown.setToken, defaults."""
    toks = {"global_time"}
    for inp in d.get("inputs", {}).values():
        if inp.get("options", {}).get("token"):
            toks.add(inp["options"]["token"])
    for viz in d.get("visualizations", {}).values():
        for h in viz.get("eventHandlers", []):
            for t in h.get("options", {}).get("tokens", []):
                if h.get("type") == "drilldown.setToken" and t.get("token"):
                    toks.add(t["token"])
    for ns in d.get("defaults", {}).get("tokens", {}).values():
        toks.update(ns)
    return toks


def check_studio(path, root, schema):
    """Return a list of problems in one Dashboard Studio view: the same rules
    as for Simple XML (searches through the app's macros or saved searches,
    SPL and field checks, tokens defined, links to existing views), plus the
    definition's own references (data sources, visualizations, inputs and
    layout items that exist)."""
    name = os.path.basename(path)
    errors = []
    if root.tag != "dashboard":
        errors.append(f"{name}: a Studio view is <dashboard version=\"2\">, not <{root.tag}>")
    if root.find("label") is None:
        errors.append(f"{name}: no <label>")
    try:
        d = sc.studio_definition(path)
    except ValueError as exc:
        return errors + [str(exc)]
    raw = ET.tostring(root, encoding="unicode")
    if re.search(r"<script|jquery", raw, re.I):
        errors.append(f"{name}: custom JavaScript")
    dss, vizs, inputs = d.get("dataSources", {}), d.get("visualizations", {}), d.get("inputs", {})
    if not dss:
        errors.append(f"{name}: no data sources")
    tokens = studio_tokens(d)
    results = {}

    def run(ds_id, ds, stack=()):
        ctx = f"{name} {ds_id}"
        if ds_id in results:
            return results[ds_id]
        kind, opts = ds.get("type"), ds.get("options", {})
        avail = sc.FieldSet(lenient=True)
        if kind not in STUDIO_DS:
            errors.append(f"{ctx}: data source type {kind!r}")
        elif kind == "ds.savedSearch":
            ref = opts.get("ref")
            if ref not in schema.savedsearches:
                errors.append(f"{ctx}: references missing saved search {ref!r}")
            else:
                an, avail = sc.analyze(schema.savedsearches[ref]["search"], schema, ctx=ctx)
                errors.extend(an.errors)
        elif kind == "ds.chain":
            base = opts.get("extend")
            if base not in dss or base in stack:
                errors.append(f"{ctx}: extends {base!r}, not a data source here")
            else:
                an, avail = sc.analyze("| " + opts.get("query", ""), schema,
                                       avail=run(base, dss[base], stack + (ds_id,)), ctx=ctx)
                errors.extend(an.errors)
        else:
            q = opts.get("query", "").strip()
            if "`" not in q and "savedsearch" not in q:
                errors.append(f"{ctx}: query uses no app macro or saved search")
            an, avail = sc.analyze(q, schema, ctx=ctx)
            errors.extend(an.errors)
        results[ds_id] = avail
        return avail

    for ds_id, ds in dss.items():
        run(ds_id, ds)
    # tokens anywhere (searches, defaults, titles) are defined
    for m in re.finditer(r"\$([A-Za-z0-9_.]+)\$", json.dumps(d)):
        if m.group(1).split(".")[0] not in tokens:
            errors.append(f"{name}: uses undefined token ${m.group(1)}$")
    for item_id, item in list(vizs.items()) + list(inputs.items()):
        for role, ds_id in item.get("dataSources", {}).items():
            if ds_id not in dss:
                errors.append(f"{name} {item_id}: {role} data source {ds_id!r} does not exist")
                continue
            avail = results[ds_id]
            for h in item.get("eventHandlers", []):
                opts = h.get("options", {})
                for t in opts.get("tokens", []):
                    for ref in (t.get("key", ""), t.get("value", "")):
                        m = re.match(r"^row\.([A-Za-z0-9_]+)\.value$", ref or "")
                        if m and not avail.has(m.group(1)):
                            errors.append(f"{name} {item_id}: drilldown uses {m.group(1)!r}, not in results")
                if h.get("type") == "drilldown.linkToDashboard":
                    if opts.get("app") != sc.APP_ID:
                        errors.append(f"{name} {item_id}: link to app {opts.get('app')!r}")
                    elif not os.path.exists(os.path.join(VIEWS, f"{opts.get('dashboard')}.xml")):
                        errors.append(f"{name} {item_id}: link to missing view {opts.get('dashboard')}")
            for field in re.findall(r'seriesByName\(\\?["\']([A-Za-z0-9_]+)', json.dumps(item)):
                if not avail.has(field):
                    errors.append(f"{name} {item_id}: shows {field!r}, not in its results")
    layout = d.get("layout", {})
    placed = set(layout.get("globalInputs", []))
    for lay in layout.get("layoutDefinitions", {}).values():
        placed.update(i.get("item") for i in lay.get("structure", []))
    for tab in layout.get("tabs", {}).get("items", []):
        if tab.get("layoutId") not in layout.get("layoutDefinitions", {}):
            errors.append(f"{name}: tab layout {tab.get('layoutId')!r} is not defined")
    for item in placed - set(vizs) - set(inputs):
        errors.append(f"{name}: layout places {item!r}, which is not defined")
    for item in (set(vizs) | set(inputs)) - placed:
        errors.append(f"{name}: {item!r} is defined but not placed in the layout")
    return errors


class Dashboards(unittest.TestCase):
    def setUp(self):
        self.schema = sc.Schema()

    def test_required_views_exist(self):
        names = {f[:-4] for f in view_files()}
        self.assertTrue(REQUIRED <= names, REQUIRED - names)

    def test_views(self):
        errors = []
        for f in view_files():
            errors.extend(check_view(os.path.join(VIEWS, f), self.schema))
        self.assertEqual(errors, [], "\n".join(errors))

    def test_nav(self):
        path = os.path.join(UI, "nav", "default.xml")
        root = ET.parse(path).getroot()
        self.assertEqual(root.tag, "nav")
        views = {f[:-4] for f in view_files()}
        bad = []
        defaults = 0
        for v in root.iter("view"):
            n = v.get("name")
            defaults += v.get("default") == "true"
            if n not in views and n not in BUILTIN_VIEWS:
                bad.append(f"nav view {n!r} does not exist")
        for s in root.iter("saved"):
            n = s.get("name")
            if n not in self.schema.savedsearches:
                bad.append(f"nav saved search {n!r} does not exist")
        self.assertEqual(bad, [])
        self.assertEqual(defaults, 1)
        in_nav = {v.get("name") for v in root.iter("view")}
        self.assertTrue(REQUIRED <= in_nav)

    def mutate(self, good, mutations, suffix=".xml"):
        import tempfile
        for old, new, needle in mutations:
            self.assertIn(old, good)
            with tempfile.TemporaryDirectory() as d:
                p = os.path.join(d, "v" + suffix)
                with open(p, "w", encoding="utf-8") as f:
                    f.write(good.replace(old, new, 1))
                errs = "\n".join(check_view(p, self.schema))
                self.assertIn(needle, errs, f"mutation {new!r}")

    def test_checker_catches_mistakes_in_studio_views(self):
        with open(os.path.join(VIEWS, "ipv6probe_overview.xml"), encoding="utf-8") as f:
            good = f.read()
        self.mutate(good, [
            ('"type": "ds.search"', '"type": "ds.serch"', "data source type"),
            ("`ipv6probe_inbound` | stats dc(src) AS sources",
             "index=main | stats dc(src) AS sources", "no app macro"),
            ("`ipv6probe_inbound` | stats dc(src) AS sources",
             "`ipv6probe_inbound` | stats dc(source_ip) AS sources", "'source_ip'"),
            ('"row.ladder_id.value"', '"row.ladder.value"', "drilldown uses"),
            ('"dashboard": "ipv6probe_ladder_explorer"', '"dashboard": "ipv6probe_ladders"',
             "missing view"),
            ('"primary": "ds_sources"', '"primary": "ds_nope"', "does not exist"),
            ('"item": "viz_sources"', '"item": "viz_nope"', "not defined"),
            ('"earliest": "$global_time.earliest$"', '"earliest": "$nope.earliest$"',
             "undefined token"),
            ('"query": "`ipv6probe_inbound` | stats count AS probes"',
             '"query": "`ipv6probe_inbound` | stats count AS probes", "x": "', "not JSON"),
            ("</dashboard>", "", "not well-formed"),
        ])

    def test_checker_catches_mistakes_in_simple_xml(self):
        good = """<form version="1.1">
  <label>v</label>
  <fieldset><input type="time" token="time"/></fieldset>
  <row><panel><table>
    <search><query>`ipv6probe_inbound` | stats dc(src) AS sources BY src_org</query>
      <earliest>$time.earliest$</earliest></search>
    <drilldown><link>/app/ipv6probe/ipv6probe_harvester?form.org=$row.src_org$</link></drilldown>
  </table></panel></row>
  <row><panel><table><search ref="ipv6probe - Probes to temporary addresses"/></table></panel></row>
</form>
"""
        self.assertEqual(check_view_text(good, self.schema), [])
        self.mutate(good, [
            ('version="1.1"', 'version="1.0"', "not \"1.1\""),
            ('ref="ipv6probe - Probes to temporary addresses"',
             'ref="ipv6probe - Probes to temp addresses"', "missing saved search"),
            ("`ipv6probe_inbound` | stats", "index=main | stats", "no app macro"),
            ("dc(src)", "dc(source_ip)", "'source_ip'"),
            ("$row.src_org$", "$row.org$", "drilldown uses"),
            ("ipv6probe_harvester?", "ipv6probe_harvest?", "missing view"),
            ("stats dc(src)", "search src=$tme$ | stats dc(src)", "undefined token"),
            ("</form>", "", "not well-formed"),
        ])


def check_view_text(text, schema):
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "v.xml")
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        return check_view(p, schema)

if __name__ == "__main__":
    sc.run_tests()

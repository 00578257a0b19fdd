#!/usr/bin/env python3
"""Dashboard Studio dashboards, validated and drawn by Splunk's own framework.

* Every panel's search in the shipped definitions is the one written beside
  its table computation in studio/panels.py, and every data source has one.
* The forwarder's real output for the lab story (studio/story.py) is turned
  into each panel's result table (studio/panels.py).
* A page bundled with esbuild from Splunk's npm packages (studio/page.jsx)
  runs each definition, as shipped, through @splunk/dashboard-validation with
  the Enterprise preset's schema, and mounts it with @splunk/dashboard-core,
  each search replaced by a ds.test data source holding its table.  Headless
  Chromium loads it: every visualization must draw its data, with no error
  message, no validation finding and no page error.  One PNG per dashboard
  is written to <build>/tests/splunk/studio/.

The npm packages come from scripts/deps-studio.sh (node_modules under
/var/cache/ipv6probe, keyed by the lockfile's hash, or STUDIO_NODE_MODULES);
Chromium is Debian's.  Without them, or without the built forwarder, the
rendering test skips and says why.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "studio"))
import splunkcheck as sc  # noqa: E402
import panels  # noqa: E402
import story  # noqa: E402

STUDIO = os.path.join(HERE, "studio")
VIEWS = os.path.join(sc.APP_DIR, "default", "data", "ui", "views")
BUILD = os.environ.get("IPV6PROBE_BUILD_ROOT", "")
FORWARDER = os.path.join(BUILD, "forwarder", "ipv6probe-forward") if BUILD else ""
CACHE = os.environ.get("IPV6PROBE_CACHE", "/var/cache/ipv6probe")


def studio_definitions():
    """{view: definition} of every Dashboard Studio view in the app."""
    out = {}
    for f in sorted(os.listdir(VIEWS)):
        if not f.endswith(".xml"):
            continue
        d = sc.studio_definition(os.path.join(VIEWS, f))
        if d is not None:
            out[f[:-4]] = d
    return out


def node_modules():
    """Where scripts/deps-studio.sh put the npm packages, or None."""
    if os.environ.get("STUDIO_NODE_MODULES"):
        return os.environ["STUDIO_NODE_MODULES"]
    with open(os.path.join(STUDIO, "package-lock.json"), "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:16]
    for d in (os.path.join(CACHE, f"studio-{key}", "node_modules"), os.path.join(STUDIO, "node_modules")):
        if os.path.isfile(os.path.join(d, ".package-lock.json")):
            return d
    return None


def chromium():
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


class Searches(unittest.TestCase):
    """The searches and the table computations are the same list."""

    def test_every_data_source_has_its_table(self):
        defs = studio_definitions()
        self.assertEqual(set(defs), {"ipv6probe_overview", "ipv6probe_ladder_explorer",
                                     "ipv6probe_harvester", "ipv6probe_forwarder_health"})
        problems = []
        seen = set()
        for view, d in defs.items():
            for ds_id, ds in d["dataSources"].items():
                seen.add((view, ds_id))
                if (view, ds_id) not in panels.PANELS:
                    problems.append(f"{view} {ds_id}: no table computation in studio/panels.py")
                    continue
                spl, _ = panels.PANELS[(view, ds_id)]
                query = " ".join(ds.get("options", {}).get("query", "").split())
                if query != spl:
                    problems.append(f"{view} {ds_id}: the search differs from studio/panels.py\n"
                                    f"  view:   {query}\n  panels: {spl}")
        for key in set(panels.PANELS) - seen:
            problems.append(f"{key}: computed in studio/panels.py but not in the view")
        self.assertEqual(problems, [], "\n".join(problems))


class Render(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = []
        if not FORWARDER or not os.access(FORWARDER, os.X_OK):
            why.append("ipv6probe-forward is not built")
        if not shutil.which("node"):
            why.append("node is not installed")
        cls.modules = node_modules()
        if not cls.modules:
            why.append("the npm packages are not installed (scripts/deps-studio.sh)")
        cls.chromium = chromium()
        if not cls.chromium:
            why.append("chromium is not installed")
        if why:
            raise unittest.SkipTest("; ".join(why))
        cls.out = os.path.join(BUILD, "tests", "splunk", "studio")
        os.makedirs(cls.out, exist_ok=True)
        cls.defs = studio_definitions()
        with tempfile.TemporaryDirectory() as tmp:
            text, cls.lines = story.run_forwarder(FORWARDER, tmp)
        with open(os.path.join(cls.out, "forwarder-output.jsonl"), "w") as f:
            f.write(text)
        cls.ev = panels.Events(text, story.HOST)
        cls.tables = {v: {ds: panels.PANELS[(v, ds)][1](cls.ev) for ds in d["dataSources"]}
                      for v, d in cls.defs.items()}
        cls.result = cls.render()

    @classmethod
    def render(cls):
        out, env = cls.out, dict(os.environ, NODE_PATH=cls.modules)
        # the page and its driver sit beside the npm packages they import
        link = os.path.join(out, "node_modules")
        if os.path.islink(link) or os.path.exists(link):
            os.unlink(link)
        os.symlink(cls.modules, link)
        for f in ("page.jsx", "page.html", "render.cjs"):
            shutil.copy(os.path.join(STUDIO, f), out)
        esbuild = os.path.join(cls.modules, ".bin", "esbuild")
        r = subprocess.run([esbuild, os.path.join(out, "page.jsx"), "--bundle", "--minify",
                            f"--outfile={os.path.join(out, 'bundle.js')}", "--loader:.js=jsx",
                            "--define:process.env.NODE_ENV=\"production\"", "--log-level=warning",
                            f"--resolve-extensions=.jsx,.js,.mjs,.json"],
                           capture_output=True, text=True, env=env, cwd=out, timeout=300)
        if r.returncode != 0:
            raise AssertionError(f"esbuild failed: {r.stderr[-3000:]}")
        mutants = {"unknown visualization type": mutant(cls.defs, "type", "splunk.tabel"),
                   "option of the wrong type": mutant(cls.defs, "options", {"count": "ten"})}
        with open(os.path.join(out, "input.js"), "w") as f:
            f.write("window.STUDIO_INPUT = " + json.dumps(
                {"definitions": cls.defs, "tables": cls.tables, "mutants": mutants}) + ";\n")
        res = os.path.join(out, "result.json")
        if os.path.exists(res):
            os.unlink(res)
        r = subprocess.run(["node", os.path.join(out, "render.cjs"), out, cls.chromium, res]
                           + sorted(cls.defs), capture_output=True, text=True, env=env, timeout=600)
        if r.returncode != 0:
            raise AssertionError(f"render.cjs failed: {r.stderr[-3000:]}")
        with open(res) as f:
            return json.load(f)

    def test_validator_accepts_every_definition(self):
        v = self.result["validation"]
        self.assertEqual(set(v), set(self.defs) | {"mutant: " + m for m in (
            "unknown visualization type", "option of the wrong type")})
        for view in self.defs:
            self.assertEqual(v[view], [], f"{view}: {json.dumps(v[view], indent=1)}")

    def test_validator_rejects_broken_definitions(self):
        # the validator does find mistakes, so its silence above means something
        v = self.result["validation"]
        for name in ("unknown visualization type", "option of the wrong type"):
            self.assertNotEqual(v["mutant: " + name], [], name)

    def test_every_visualization_drew_its_data(self):
        problems = []
        for view, d in self.defs.items():
            got = self.result["views"][view]
            for e in got["errors"] + got["console"]:
                problems.append(f"{view}: {e}")
            for viz_id, viz in d["visualizations"].items():
                s = got["state"].get(viz_id, {})
                if not s.get("found"):
                    problems.append(f"{view} {viz_id}: not on the page")
                    continue
                if s.get("error") or re.search(r"\b(error|nan|no data|no results|waiting for input|"
                                               r"cannot access|search failed)\b", s["text"], re.I):
                    problems.append(f"{view} {viz_id}: shows a message: {s['text'][:200]!r}")
                if not (s["svg"] or s["canvas"] or s["cells"] or re.search(r"\d", s["value"])):
                    problems.append(f"{view} {viz_id}: drew nothing")
                problems.extend(f"{view} {viz_id}: {p}" for p in shown(viz, s, self.tables[view]))
        self.assertEqual(problems, [], "\n".join(problems))

    def test_pictures(self):
        for view in self.defs:
            png = os.path.join(self.out, f"{view}.png")
            with open(png, "rb") as f:
                head = f.read(24)
            self.assertEqual(head[:8], b"\x89PNG\r\n\x1a\n", png)
            width = int.from_bytes(head[16:20], "big")
            self.assertGreaterEqual(width, 1200, png)

    def test_story_fields_are_known(self):
        # every field of every record the forwarder wrote is in fields.txt
        import check_events
        with open(os.path.join(self.out, "forwarder-output.jsonl")) as f:
            counts, problems = check_events.check_text(f.read(), "lab story")
        self.assertEqual(sorted(set(p.split(": ", 2)[-1] for p in problems)), [])
        self.assertEqual(set(counts), {"ipv6probe:event", "ipv6probe:ladder", "ipv6probe:suspect",
                                       "ipv6probe:stats"})

    def test_story_reached_every_record_kind(self):
        # the pictures show each part of the story, from the forwarder's records
        ev = self.ev
        self.assertEqual({e["direction"] for e in ev.events}, {"inbound", "outbound"})
        self.assertGreaterEqual(len(ev.ladders), 4)
        self.assertTrue(any(s["suspect"] == story.NTP for s in ev.suspects))
        self.assertGreaterEqual(len(ev.stats), 3)
        self.assertEqual(ev.stats[-1]["lines"], len(self.lines))
        behaviours = {b for e in ev.events for b in e.get("src_behavior", [])}
        self.assertTrue({"hop_ladder", "port_scan", "address_sweep", "pe_targeted",
                         "repeat_visit"} <= behaviours, behaviours)


def mutant(defs, key, value):
    """The overview with its first table's `key` broken."""
    d = json.loads(json.dumps(defs["ipv6probe_overview"]))
    viz = next(v for v in d["visualizations"].values() if v["type"] == "splunk.table")
    if key == "options":
        viz["options"].update(value)
    else:
        viz[key] = value
    return d


def shown(viz, state, tables):
    """What a visualization must show of its table: a single value its number,
    a table the first value of its first column, a chart its series names."""
    t = tables[viz["dataSources"]["primary"]]
    names = [f["name"] for f in t["fields"]]
    first = [c[0] if c else None for c in t["columns"]]
    if viz["type"] == "splunk.singlevalue":
        m = re.search(r"seriesByName\('([^']+)'\)", viz.get("options", {}).get("majorValue", ""))
        want = first[names.index(m.group(1))] if m else first[-1]
        return [] if str(want) in state["value"].replace(",", "") else [f"shows {state['value']!r}, not {want}"]
    if viz["type"] == "splunk.table":
        cell = first[0]
        cell = cell[0] if isinstance(cell, list) else cell
        return [] if str(cell) in state["text"] else [f"first cell {cell!r} not shown"]
    # Charts: the framework's own description of what it drew (its screen
    # reader text) names the number of slices, bars, points or series, and
    # the legend and axis show the series and category names.
    rows, series = len(t["columns"][0]) if t["columns"] else 0, names[1:]
    text = state["text"]
    if viz["type"] == "splunk.pie":
        want = f"Pie chart with {rows} slices"
    elif viz["type"] == "splunk.line":
        want = f"Line chart with {rows * len(series)} data points"
    elif len(series) == 1:
        want = f"Bar chart with {rows} bars"
    else:
        want = f"Bar chart with {len(series)} data series"
    problems = [] if want in text else [f"says {re.findall(r'[A-Z][a-z]+ chart with [^.]*', text)}, "
                                        f"not {want!r}"]
    labels = (series if len(series) > 1 else []) + ([] if names[0] == "_time" else
                                                    [str(x) for x in t["columns"][0]])
    problems += [f"{x!r} not shown" for x in labels if x not in text]
    return problems


if __name__ == "__main__":
    sc.run_tests()

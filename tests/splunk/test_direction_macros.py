#!/usr/bin/env python3
"""The app's direction macros give right answers on host firewalls and gateways.

The definitions of `ipv6probe_inbound`, `ipv6probe_outbound`,
`ipv6probe_unique` and `ipv6probe_is_outbound` are read from macros.conf,
expanded, and evaluated on real ipv6probe-forward output by a small
evaluator of the search terms they use (field="value", field=*, NOT, OR,
AND, parentheses; the eval form with ==, AND, OR, isnotnull).  Cases:

  * a host firewall (INPUT and OUTPUT lines), with and without its prefix;
  * a gateway (FORWARD lines, each logged by two rules) with
    internal_interfaces, with internal_prefixes, and with nothing: then
    every event reads "forward" and the LAN's own connections count as
    inbound, which is what the forwarder's note tells the user to fix.

Each packet must be counted once, probes from outside as inbound and the
site's own connections as outbound.
"""

import os
import re
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splunkcheck as sc  # noqa: E402

BUILD = os.environ.get("IPV6PROBE_BUILD_ROOT", "")
FORWARDER = os.path.join(BUILD, "forwarder", "ipv6probe-forward") if BUILD else ""

LAN, NET = "2001:0db8:0001:0001:0000:0000:0000:00%02x", "2001:0db8:0009:0000:0000:0000:0000:00%02x"
TAIL = ("LEN=104 TC=0 HOPLIMIT=%d FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=7 SEQ=%d")


def nf(sec, prefix, ifin, ifout, src, dst, hop, seq):
    return ("2026-11-27T16:59:%02d.000100+00:00 gw kernel: %s IN=%s OUT=%s SRC=%s DST=%s %s"
            % (sec, prefix, ifin, ifout, src, dst, TAIL % (hop, seq)))


# ---- a small evaluator of the search terms the macros use ----

TOKEN = re.compile(r'\s*(\(|\)|"[^"]*"|==|!=|=|[A-Za-z_][A-Za-z0-9_:.{}]*|\*|,)')


def tokens(text):
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if not m:
            raise ValueError("cannot read %r" % text[pos:])
        out.append(m.group(1))
        pos = m.end()
    return out


class Search:
    """field=value terms with NOT/OR/AND/() over one event (a dict).  Terms
    on index and sourcetype match every event given."""

    def __init__(self, text):
        self.t = tokens(text)
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else None

    def take(self):
        self.i += 1
        return self.t[self.i - 1]

    def parse(self):
        node = self.expr_or()
        if self.peek() is not None:
            raise ValueError("left over: %s" % self.t[self.i:])
        return node

    def expr_or(self):
        parts = [self.expr_and()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.expr_and())
        return ("or", parts) if len(parts) > 1 else parts[0]

    def expr_and(self):
        parts = []
        while self.peek() not in (None, ")", "OR"):
            if self.peek() == "AND":
                self.take()
                continue
            parts.append(self.unary())
        return ("and", parts)

    def unary(self):
        if self.peek() == "NOT":
            self.take()
            return ("not", self.unary())
        if self.peek() == "(":
            self.take()
            node = self.expr_or()
            assert self.take() == ")"
            return node
        field = self.take()
        op = self.take()
        value = self.take()
        if op == "(":  # isnotnull(field)
            assert field == "isnotnull" and self.take() == ")"
            return ("has", value)
        return ("cmp", field, op, value.strip('"'))


def holds(node, ev):
    kind = node[0]
    if kind == "or":
        return any(holds(n, ev) for n in node[1])
    if kind == "and":
        return all(holds(n, ev) for n in node[1])
    if kind == "not":
        return not holds(node[1], ev)
    if kind == "has":
        return node[1] in ev
    _, field, op, value = node
    if field in ("index", "sourcetype"):
        return True
    if value == "*":
        return field in ev
    v = ev.get(field)
    if isinstance(v, bool):
        v = "true" if v else "false"
    same = v is not None and str(v) == value
    return same if op in ("=", "==") else not same


def macro(name):
    defs = sc.Schema().macros
    return Search(sc.expand_macros("`%s`" % name, defs)).parse()


def forward(lines, config):
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "in.log")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        args = [FORWARDER, "--stdout", path]
        if config:
            cfg = os.path.join(d, "c.yaml")
            with open(cfg, "w") as f:
                f.write(config)
            args += ["-c", cfg]
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
    import json
    return [json.loads(x) for x in r.stdout.splitlines()
            if x.strip() and "sourcetype" not in json.loads(x)]


class DirectionMacros(unittest.TestCase):
    def setUp(self):
        if not FORWARDER or not os.access(FORWARDER, os.X_OK):
            self.skipTest("forwarder not built")
        self.inbound = macro("ipv6probe_inbound")
        self.outbound = macro("ipv6probe_outbound")
        self.unique = macro("ipv6probe_unique")
        ev = sc.Schema().macros["ipv6probe_is_outbound"]["definition"]
        self.is_outbound = Search(ev).parse()

    def counts(self, events):
        return (sum(holds(self.inbound, e) for e in events),
                sum(holds(self.outbound, e) for e in events),
                sum(holds(self.unique, e) for e in events))

    def test_host_firewall(self):
        lines = [nf(i, "IN-DROP", "eth0", "", NET % i, LAN % 1, 50, i) for i in range(1, 6)]
        lines += [nf(i, "OUT-LOG", "", "eth0", LAN % 1, NET % i, 64, i) for i in range(1, 4)]
        events = forward(lines, None)
        self.assertEqual(len(events), 8)
        self.assertEqual(self.counts(events), (5, 3, 8))
        # The same with the host's prefix configured: the same answers.
        events = forward(lines, "internal_prefixes: [\"2001:db8:1:1::/64\"]\n")
        self.assertEqual(self.counts(events), (5, 3, 8))
        for e in events:
            if holds(self.unique, e):
                self.assertEqual(holds(self.is_outbound, e), holds(self.outbound, e))

    def gateway_lines(self):
        """5 probes from outside, 3 LAN connections, 1 LAN to LAN: each logged
        by two rules in FORWARD."""
        lines = []
        for i in range(1, 6):
            for p in ("FWD-A", "FWD-B"):
                lines.append(nf(i, p, "wan0", "lan0", NET % i, LAN % 1, 50, i))
        for i in range(1, 4):
            for p in ("FWD-A", "FWD-B"):
                lines.append(nf(10 + i, p, "lan0", "wan0", LAN % 1, NET % i, 63, 100 + i))
        for p in ("FWD-A", "FWD-B"):
            lines.append(nf(20, p, "lan0", "lan1", LAN % 1, LAN % 2, 63, 200))
        return lines

    def test_gateway_with_site(self):
        events = forward(self.gateway_lines(), "internal_interfaces: [\"lan*\"]\n")
        self.assertEqual(len(events), 18)
        self.assertEqual(self.counts(events), (5, 3, 9))
        for e in events:
            if holds(self.unique, e):
                self.assertEqual(holds(self.is_outbound, e), holds(self.outbound, e))

    def test_gateway_without_site(self):
        # Nothing says which side is inside: each packet still counts once,
        # and the LAN /64 is not known, so its connections read as inbound:
        # what the forwarder's note tells the user to fix.
        events = forward(self.gateway_lines(), None)
        self.assertTrue(all(e["direction"] == "forward" for e in events))
        self.assertEqual(self.counts(events), (9, 0, 9))
        # With the LAN's prefix only (no interfaces) the answers are right.
        events = forward(self.gateway_lines(), "internal_prefixes: [\"2001:db8:1::/48\"]\n")
        self.assertEqual(self.counts(events), (5, 3, 9))

    def test_evaluator_can_fail(self):
        node = Search('a="x" (b=* OR NOT c="y")').parse()
        self.assertTrue(holds(node, {"a": "x", "c": "z"}))
        self.assertFalse(holds(node, {"a": "x", "c": "y"}))
        self.assertFalse(holds(node, {"a": "w", "b": 1}))


if __name__ == "__main__":
    unittest.main()

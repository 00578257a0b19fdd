#!/usr/bin/python3
"""Hop-limit ladder lab: a real traceroute done with pings, logged by the kernel.

Five network namespaces joined by veth pairs:

    prober --- r1 --- r2 --- r3 --- target
      2001:db8:0:10::/64  :21::/64  :32::/64  3fff:0:0:40::/64

The prober's link also carries 2001:db8:0:11::2, :12::2 and :13::2, sources of
the controls (each in its own /64, so each is a group of its own).  The target
logs every incoming echo request with an ip6tables LOG rule; the prober logs
every incoming ICMPv6 Time Exceeded.  From raw ICMPv6 sockets in the prober
(IPV6_UNICAST_HOPS per probe, so every probe has a known id and sequence):

  ladder     hop limits 1..HOPS+3, twice each, a quarter second apart;
             those with more than three hops arrive with 1..3+... left, the
             others expire at r1, r2, r3 (Time Exceeded back to the prober)
  constant   one hop limit (arriving with 2 left), seven times, from :11::2
  descending hop limits 9..4, twice each (arriving 6..1), from :12::2
  expiring   hop limits 3,3,2,2,1,1 from :13::2: Time Exceeded from r3, r2,
             r1 (the sender's side of a descending sequence: must not fire)

interleaved.  The kernel's lines are read back from /dev/kmsg, written as RFC
3164 syslog lines (one file per host) and fed to the ladder driver (and to
`ipv6probe-forward --stdout` when given).  Checked:

  target   exactly one ladder: its events carry ladder_id, ladder_rung,
           ladder_rungs, ladder_repeat and hop_ladder in tags and
           src_behavior from the third rung on; its summary record has the
           sender's source and /64, the target, the rungs, min/max hop limit
           and 2 repeats per rung as sent; the controls carry no ladder field
  prober   the ladder's Time Exceeded lines (one per router per repeat,
           routers in order r1, r2, r3) are one sender-side ladder: tagged
           from the third router on (without src_behavior), one
           time_exceeded summary with the routers in order and 2 repeats each;
           the expiring control (routers ever nearer) carries no ladder
           field and has no summary

Usage (as root):  ladder_kernel_lab.py LADDER_DRIVER [FORWARDER] [--keep]
Exit codes: 0 pass, 1 fail, 77 skipped (not root, no namespaces, no
nf_log_all_netns, no LOG line).
"""

import ipaddress
import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lablib as L  # noqa: E402
from lablib import log, skip  # noqa: E402


# ---------------------------------------------------------------------------
# Topology

NAMES = ("prb", "r1", "r2", "r3", "tgt")
ROUTERS = ("r1", "r2", "r3")
LINKS = [("prb", "p0", "r1", "a0"), ("r1", "a1", "r2", "b0"),
         ("r2", "b1", "r3", "c0"), ("r3", "c1", "tgt", "t0")]
P6 = "2001:db8:0:10::2"          # the ladder's source
CTL_CONST = "2001:db8:0:11::2"   # constant hop limit
CTL_DESC = "2001:db8:0:12::2"    # descending, arriving
CTL_EXP = "2001:db8:0:13::2"     # descending, expiring on the way
PRB_NET = "2001:db8:0:10::/60"
T6 = "3fff:0:0:40::2"
ADDRS = {
    ("prb", "p0"): [P6, CTL_CONST, CTL_DESC, CTL_EXP],
    ("r1", "a0"): ["2001:db8:0:10::1"], ("r1", "a1"): ["2001:db8:0:21::1"],
    ("r2", "b0"): ["2001:db8:0:21::2"], ("r2", "b1"): ["2001:db8:0:32::1"],
    ("r3", "c0"): ["2001:db8:0:32::2"], ("r3", "c1"): ["3fff:0:0:40::1"],
    ("tgt", "t0"): [T6],
}
ROUTES = [("prb", "default", "2001:db8:0:10::1"),
          ("r1", PRB_NET, P6), ("r1", "default", "2001:db8:0:21::2"),
          ("r2", PRB_NET, "2001:db8:0:21::1"), ("r2", "default", "2001:db8:0:32::2"),
          ("r3", "default", "2001:db8:0:32::1"),
          ("tgt", "default", "3fff:0:0:40::1")]

HOPS = len(ROUTERS) + 1          # the target is the fourth hop
TOP = HOPS + 3                   # the ladder climbs 1..TOP
REPEATS = 2
SPACING = 0.25                   # seconds between probes
CONST_HOP, CONST_N = len(ROUTERS) + 2, 7
DESC_HOPS = list(range(len(ROUTERS) + 6, len(ROUTERS), -1))     # 9..4
EXP_HOPS = [3, 3, 2, 2, 1, 1]
IDS = {"ladder": 0x6c61, "constant": 0x6331, "descending": 0x6332, "expiring": 0x6333}
SOURCES = {"ladder": P6, "constant": CTL_CONST, "descending": CTL_DESC, "expiring": CTL_EXP}


def norm(addr):
    return str(ipaddress.IPv6Address(addr))


def router_of(addr):
    """Which router owns addr, or None."""
    a = norm(addr)
    for (ns, _), lst in ADDRS.items():
        if ns in ROUTERS and a in [norm(x) for x in lst]:
            return ns
    return None


MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def rfc3164(rec, boot, host):
    """The line as rsyslog writes a kernel message (time in UTC)."""
    tm = time.gmtime(int(boot + rec["usec"] / 1e6))
    return "%s %2d %02d:%02d:%02d %s kernel: [%5d.%06d] %s" % (
        MON[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, host,
        rec["usec"] // 1000000, rec["usec"] % 1000000, rec["msg"])


def kernel_fields(msg):
    """SRC, DST, HOPLIMIT, TYPE, ID, SEQ of the line, and of the quoted packet."""
    outer, _, inner = msg.partition("[")

    def grab(text):
        d = {}
        for k, v in re.findall(r"\b(SRC|DST|HOPLIMIT|TYPE|CODE|ID|SEQ)=(\S+)", text):
            d.setdefault(k, v)
        return d
    o, i = grab(outer), grab(inner)
    out = {"src": norm(o["SRC"]), "dest": norm(o["DST"]), "hop": int(o["HOPLIMIT"]),
           "type": int(o.get("TYPE", -1))}
    if "ID" in o and out["type"] == 128:
        out["id"], out["seq"] = int(o["ID"]), int(o["SEQ"])
    if i.get("SRC"):
        out["inner"] = {"src": norm(i["SRC"]), "dest": norm(i["DST"]),
                        "id": int(i["ID"]) if "ID" in i else None,
                        "seq": int(i["SEQ"]) if "SEQ" in i else None}
    return out


# ---------------------------------------------------------------------------

class Lab(L.Lab):
    def __init__(self):
        super().__init__(NAMES, tmp_prefix="v6p-ladder-lab-")
        tag = "%04x" % (L.PID & 0xFFFF)
        self.px_tgt = "V6P-LAD-%s-TGT: " % tag
        self.px_prb = "V6P-LAD-%s-PRB: " % tag
        self.socks = {}

    def setup(self):
        self.create()
        self.log_all_netns()
        for n in NAMES:
            for k in ("net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                      "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
                      "net.ipv6.icmp.ratelimit=0", "net.ipv4.icmp_msgs_per_sec=100000",
                      "net.ipv6.icmp.echo_ignore_all=0"):
                self.sysctl(n, *k.split("="), check=False)
        for a, ia, b, ib in LINKS:
            self.veth(a, ia, b, ib)
        for (ns, ifn), lst in ADDRS.items():
            self.addr(ns, ifn, *[a + "/64" for a in lst])
        for n in ROUTERS:
            self.sysctl(n, "net.ipv6.conf.all.forwarding", 1)
        for ns, dst, via in ROUTES:
            self.nsx(ns, "ip", "-6", "route", "add", dst, "via", via)

    def rules(self):
        self.nsx("tgt", "ip6tables", "-w", "-A", "INPUT", "-s", PRB_NET, "-p", "ipv6-icmp",
                 "--icmpv6-type", "echo-request", "-j", "LOG", "--log-prefix", self.px_tgt)
        self.nsx("prb", "ip6tables", "-w", "-A", "INPUT", "-p", "ipv6-icmp",
                 "--icmpv6-type", "time-exceeded", "-j", "LOG", "--log-prefix", self.px_prb)

    def warm_up(self):
        """Neighbours resolved and the path proven, before the log is read."""
        for ns, peer in (("prb", "2001:db8:0:10::1"), ("r1", "2001:db8:0:21::2"),
                         ("r2", "2001:db8:0:32::2"), ("r3", T6), ("tgt", "3fff:0:0:40::1"),
                         ("r3", "2001:db8:0:32::1"), ("r2", "2001:db8:0:21::1"), ("r1", P6)):
            self.nsx(ns, "ping", "-6", "-c", "1", "-W", "2", peer, check=False)
        for src in SOURCES.values():
            r = self.nsx("prb", "ping", "-6", "-c", "1", "-W", "3", "-I", src, T6,
                         check=False)
            if r.returncode != 0:
                raise RuntimeError("no path from %s to %s: %s" % (src, T6, r.stderr.strip()))

    def open_sockets(self):
        for name, src in SOURCES.items():
            s = self.socket("prb", socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            s.bind((src, 0))
            self.socks[name] = s

    def send(self, name, hop, seq):
        """One echo request; the kernel fills in the checksum."""
        s = self.socks[name]
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, hop)
        data = struct.pack("!BBHHH", 128, 0, 0, IDS[name], seq) + b"v6p-ladder-lab--"
        s.sendto(data, (T6, 0))
        return {"stream": name, "src": norm(SOURCES[name]), "hop": hop, "id": IDS[name],
                "seq": seq}

    def traffic(self):
        """The ladder with the controls interleaved, SPACING apart."""
        plan = []
        ladder = [(h, r) for h in range(1, TOP + 1) for r in range(REPEATS)]
        const = [CONST_HOP] * CONST_N
        desc = [h for h in DESC_HOPS for _ in range(REPEATS)]
        exp = list(EXP_HOPS)
        seqs = {k: 0 for k in IDS}
        while ladder or const or desc or exp:
            for name, q in (("ladder", ladder), ("constant", const), ("ladder", ladder),
                            ("descending", desc), ("expiring", exp)):
                if q:
                    item = q.pop(0)
                    hop = item[0] if name == "ladder" else item
                    seqs[name] += 1
                    plan.append((name, hop, seqs[name]))
        sent = []
        for name, hop, seq in plan:
            sent.append(self.send(name, hop, seq))
            time.sleep(SPACING)
        return sent

    def close(self):
        for s in self.socks.values():
            s.close()
        self.socks = {}
        super().close()


def capture():
    lab = Lab()
    kmsg = None
    try:
        lab.setup()
        try:
            lab.rules()
        except RuntimeError as e:
            skip("cannot install the ip6tables LOG rules: %s" % e)
        lab.warm_up()
        lab.open_sockets()
        # From here on: the warm-up's lines are not the ladder's.
        kmsg = L.Kmsg(lambda msg: msg.startswith((lab.px_tgt, lab.px_prb)))
        sent = lab.traffic()
        recs = kmsg.settle()
        boot = L.boot_epoch()
    finally:
        if kmsg:
            kmsg.close()
        lab.close()
    tgt = [r for r in recs if r["msg"].startswith(lab.px_tgt)]
    prb = [r for r in recs if r["msg"].startswith(lab.px_prb)]
    if not tgt and not prb:
        skip("the kernel logged no LOG line from the namespaces (nf_log_all_netns "
             "ineffective, or no nf_log backend)")
    return sent, tgt, prb, boot


# ---------------------------------------------------------------------------
# Running the driver (and the forwarder) over the lines

def read_json_lines(text, what, problems):
    bad = []
    out = L.parse_json_lines(text, bad)
    problems += ["%s: output line is not JSON: %s" % (what, ln[:200]) for ln in bad]
    return out


def run_driver(driver, path, problems):
    with open(path) as f:
        r = subprocess.run([driver], stdin=f, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=dict(os.environ, TZ="UTC"), timeout=60, text=True)
    if r.returncode != 0:
        problems.append("ladder_driver exit %d: %s" % (r.returncode, r.stderr.strip()[:300]))
    events, summaries = [], []
    for o in read_json_lines(r.stdout, "ladder_driver", problems):
        if "sourcetype" in o and "record" in o:
            if o["sourcetype"] != "ipv6probe:ladder":
                problems.append("ladder_driver: unexpected sourcetype %r" % o["sourcetype"])
            summaries.append(o["record"])
        else:
            events.append(o)
    return events, summaries


def run_forwarder(fwd, path, problems):
    out = L.forward_once(fwd, path, os.path.dirname(path))
    if out.rc != 0:
        problems.append("forwarder exit %d: %s" % (out.rc, out.stderr.strip()[:300]))
    problems += ["forwarder: output line is not JSON: %s" % ln[:200] for ln in out.bad]
    return out.events, out.records("ipv6probe:ladder")


# ---------------------------------------------------------------------------
# Checks

LADDER_KEYS = ("ladder_id", "ladder_rung", "ladder_rungs", "ladder_repeat")


def flags(v):
    if v is None:
        return set()
    if isinstance(v, str):
        return {v}
    return set(v)


def check_lines(sent, tgt, prb):
    """The kernel's lines against what was sent (the lab's own model)."""
    problems = []
    by_key = {(s["id"], s["seq"]): s for s in sent}
    arrived, expired = [], []
    for r in tgt:
        k = kernel_fields(r["msg"])
        s = by_key.get((k.get("id"), k.get("seq")))
        if not s or s["hop"] <= len(ROUTERS) or k["src"] != s["src"] or k["dest"] != norm(T6):
            problems.append("target logged a probe that was not sent so: " + r["msg"])
            continue
        if k["hop"] != s["hop"] - len(ROUTERS):
            problems.append("probe %s/%d sent with %d arrived with %d" %
                            (s["stream"], s["seq"], s["hop"], k["hop"]))
        arrived.append((s, k))
    for r in prb:
        k = kernel_fields(r["msg"])
        inner = k.get("inner") or {}
        s = by_key.get((inner.get("id"), inner.get("seq")))
        if not s or s["hop"] > len(ROUTERS) or inner.get("src") != s["src"]:
            problems.append("prober logged a Time Exceeded for no expiring probe: " + r["msg"])
            continue
        want = ROUTERS[s["hop"] - 1]
        if router_of(k["src"]) != want:
            problems.append("Time Exceeded for %s/%d (hop limit %d) from %s, not from %s" %
                            (s["stream"], s["seq"], s["hop"], k["src"], want))
        expired.append((s, k))
    for s in sent:
        n_in = sum(1 for a, _ in arrived if a is s)
        n_te = sum(1 for a, _ in expired if a is s)
        want_in, want_te = (1, 0) if s["hop"] > len(ROUTERS) else (0, 1)
        if (n_in, n_te) != (want_in, want_te):
            problems.append("probe %s/%d hop limit %d: %d target lines, %d Time Exceeded "
                            "lines (want %d, %d)" % (s["stream"], s["seq"], s["hop"], n_in,
                                                     n_te, want_in, want_te))
    return problems, arrived, expired


def check_target(events, summaries, sent, label):
    """The target's events: one ladder, tagged from its third rung on."""
    problems = []
    p = lambda m: problems.append("%s target: %s" % (label, m))
    n_lines = sum(1 for s in sent if s["hop"] > len(ROUTERS))
    if len(events) != n_lines:
        p("%d lines logged, %d events" % (n_lines, len(events)))
    src, dest = norm(P6), norm(T6)
    lad = [e for e in events if e.get("src") == src]
    others = [e for e in events if e.get("src") != src]
    # Arrived hop limits of the ladder, in order: 1,1,2,2,...
    want_hops = [s["hop"] - len(ROUTERS) for s in sent
                 if s["stream"] == "ladder" and s["hop"] > len(ROUTERS)]
    got_hops = [e.get("hop_limit") for e in lad]
    if got_hops != want_hops:
        p("ladder hop limits %s, sent so as to arrive %s" % (got_hops, want_hops))
    ids = set()
    rung_seen = {}
    min_rungs = 3
    for i, e in enumerate(lad):
        h = e.get("hop_limit")
        if not isinstance(h, int):
            p("ladder event without hop_limit: %s" % e)
            continue
        rung = h                       # the ladder starts at hop limit 1
        rung_seen[rung] = rung_seen.get(rung, 0) + 1
        rungs_so_far = len(rung_seen)
        tagged = any(k in e for k in LADDER_KEYS) or "hop_ladder" in flags(e.get("tags"))
        if rungs_so_far < min_rungs:
            if tagged:
                p("event %d (hop limit %d) tagged before the ladder was declared: %s" %
                  (i, h, {k: e.get(k) for k in LADDER_KEYS}))
            continue
        if not tagged:
            p("event %d (hop limit %d, rung %d) carries no ladder tags" % (i, h, rung))
            continue
        ids.add(e.get("ladder_id"))
        want = {"ladder_rung": rung, "ladder_rungs": rungs_so_far,
                "ladder_repeat": rung_seen[rung]}
        for k, v in want.items():
            if e.get(k) != v:
                p("event %d (hop limit %d): %s %r, expected %r" % (i, h, k, e.get(k), v))
        if not isinstance(e.get("ladder_id"), int):
            p("event %d: ladder_id %r is not an integer" % (i, e.get("ladder_id")))
        if "hop_ladder" not in flags(e.get("tags")):
            p("event %d: tags %r lack hop_ladder" % (i, e.get("tags")))
        if "hop_ladder" not in flags(e.get("src_behavior")):
            p("event %d: src_behavior %r lacks hop_ladder" % (i, e.get("src_behavior")))
    if len(ids) != 1:
        p("ladder events carry %d ladder ids: %s" % (len(ids), sorted(map(str, ids))))
    for e in others:
        bad = {k: e[k] for k in LADDER_KEYS if k in e}
        for k in ("tags", "src_behavior"):
            if "hop_ladder" in flags(e.get(k)):
                bad[k] = e[k]
        if bad:
            p("control probe from %s (hop limit %s) tagged: %s" % (e.get("src"),
                                                                   e.get("hop_limit"), bad))
    probe_sums = [s for s in summaries if s.get("kind") == "probe"]
    if len(probe_sums) != 1:
        p("%d probe ladder summaries, expected 1: %s" % (len(probe_sums), probe_sums))
    if probe_sums:
        s = probe_sums[0]
        n_rungs = TOP - len(ROUTERS)
        want = {"src": src, "src_prefix": "2001:db8:0:10::/64", "dest": dest,
                "transport": "icmpv6", "rungs": n_rungs, "probes": n_rungs * REPEATS,
                "min_hop_limit": 1, "max_hop_limit": n_rungs, "missing_rungs": 0,
                "repeats": [REPEATS] * n_rungs}
        if ids:
            want["ladder_id"] = next(iter(ids))
        for k, v in want.items():
            if s.get(k) != v:
                p("summary %s %r, expected %r" % (k, s.get(k), v))
        if not (isinstance(s.get("duration"), (int, float)) and
                0 <= s["duration"] <= (len(sent) + 2) * SPACING + 2):
            p("summary duration %r" % s.get("duration"))
    for s in summaries:
        if s.get("kind") != "probe":
            p("unexpected summary: %s" % s)
    return problems


def check_prober(events, summaries, sent, label):
    """The prober's Time Exceeded events: the ladder's are one sender-side
    ladder; the descending expiring control is none."""
    problems, notes = [], []
    p = lambda m: problems.append("%s prober: %s" % (label, m))
    n_lines = sum(1 for s in sent if s["hop"] <= len(ROUTERS))
    if len(events) != n_lines:
        p("%d lines logged, %d events" % (n_lines, len(events)))
    src, dest = norm(P6), norm(T6)
    lad = [e for e in events if e.get("inner_src") == src]
    want_routers = [ROUTERS[s["hop"] - 1] for s in sent
                    if s["stream"] == "ladder" and s["hop"] <= len(ROUTERS)]
    got_routers = [router_of(e.get("src", "::")) for e in lad]
    if got_routers != want_routers:
        p("Time Exceeded from %s, expected %s" % (got_routers, want_routers))
    ids = set()
    seen = {}
    for i, e in enumerate(lad):
        if e.get("inner_dest") != dest or e.get("icmp_type") != 3 or e.get("icmp_code") != 0:
            p("event %d: inner_dest %r icmp %r/%r" % (i, e.get("inner_dest"),
                                                     e.get("icmp_type"), e.get("icmp_code")))
        r = e.get("src")
        seen[r] = seen.get(r, 0) + 1
        tagged = any(k in e for k in LADDER_KEYS) or "hop_ladder" in flags(e.get("tags"))
        if len(seen) < 3:
            if tagged:
                p("event %d tagged before three routers answered" % i)
            continue
        if not tagged:
            p("event %d (router %d) carries no ladder tags" % (i, len(seen)))
            continue
        ids.add(e.get("ladder_id"))
        want = {"ladder_rung": len(seen), "ladder_rungs": len(seen), "ladder_repeat": seen[r]}
        for k, v in want.items():
            if e.get(k) != v:
                p("event %d: %s %r, expected %r" % (i, k, e.get(k), v))
        if "hop_ladder" not in flags(e.get("tags")):
            p("event %d: tags %r lack hop_ladder" % (i, e.get("tags")))
        if "hop_ladder" in flags(e.get("src_behavior")):
            p("event %d: a router's Time Exceeded has hop_ladder in src_behavior" % i)
    if len(ids) != 1:
        p("sender-side events carry %d ladder ids" % len(ids))
    mine = [s for s in summaries if s.get("kind") == "time_exceeded" and s.get("src") == src]
    if len(mine) != 1:
        p("%d time_exceeded summaries for %s, expected 1: %s" % (len(mine), src, summaries))
    if mine:
        s = mine[0]
        routers = [router_of(a) for a in s.get("routers", [])]
        want = {"dest": dest, "transport": "icmpv6", "rungs": len(ROUTERS),
                "probes": len(ROUTERS) * REPEATS, "repeats": [REPEATS] * len(ROUTERS)}
        if ids:
            want["ladder_id"] = next(iter(ids))
        for k, v in want.items():
            if s.get(k) != v:
                p("summary %s %r, expected %r" % (k, s.get(k), v))
        if routers != list(ROUTERS):
            p("summary routers %s (%s), expected %s in order" %
              (s.get("routers"), routers, list(ROUTERS)))
        rh = s.get("reply_hop_limits")
        if not (isinstance(rh, list) and len(rh) == len(ROUTERS) and
                all(a - b == 1 for a, b in zip(rh, rh[1:]))):
            p("summary reply_hop_limits %r: expected one less per router farther" % (rh,))
        if any(k in s for k in ("min_hop_limit", "max_hop_limit")):
            p("time_exceeded summary carries probe hop-limit fields")
    # The expiring descending control (Time Exceeded from r3, r2, r1): our
    # probes expiring ever nearer are no ladder, so nothing may be tagged.
    exp = [e for e in events if e.get("inner_src") == norm(CTL_EXP)]
    if not exp:
        p("no Time Exceeded for the descending expiring probes")
    for i, e in enumerate(exp):
        if any(k in e for k in LADDER_KEYS) or "hop_ladder" in flags(e.get("tags")):
            p("descending expiring probes (hop limits %s): event %d (router %s) tagged: %s" %
              (EXP_HOPS, i, router_of(e.get("src", "::")), e))
    exp_sums = [s for s in summaries if s.get("src") == norm(CTL_EXP)]
    if exp_sums:
        p("descending expiring probes: %d summaries: %s" % (len(exp_sums), exp_sums))
    for s in summaries:
        if s.get("kind") != "time_exceeded" or s.get("src") != src:
            p("unexpected summary: %s" % s)
    return problems, notes


def main():
    args = [a for a in sys.argv[1:] if a != "--keep"]
    keep = "--keep" in sys.argv[1:]
    if not args or len(args) > 2:
        print("usage: ladder_kernel_lab.py LADDER_DRIVER [FORWARDER] [--keep]", file=sys.stderr)
        return 2
    driver = args[0]
    fwd = args[1] if len(args) > 1 else None
    for exe in filter(None, (driver, fwd)):
        if not os.access(exe, os.X_OK):
            log("FAIL: %s is not executable" % exe)
            return 1
    L.need_root("network namespaces, ip6tables rules, /dev/kmsg")
    L.need_tools("ip", "ip6tables", "sysctl", "ping")
    L.exit_on_signals()

    sent, tgt, prb, boot = capture()
    log("sent %d probes; the target logged %d echo requests, the prober %d Time Exceeded"
        % (len(sent), len(tgt), len(prb)))
    problems, _, _ = check_lines(sent, tgt, prb)
    if problems:
        log("the kernel's lines do not match what was sent:")
        for m in problems:
            log("  " + m)

    tmp = tempfile.mkdtemp(prefix="v6p-ladder-lab-")
    notes = []
    try:
        files = {}
        for host, recs in (("target", tgt), ("prober", prb)):
            path = os.path.join(tmp, host + ".log")
            with open(path, "w") as f:
                for r in recs:
                    f.write(rfc3164(r, boot, host) + "\n")
            files[host] = path
        log("syslog files in %s" % tmp)
        runs = [("ladder_driver", lambda path: run_driver(driver, path, problems))]
        if fwd:
            runs.append(("forwarder", lambda path: run_forwarder(fwd, path, problems)))
        for label, fn in runs:
            ev_t, sum_t = fn(files["target"])
            problems += check_target(ev_t, sum_t, sent, label)
            ev_p, sum_p = fn(files["prober"])
            pp, nn = check_prober(ev_p, sum_p, sent, label)
            problems += pp
            notes += nn
            tagged_t = sum(1 for e in ev_t if "ladder_id" in e)
            tagged_p = sum(1 for e in ev_p if "ladder_id" in e)
            log("%s: target %d events (%d tagged), %d summaries; prober %d events "
                "(%d tagged), %d summaries" % (label, len(ev_t), tagged_t, len(sum_t),
                                               len(ev_p), tagged_p, len(sum_p)))
            for s in sum_t + sum_p:
                log("  summary: " + json.dumps(s, sort_keys=True))
        for n in notes:
            log("note: " + n)
        if problems:
            for m in problems:
                log("  " + m)
            log("FAIL (%d problems)" % len(problems))
            return 1
        log("PASS")
        return 0
    finally:
        if keep:
            log("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

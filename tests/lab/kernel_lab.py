#!/usr/bin/python3
"""Kernel netfilter lab: real LOG lines from the running kernel, checked field by field.

Builds four network namespaces joined by veth pairs

    prober --- router --- gateway --- target
    p0    r0   r1     g0  g1      t0
    2001:db8:0:1::/64  2001:db8:0:2::/64  3fff:0:0:3::/64 (MTU 1280)
    192.0.2.0/24       198.51.100.0/24    203.0.113.0/24

with ip6tables/iptables LOG rules in the prober (OUTPUT, INPUT) and the target
(INPUT), nftables `log ... flags all` in the gateway's forward chain and a
plain nftables `log` in the router's forward chain.  It sends known packets
(ICMPv6 echo with chosen hop limit, traffic class, flow label, id and seq;
TCP SYNs from a known uid; UDP with a mark; a packet too big for the last
link; a fragmented echo; a few IPv4 packets), reads the kernel's lines back
from /dev/kmsg, writes them under several syslog framings and runs
`ipv6probe-forward --stdout` over each file, checking every field of every
event against what was sent.

Usage (as root):
    kernel_lab.py FORWARDER              run the test (meson passes the binary)
    kernel_lab.py --capture-only DIR     capture and write the framed files only
    kernel_lab.py --write-examples DIR   write the sample logs of examples/logs/

Exit codes: 0 pass, 1 fail, 77 skipped (not root, no namespaces, no LOG lines).
"""

import argparse
import ipaddress
import json
import os
import re
import shutil
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lablib as L  # noqa: E402
from lablib import log, skip  # noqa: E402

# ---------------------------------------------------------------------------
# Topology

P6 = "2001:db8:0:1::2"
R6_P = "2001:db8:0:1::1"
R6_G = "2001:db8:0:2::1"
G6_R = "2001:db8:0:2::2"
G6_T = "3fff:0:0:3::1"
T6 = "3fff:0:0:3::2"
T6B = "3fff:0:0:3:1:0:0:2"      # two equal zero runs: RFC 5952 compresses the first
P6_NET = "2001:db8:0:1::/64"

P4, R4_P, R4_G, G4_R, G4_T, T4 = ("192.0.2.2", "192.0.2.1", "198.51.100.1",
                                  "198.51.100.2", "203.0.113.1", "203.0.113.2")
P4_NET = "192.0.2.0/24"

MACS = {"p0": "f2:6b:00:01:00:02", "r0": "f2:6b:00:01:00:01",
        "r1": "f2:6b:00:02:00:01", "g0": "f2:6b:00:02:00:02",
        "g1": "f2:6b:00:03:00:01", "t0": "f2:6b:00:03:00:02"}
LINKS = [("prb", "p0", "rtr", "r0"), ("rtr", "r1", "gw", "g0"), ("gw", "g1", "tgt", "t0")]
SMALL_MTU = 1280                 # the gateway-target link

NOBODY = 65534
ECHO_ID = 2914
ECHO4_ID = 2915
TCP_TCLASS, TCP_HOPS = 0x28, 50
UDP_TCLASS, UDP_HOPS = 0xB8, 40
MARK_PRB, MARK_GW = 0xD4, 0x2A
ERR_HOPS = 64                     # hop limit of ICMPv6 errors the namespaces send
V4_TTL_ICMP, V4_TTL_TCP, V4_TTL_UDP = 30, 50, 45

HOST = "gw1"

# The schema's parse fields.  REQUIRED_KEYS must be present whenever the line
# carries the value; OPTIONAL_KEYS must equal the value when present; every other
# key in PARSE_KEYS must be absent unless expected.
PARSE_KEYS = {
    "schema", "time", "dvc", "vendor_product", "rule", "action", "direction",
    "src_interface", "dest_interface", "src_phys_interface", "dest_phys_interface",
    "src_mac", "dest_mac", "ether_type", "vlan_id", "tunnel_src", "tunnel_dest",
    "protocol_version", "src", "dest", "transport", "protocol_number", "src_port",
    "dest_port", "icmp_type", "icmp_code", "icmp_id", "icmp_seq", "icmp_mtu",
    "icmp_pointer", "hop_limit", "flow_label", "traffic_class", "bytes",
    "transport_length", "ip_id", "ip_flag", "frag_offset", "frag_more", "frag_id",
    "tcp_flag", "tcp_seq", "tcp_ack", "tcp_window", "tcp_res", "tcp_urgp",
    "tcp_options", "uid", "gid", "mark", "inner_src", "inner_dest",
    "inner_transport", "inner_protocol_number", "inner_src_port", "inner_dest_port",
    "inner_hop_limit", "inner_icmp_type", "inner_icmp_id", "inner_icmp_seq",
}
OPTIONAL_KEYS = {"schema", "ether_type", "transport_length", "ip_id", "ip_flag",
                 "tcp_ack", "tcp_res", "tcp_urgp", "tcp_options",
                 "inner_protocol_number", "inner_icmp_type", "inner_icmp_id",
                 "inner_icmp_seq"}
TRANSPORT = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}


def full6(addr):
    """The kernel's %pI6 spelling: eight zero-padded groups."""
    return ipaddress.IPv6Address(addr).exploded


def rfc5952(addr):
    return str(ipaddress.IPv6Address(addr))


# ---------------------------------------------------------------------------
# Checksums

def inet_csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def echo6_packet(src, dst, hops, tclass, flow, ident, seq, data):
    icmp = struct.pack("!BBHHH", 128, 0, 0, ident, seq) + data
    s, d = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    pseudo = s + d + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", inet_csum(pseudo + icmp)) + icmp[4:]
    hdr = struct.pack("!IHBB", (6 << 28) | (tclass << 20) | flow, len(icmp), 58, hops)
    return hdr + s + d + icmp


# ---------------------------------------------------------------------------
# The kernel's LOG text, read back for checking the lab's own model

def parse_kernel(msg):
    """A small reader of nf_log_syslog text for the lines this lab makes.
    Returns (prefix, dict) with schema-named values."""
    m = re.search(r"(?:^|[ \]])IN=", msg)
    if not m:
        return None, None
    start = m.start() if msg[m.start()] == "I" else m.start() + 1
    prefix = msg[:start]
    toks = msg[start:].split()
    ev = {}
    inner = None
    cur = ev
    flags, ipflags = [], []
    i = 0
    while i < len(toks):
        t = toks[i]
        i += 1
        if t.startswith("[") and "=" in t:
            inner = {}
            cur = inner
            t = t[1:]
        if t == "]":
            cur = ev
            continue
        if t == "OPT" and i < len(toks) and toks[i].startswith("("):
            body = []
            depth = 0
            while i < len(toks):
                x = toks[i]
                i += 1
                depth += x.count("(") - x.count(")")
                body.append(x)
                if depth <= 0:
                    break
            text = " ".join(body)
            if text.startswith("( ") or text == "( )" or "FRAG:" in text:
                # IPv6 extension headers wrapped by --log-ip-options
                toks[i:i] = [x for x in text.strip("() ").split() if x]
            else:
                cur["tcp_options" if cur.get("protocol_number") == 6 else "ip_options"] = \
                    text.strip("()")
            continue
        if t.startswith("FRAG:"):
            cur["frag_offset"] = int(t[5:])
            cur["frag_more"] = False
            continue
        if t == "INCOMPLETE":
            cur["frag_more"] = True
            continue
        if t.startswith("ID:"):
            cur["frag_id"] = int(t[3:], 16)
            continue
        if "=" not in t:
            if t in ("CE", "DF", "MF"):
                ipflags.append(t)
            else:
                flags.append(t)
            continue
        k, v = t.split("=", 1)
        proto = cur.get("protocol_number")
        if k == "IN":
            if v:
                cur["src_interface"] = v
        elif k == "OUT":
            if v:
                cur["dest_interface"] = v
        elif k == "MAC":
            b = v.split(":")
            if len(b) >= 14:
                cur["dest_mac"] = ":".join(b[0:6])
                cur["src_mac"] = ":".join(b[6:12])
                cur["ether_type"] = int(b[12] + b[13], 16)
        elif k == "MACSRC":
            cur["src_mac"] = v
        elif k == "MACDST":
            cur["dest_mac"] = v
        elif k == "MACPROTO":
            cur["ether_type"] = int(v, 16)
        elif k in ("SRC", "DST"):
            a = ipaddress.ip_address(v)
            cur["src" if k == "SRC" else "dest"] = str(a)
            cur["protocol_version"] = a.version
        elif k == "LEN":
            if proto is None:
                cur["bytes"] = int(v)
            else:
                cur["transport_length"] = int(v)
        elif k == "TC":
            cur["traffic_class"] = int(v)
        elif k == "TOS":
            cur["traffic_class"] = int(v, 16)
        elif k in ("HOPLIMIT", "TTL"):
            cur["hop_limit"] = int(v)
        elif k == "FLOWLBL":
            cur["flow_label"] = int(v)
        elif k == "PREC":
            pass
        elif k == "ID" and proto is None:
            cur["ip_id"] = int(v)
        elif k == "PROTO":
            num = {"TCP": 6, "UDP": 17, "ICMPv6": 58, "ICMP": 1}.get(v)
            cur["protocol_number"] = num if num is not None else int(v)
        elif k == "SPT":
            cur["src_port"] = int(v)
        elif k == "DPT":
            cur["dest_port"] = int(v)
        elif k == "SEQ" and proto == 6:
            cur["tcp_seq"] = int(v)
        elif k == "ACK":
            cur["tcp_ack"] = int(v)
        elif k == "WINDOW":
            cur["tcp_window"] = int(v)
        elif k == "RES":
            cur["tcp_res"] = int(v, 16)
        elif k == "URGP":
            cur["tcp_urgp"] = int(v)
        elif k == "TYPE":
            cur["icmp_type"] = int(v)
        elif k == "CODE":
            cur["icmp_code"] = int(v)
        elif k == "ID":
            cur["icmp_id"] = int(v)
        elif k == "SEQ":
            cur["icmp_seq"] = int(v)
        elif k == "MTU":
            cur["icmp_mtu"] = int(v)
        elif k == "UID":
            cur["uid"] = int(v)
        elif k == "GID":
            cur["gid"] = int(v)
        elif k == "MARK":
            cur["mark"] = int(v, 16)
        else:
            cur["?" + k] = v
    if flags:
        ev["tcp_flag"] = flags
    if ipflags:
        ev["ip_flag"] = ipflags
    if inner:
        ev["_inner"] = inner
    return prefix, ev


# ---------------------------------------------------------------------------
# Expectations: one per line the kernel must log

class Expect:
    """One expected log line: `key` identifies it, `fields` are its schema values
    (a set means any of), `maybe` must match when present, `dynamic` names values
    that only the kernel knows (taken from the line, checked for consistency)."""

    def __init__(self, what, prefix, fields, maybe=None, dynamic=(), group=None):
        self.what = what
        self.prefix = prefix
        self.fields = fields
        self.maybe = maybe or {}
        self.dynamic = set(dynamic)
        self.group = group          # fragments: a set of lines, count unknown
        self.lines = []

    def key(self):
        f = self.fields
        return (self.prefix.strip(), f.get("src"), f.get("dest"), f.get("protocol_number"),
                f.get("src_port"), f.get("dest_port"), f.get("icmp_type"), f.get("icmp_seq"),
                f.get("inner_src_port"), f.get("_inner_seq"), self.group)


def line_key(prefix, ev, group=None):
    inner = ev.get("_inner", {})
    return (prefix.strip(), ev.get("src"), ev.get("dest"), ev.get("protocol_number"),
            ev.get("src_port"), ev.get("dest_port"), ev.get("icmp_type"),
            ev.get("icmp_seq"), inner.get("src_port") if inner else None,
            inner.get("icmp_seq") if inner else None, group)


def rule_of(prefix):
    """The `rule` of a LOG prefix: the prefix without surrounding white space and
    without the colon that conventionally ends it."""
    rule = prefix.strip()
    if rule.endswith(":"):
        rule = rule[:-1].rstrip()
    return rule


class Lab(L.Lab):
    def __init__(self, tag):
        super().__init__(("prb", "rtr", "gw", "tgt"), tmp_prefix="v6p-kernel-lab-")
        self.tag = tag
        self.expects = []
        self.macs = {}
        self.sent = []
        sfx = ("-" + tag) if tag else ""
        self.px = {
            "out": "V6P-IPT-OUT%s: " % sfx,
            "prb_in": "V6P-IPT-PRB-IN%s: " % sfx,
            "in": "V6P-IPT-IN%s: " % sfx,
            "in_drop": "V6P-IPT-IN-DROP%s: " % sfx,
            "in_accept": "V6P-IPT-IN-ACCEPT%s: " % sfx,
            "in4": "V6P-IPT4-IN%s: " % sfx,
            "fwd": "V6P-NFT-FWD%s: " % sfx,
            "fwd4": "V6P-NFT4-FWD%s: " % sfx,
            "rtr": "V6P-NFT-RTR%s: " % sfx,
        }

    # -- setup / teardown -------------------------------------------------

    def setup(self):
        self.create()
        self.log_all_netns()
        for n in self.ns:
            for k in ("net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                      "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
                      "net.ipv6.auto_flowlabels=0", "net.ipv6.icmp.ratelimit=0",
                      "net.ipv4.icmp_ratelimit=0", "net.ipv4.icmp_msgs_per_sec=100000",
                      "net.ipv6.icmp.echo_ignore_all=0"):
                self.sysctl(n, *k.split("="), check=False)
        for a, ia, b, ib in LINKS:
            self.veth(a, ia, b, ib, mac_a=MACS[ia], mac_b=MACS[ib])
        for ns, ifn, mtu in (("gw", "g1", SMALL_MTU), ("tgt", "t0", SMALL_MTU)):
            self.nsx(ns, "ip", "link", "set", ifn, "mtu", str(mtu))
        addrs = {("prb", "p0"): [P6 + "/64", P4 + "/24"],
                 ("rtr", "r0"): [R6_P + "/64", R4_P + "/24"],
                 ("rtr", "r1"): [R6_G + "/64", R4_G + "/24"],
                 ("gw", "g0"): [G6_R + "/64", G4_R + "/24"],
                 ("gw", "g1"): [G6_T + "/64", G4_T + "/24"],
                 ("tgt", "t0"): [T6 + "/64", T6B + "/64", T4 + "/24"]}
        for (ns, ifn), lst in addrs.items():
            self.addr(ns, ifn, *lst)
        for ns in ("rtr", "gw"):
            self.sysctl(ns, "net.ipv6.conf.all.forwarding", 1)
            self.sysctl(ns, "net.ipv4.ip_forward", 1)
        routes = [("prb", "-6", "default", R6_P), ("prb", "-4", "default", R4_P),
                  ("rtr", "-6", "3fff:0:0:3::/64", G6_R), ("rtr", "-4", "203.0.113.0/24", G4_R),
                  ("gw", "-6", "default", R6_G), ("gw", "-4", "default", R4_G),
                  ("tgt", "-6", "default", G6_T), ("tgt", "-4", "default", G4_T)]
        for ns, fam, dst, via in routes:
            self.nsx(ns, "ip", fam, "route", "add", dst, "via", via)
        # The MACs as the kernel has them.
        for a, ia, b, ib in LINKS:
            for ns, ifn in ((a, ia), (b, ib)):
                out = self.nsx(ns, "ip", "-j", "link", "show", "dev", ifn).stdout
                self.macs[ifn] = json.loads(out)[0]["address"]
                if self.macs[ifn] != MACS[ifn]:
                    raise RuntimeError("%s has MAC %s, wanted %s" % (ifn, self.macs[ifn],
                                                                     MACS[ifn]))

    def rules(self):
        px = self.px
        # Prober: OUTPUT with uid/sequence/options, a mark on UDP; INPUT for ICMPv6 errors.
        ip6p = lambda *a: self.nsx("prb", "ip6tables", "-w", *a)
        ip6p("-t", "mangle", "-A", "OUTPUT", "-d", "3fff::/20", "-p", "udp",
             "-j", "MARK", "--set-mark", hex(MARK_PRB))
        outlog = ["-j", "LOG", "--log-prefix", px["out"], "--log-uid", "--log-tcp-sequence",
                  "--log-tcp-options", "--log-ip-options"]
        ip6p("-A", "OUTPUT", "-d", "3fff::/20", "-p", "tcp", "--syn", *outlog)
        ip6p("-A", "OUTPUT", "-d", "3fff::/20", "-p", "udp", *outlog)
        ip6p("-A", "OUTPUT", "-d", "3fff::/20", "-p", "ipv6-icmp", "--icmpv6-type",
             "echo-request", *outlog)
        for t in ("time-exceeded", "packet-too-big", "destination-unreachable"):
            ip6p("-A", "INPUT", "-p", "ipv6-icmp", "--icmpv6-type", t, "-j", "LOG",
                 "--log-prefix", px["prb_in"], "--log-level", "6")
        # Target: ip6tables INPUT, per-port prefixes with DROP and ACCEPT verdicts.
        ip6t = lambda *a: self.nsx("tgt", "ip6tables", "-w", *a)
        src = ["-s", P6_NET]
        ip6t("-A", "INPUT", *src, "-p", "tcp", "--dport", "23", "--syn", "-j", "LOG",
             "--log-prefix", px["in_drop"])
        ip6t("-A", "INPUT", *src, "-p", "tcp", "--dport", "23", "-j", "DROP")
        ip6t("-A", "INPUT", *src, "-p", "tcp", "--dport", "8080", "--syn", "-j", "LOG",
             "--log-prefix", px["in_accept"])
        ip6t("-A", "INPUT", *src, "-p", "tcp", "--dport", "8080", "-j", "ACCEPT")
        ip6t("-A", "INPUT", *src, "-p", "tcp", "--syn", "-j", "LOG", "--log-prefix", px["in"],
             "--log-tcp-sequence", "--log-tcp-options", "--log-ip-options")
        ip6t("-A", "INPUT", *src, "-p", "udp", "-j", "LOG", "--log-prefix", px["in"])
        ip6t("-A", "INPUT", *src, "-p", "ipv6-icmp", "-j", "LOG", "--log-prefix", px["in"])
        ip4t = lambda *a: self.nsx("tgt", "iptables", "-w", *a)
        src4 = ["-s", P4_NET]
        ip4t("-A", "INPUT", *src4, "-p", "icmp", "--icmp-type", "echo-request", "-j", "LOG",
             "--log-prefix", px["in4"])
        ip4t("-A", "INPUT", *src4, "-p", "tcp", "--syn", "-j", "LOG", "--log-prefix", px["in4"],
             "--log-tcp-sequence")
        ip4t("-A", "INPUT", *src4, "-p", "udp", "-j", "LOG", "--log-prefix", px["in4"])
        # Gateway: nftables forward chain, `flags all`, and a mark on UDP.
        gw = """
table inet v6plab {
  chain forward_log {
    type filter hook forward priority 0; policy accept;
    ip6 saddr %(net6)s meta l4proto udp meta mark set %(mark)s
    ip6 saddr %(net6)s meta l4proto ipv6-icmp log prefix "%(fwd)s" flags all
    ip6 saddr %(net6)s meta l4proto udp log prefix "%(fwd)s" flags all
    ip6 saddr %(net6)s tcp flags & (syn | ack) == syn log prefix "%(fwd)s" flags all
    ip saddr %(net4)s meta l4proto { icmp, udp } log prefix "%(fwd4)s" flags all
    ip saddr %(net4)s tcp flags & (syn | ack) == syn log prefix "%(fwd4)s" flags all
  }
}
""" % {"net6": P6_NET, "net4": P4_NET, "mark": hex(MARK_GW), "fwd": px["fwd"],
       "fwd4": px["fwd4"]}
        rtr = """
table inet v6plab {
  chain forward_log {
    type filter hook forward priority 0; policy accept;
    ip6 saddr %(net6)s meta l4proto udp log prefix "%(rtr)s" level info
    ip6 saddr %(net6)s tcp flags & (syn | ack) == syn log prefix "%(rtr)s"
  }
}
""" % {"net6": P6_NET, "rtr": px["rtr"]}
        for ns, text in (("gw", gw), ("rtr", rtr)):
            self.nsx(ns, "nft", "-f", "-", input=text)

    def warm_up(self):
        """Resolve every neighbour first, with packets no rule logs."""
        pairs = [("prb", R6_P, R4_P), ("rtr", G6_R, G4_R), ("gw", T6, T4), ("tgt", G6_T, G4_T),
                 ("gw", R6_G, R4_G), ("rtr", P6, P4)]
        for ns, a6, a4 in pairs:
            self.nsx(ns, "ping", "-6", "-c", "1", "-W", "2", a6, check=False)
            self.nsx(ns, "ping", "-4", "-c", "1", "-W", "2", a4, check=False)
        self.nsx("tgt", "ip", "-6", "neigh", "replace", T6, "dev", "t0", "lladdr", MACS["t0"],
                 check=False)

    # -- expectations -----------------------------------------------------

    def base(self, hook, ip, proto, prefix=None):
        """Fields every line of `hook` has: interfaces, MACs, rule, direction."""
        px = self.px
        f = {}
        vp = {"linux:iptables", "linux:nftables"}
        if hook == "out":
            pre = px["out"]
            f.update(dest_interface="p0", direction="outbound")
        elif hook == "prb_in":
            pre = px["prb_in"]
            f.update(src_interface="p0", direction="inbound", src_mac=MACS["r0"],
                     dest_mac=MACS["p0"])
        elif hook == "rtr":
            pre = px["rtr"]
            f.update(src_interface="r0", dest_interface="r1", direction="forward",
                     src_mac=MACS["p0"], dest_mac=MACS["r0"])
        elif hook in ("fwd", "fwd4"):
            pre = px[hook]
            f.update(src_interface="g0", dest_interface="g1", direction="forward",
                     src_mac=MACS["r1"], dest_mac=MACS["g0"])
            vp = "linux:nftables"        # MACSRC= is nftables' `flags ether`
        elif hook in ("in", "in_drop", "in_accept", "in4"):
            pre = px[hook]
            f.update(src_interface="t0", direction="inbound", src_mac=MACS["g1"],
                     dest_mac=MACS["t0"])
        else:
            raise ValueError(hook)
        if prefix:
            pre = prefix
        rule = rule_of(pre)
        if "DROP" in rule:
            action = "blocked"
        elif "ACCEPT" in rule:
            action = "allowed"
        else:
            action = "unknown"
        f.update(vendor_product=vp, rule=rule, action=action, protocol_version=ip,
                 protocol_number=proto, transport=TRANSPORT[proto])
        maybe = {}
        if "src_mac" in f:
            maybe["ether_type"] = 0x86DD if ip == 6 else 0x0800
        return pre, f, maybe

    def expect(self, what, hook, ip, proto, fields, maybe=None, dynamic=(), group=None):
        pre, f, mb = self.base(hook, ip, proto)
        f.update(fields)
        mb.update(maybe or {})
        e = Expect(what, pre, f, mb, dynamic, group)
        self.expects.append(e)
        return e

    # -- traffic ----------------------------------------------------------

    def send_echo6(self, sock, hops, tclass, flow, seq, size, dst=T6):
        data = (b"V6P-lab-" * (size // 8 + 1))[:size]
        pkt = echo6_packet(P6, dst, hops, tclass, flow, ECHO_ID, seq, data)
        sock.sendto(pkt, (dst, 0))
        length = len(pkt)
        l3 = dict(src=rfc5952(P6), dest=rfc5952(dst), bytes=length, traffic_class=tclass,
                  flow_label=flow)
        icmp = dict(icmp_type=128, icmp_code=0, icmp_id=ECHO_ID, icmp_seq=seq)
        what = "echo seq=%d hop=%d" % (seq, hops)
        self.expect(what, "out", 6, 58, dict(l3, **icmp, hop_limit=hops, uid=0, gid=0))
        if hops == 1 or hops == 2:
            # Expires at the router (1) or at the gateway (2): Time Exceeded back.
            rsrc = R6_P if hops == 1 else G6_R
            at = ERR_HOPS - (0 if hops == 1 else 1)
            self.expect(what + " time-exceeded", "prb_in", 6, 58, dict(
                src=rfc5952(rsrc), dest=rfc5952(P6), bytes=min(1280, 48 + length),
                hop_limit=at, traffic_class=0, flow_label=0, icmp_type=3, icmp_code=0,
                inner_src=rfc5952(P6), inner_dest=rfc5952(dst), inner_transport="icmpv6",
                inner_hop_limit=1, _inner_seq=seq),
                maybe=dict(inner_protocol_number=58, inner_icmp_type=128,
                           inner_icmp_id=ECHO_ID, inner_icmp_seq=seq))
        elif length > SMALL_MTU:
            self.expect(what + " packet-too-big", "prb_in", 6, 58, dict(
                src=rfc5952(G6_R), dest=rfc5952(P6), bytes=min(1280, 48 + length),
                hop_limit=ERR_HOPS - 1, traffic_class=0, flow_label=0, icmp_type=2,
                icmp_code=0, icmp_mtu=SMALL_MTU, inner_src=rfc5952(P6),
                inner_dest=rfc5952(dst), inner_transport="icmpv6", inner_hop_limit=hops - 1,
                _inner_seq=seq),
                maybe=dict(inner_protocol_number=58, inner_icmp_type=128,
                           inner_icmp_id=ECHO_ID, inner_icmp_seq=seq))
        else:
            for hook in ("fwd", "in"):
                self.expect(what, hook, 6, 58, dict(l3, **icmp, hop_limit=hops - 2))

    def send_tcp6(self, sport, dport, dst=T6):
        """A SYN from uid 65534, closed again before any retransmission."""
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                L.enter_netns(self.ns["prb"])
                os.setgroups([])
                os.setresgid(NOBODY, NOBODY, NOBODY)
                os.setresuid(NOBODY, NOBODY, NOBODY)
                s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((P6, sport))
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, TCP_TCLASS)
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, TCP_HOPS)
                s.setblocking(False)
                s.connect_ex((dst, dport))
                time.sleep(0.3)
                s.close()
                code = 0
            except BaseException as e:          # noqa: B902 - report and leave the child
                sys.stderr.write("tcp sender: %r\n" % (e,))
            os._exit(code)
        _, st = os.waitpid(pid, 0)
        if st != 0:
            raise RuntimeError("TCP sender failed")
        what = "tcp %d->%d" % (sport, dport)
        l3 = dict(src=rfc5952(P6), dest=rfc5952(dst), traffic_class=TCP_TCLASS, flow_label=0,
                  src_port=sport, dest_port=dport, tcp_flag=["SYN"])
        dyn = ("bytes", "tcp_window")
        seq = ("tcp_seq",)
        mb = dict(tcp_res=0, tcp_urgp=0)
        self.expect(what, "out", 6, 6, dict(l3, hop_limit=TCP_HOPS, uid=NOBODY, gid=NOBODY),
                    dict(mb, tcp_ack=0), dyn + seq + ("tcp_options",))
        self.expect(what, "rtr", 6, 6, dict(l3, hop_limit=TCP_HOPS - 1), mb, dyn)
        self.expect(what, "fwd", 6, 6, dict(l3, hop_limit=TCP_HOPS - 2), dict(mb, tcp_ack=0),
                    dyn + seq + ("tcp_options",))
        hook = {23: "in_drop", 8080: "in_accept"}.get(dport, "in")
        self.expect(what, hook, 6, 6, dict(l3, hop_limit=TCP_HOPS - 2),
                    dict(mb, tcp_ack=0) if hook == "in" else mb,
                    dyn + (seq + ("tcp_options",) if hook == "in" else ()))

    def send_udp6(self, sport, dport, size, dst):
        with L.in_netns(self.ns["prb"]):
            s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((P6, sport))
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, UDP_TCLASS)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, UDP_HOPS)
        s.sendto(b"u" * size, (dst, dport))
        s.close()
        what = "udp %d->%d" % (sport, dport)
        length = 48 + size
        l3 = dict(src=rfc5952(P6), dest=rfc5952(dst), bytes=length, traffic_class=UDP_TCLASS,
                  flow_label=0, src_port=sport, dest_port=dport)
        mb = dict(transport_length=8 + size)
        self.expect(what, "out", 6, 17, dict(l3, hop_limit=UDP_HOPS, uid=0, gid=0,
                                             mark=MARK_PRB), mb)
        self.expect(what, "rtr", 6, 17, dict(l3, hop_limit=UDP_HOPS - 1), mb)
        self.expect(what, "fwd", 6, 17, dict(l3, hop_limit=UDP_HOPS - 2, mark=MARK_GW), mb)
        self.expect(what, "in", 6, 17, dict(l3, hop_limit=UDP_HOPS - 2), mb)
        # Nobody listens: the target answers port unreachable.
        self.expect(what + " port-unreachable", "prb_in", 6, 58, dict(
            src=rfc5952(dst), dest=rfc5952(P6), bytes=min(1280, 48 + length),
            hop_limit=ERR_HOPS - 2, traffic_class=0, flow_label=0, icmp_type=1, icmp_code=4,
            inner_src=rfc5952(P6), inner_dest=rfc5952(dst), inner_transport="udp",
            inner_src_port=sport, inner_dest_port=dport, inner_hop_limit=UDP_HOPS - 2),
            maybe=dict(inner_protocol_number=17))

    def send_frag6(self, seq, size):
        """An echo larger than the path MTU: the kernel fragments it."""
        with L.in_netns(self.ns["prb"]):
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 64)
        data = (b"V6P-frag" * (size // 8 + 1))[:size]
        s.sendto(struct.pack("!BBHHH", 128, 0, 0, ECHO_ID, seq) + data, (T6, 0))
        s.close()
        what = "fragmented echo seq=%d" % seq
        l3 = dict(src=rfc5952(P6), dest=rfc5952(T6), traffic_class=0, flow_label=0)
        self.expect(what, "out", 6, 58, dict(l3, bytes=48 + size, hop_limit=64, uid=0, gid=0,
                                             icmp_type=128, icmp_code=0, icmp_id=ECHO_ID,
                                             icmp_seq=seq))
        for hook in ("fwd", "in"):
            e = self.expect(what, hook, 6, 58, dict(l3, hop_limit=62), dict(frag_more=False),
                            group="frag%d" % seq)
            e.frag_total = 8 + size
            e.frag_seq = seq

    def send_v4(self):
        with L.in_netns(self.ns["prb"]):
            si = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
            su = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            st = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        data = b"V6P-lab-" * 7
        icmp = struct.pack("!BBHHH", 8, 0, 0, ECHO4_ID, 1) + data
        icmp = icmp[:2] + struct.pack("!H", inet_csum(icmp)) + icmp[4:]
        si.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, V4_TTL_ICMP)
        si.sendto(icmp, (T4, 0))
        si.close()
        base = dict(src=P4, dest=T4, traffic_class=0)
        mb = dict(ip_flag=["DF"])
        for hook in ("fwd4", "in4"):
            self.expect("ipv4 echo", hook, 4, 1, dict(base, bytes=20 + len(icmp),
                        hop_limit=V4_TTL_ICMP - 2, icmp_type=8, icmp_code=0,
                        icmp_id=ECHO4_ID, icmp_seq=1), dynamic=("ip_id",),
                        maybe=dict(mb))
        time.sleep(0.05)
        su.bind((P4, 43002))
        su.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, V4_TTL_UDP)
        su.sendto(b"v4-udp-probe", (T4, 161))
        su.close()
        for hook in ("fwd4", "in4"):
            self.expect("ipv4 udp", hook, 4, 17, dict(base, bytes=20 + 8 + 12,
                        hop_limit=V4_TTL_UDP - 2, src_port=43002, dest_port=161),
                        dict(mb, transport_length=20), dynamic=("ip_id",))
        time.sleep(0.05)
        st.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        st.bind((P4, 43001))
        st.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, V4_TTL_TCP)
        st.setblocking(False)
        st.connect_ex((T4, 80))
        time.sleep(0.3)
        st.close()
        for hook in ("fwd4", "in4"):
            self.expect("ipv4 tcp", hook, 4, 6, dict(base, hop_limit=V4_TTL_TCP - 2,
                        src_port=43001, dest_port=80, tcp_flag=["SYN"]),
                        dict(mb, tcp_res=0, tcp_urgp=0, tcp_ack=0),
                        dynamic=("ip_id", "bytes", "tcp_window", "tcp_seq") +
                        (("tcp_options",) if hook == "fwd4" else ()))

    def traffic(self):
        gap = 0.03
        with L.in_netns(self.ns["prb"]):
            raw = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_RAW)
        with L.in_netns(self.ns["tgt"]):
            lsn = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            lsn.bind((T6, 8080))
            lsn.listen(8)
        try:
            # A hop-limit ladder, two echoes per rung, as path probers send them.
            seq = 0
            for hops in range(1, 7):
                for _ in range(2):
                    seq += 1
                    tclass = 0x20 if hops == 5 else 0
                    flow = (0x9E377 * seq) & 0xFFFFF
                    self.send_echo6(raw, hops, tclass, flow, seq, 56)
                    time.sleep(gap)
            # A port scan over closed, dropped and open ports.
            for i, port in enumerate((22, 23, 443, 8080)):
                self.send_tcp6(41001 + i, port)
                time.sleep(gap)
            # UDP to the target's second address; it answers port unreachable.
            for i, (port, size) in enumerate(((53, 12), (123, 48), (5353, 20))):
                self.send_udp6(42001 + i, port, size, T6B)
                time.sleep(gap)
            # Too big for the gateway-target link: packet too big from the gateway.
            self.send_echo6(raw, 64, 0, 0x12345, 100, 1400 - 48)
            time.sleep(0.1)
            # Now fragmented by the prober itself (path MTU 1280).
            self.send_frag6(101, 3000)
            time.sleep(gap)
            self.send_v4()
        finally:
            raw.close()
            lsn.close()


# ---------------------------------------------------------------------------
# /dev/kmsg

# ---------------------------------------------------------------------------
# Framings

MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAY = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def stamp_parts(epoch):
    sec = int(epoch)
    usec = int(round((epoch - sec) * 1e6))
    if usec >= 1000000:
        sec, usec = sec + 1, usec - 1000000
    return time.gmtime(sec), sec, usec


def rel(usec):
    return "[%5d.%06d]" % (usec // 1000000, usec % 1000000)


def frame(kind, rec, epoch, host):
    """One record under one framing; returns (line, expected time, time tolerance,
    expected dvc)."""
    tm, sec, usec = stamp_parts(epoch)
    msg = rec["msg"]
    precise = sec + usec / 1e6
    # Boot-relative stamps: the forwarder is told the boot time (BOOT_ARG).
    uptime = BOOT_ARG + rec["usec"] / 1e6
    if kind == "kmsg":
        return ("%d,%d,%d,%s;%s" % (rec["prio"], rec["seq"], rec["usec"], rec["flags"], msg),
                uptime, 2e-6, None)
    if kind == "dmesg":
        return "%s %s" % (rel(rec["usec"]), msg), uptime, 2e-6, None
    if kind == "dmesg-T":
        return ("[%s %s %2d %02d:%02d:%02d %d] %s" % (DAY[tm.tm_wday], MON[tm.tm_mon - 1],
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year, msg), sec, 0, None)
    if kind == "rfc3164":
        return ("%s %2d %02d:%02d:%02d %s kernel: %s %s" % (MON[tm.tm_mon - 1], tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, host, rel(rec["usec"]), msg), sec, 0, host)
    if kind == "rfc5424":
        return ("<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00 %s kernel - - - %s" % (
                rec["prio"], tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec, usec, host, msg), precise, 2e-6, host)
    if kind == "rfc3339":
        # rsyslog's high-precision stamp, here with a +01:00 zone.
        lt = time.gmtime(sec + 3600)
        return ("%04d-%02d-%02dT%02d:%02d:%02d.%06d+01:00 %s kernel: %s %s" % (
                lt.tm_year, lt.tm_mon, lt.tm_mday, lt.tm_hour, lt.tm_min, lt.tm_sec, usec,
                host, rel(rec["usec"]), msg), precise, 2e-6, host)
    if kind == "short-iso":
        return ("%04d-%02d-%02dT%02d:%02d:%02d+0000 %s kernel: %s" % (
                tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, host,
                msg), sec, 0, host)
    if kind == "short-precise":
        return ("%s %02d %02d:%02d:%02d.%06d %s kernel: %s" % (
                MON[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, usec,
                host, msg), precise, 2e-6, host)
    raise ValueError(kind)


BOOT_ARG = 1795600000           # --boot-time given to the forwarder for kmsg and dmesg
FRAMINGS = ["kmsg", "dmesg", "dmesg-T", "rfc3164", "rfc5424", "rfc3339", "short-iso",
            "short-precise"]


# ---------------------------------------------------------------------------
# Matching captured lines to expectations, and comparing values

def same(want, got):
    if isinstance(want, str) and isinstance(got, str):
        return want == got or (want.upper() == got.upper() and
                               re.fullmatch(r"[0-9A-Fa-f]+", want) is not None)
    if isinstance(want, set):
        return got in want
    if isinstance(want, float) or isinstance(got, float):
        return isinstance(got, (int, float)) and abs(float(want) - float(got)) < 1e-9
    if isinstance(want, int) and not isinstance(want, bool):
        return isinstance(got, int) and not isinstance(got, bool) and got == want
    return want == got


def match_lines(lab, recs):
    """Assign every captured record to an expectation; returns (assignments,
    problems).  assignment: list of (rec, Expect, kernel-view dict)."""
    problems = []
    by_key = {}
    for e in lab.expects:
        by_key.setdefault(e.key(), []).append(e)
    out = []
    for r in recs:
        prefix, ev = parse_kernel(r["msg"])
        if ev is None:
            problems.append("unreadable line: " + r["msg"])
            continue
        group = None
        if "frag_id" in ev:
            seqs = [e for e in lab.expects if e.group and e.prefix.strip() == prefix.strip()]
            group = seqs[0].group if seqs else None
            k = (prefix.strip(), ev.get("src"), ev.get("dest"), ev.get("protocol_number"),
                 None, None, None, None, None, None, group)
        else:
            k = line_key(prefix, ev)
        cands = by_key.get(k)
        if not cands:
            problems.append("unexpected line: " + r["msg"])
            continue
        e = cands[0]
        if not e.group:
            cands.pop(0)
        e.lines.append(r)
        out.append((r, e, ev))
    for e in lab.expects:
        if not e.lines:
            problems.append("missing line: %s at %s" % (e.what, e.prefix.strip()))
    return out, problems


def fragment_fields(e, ev):
    """The per-fragment expectation, from the fragment's own offset."""
    f = dict(e.fields)
    f["bytes"] = ev.get("bytes")
    f["frag_offset"] = ev.get("frag_offset")
    # Every fragment header yields frag_more: true while more follow, false on
    # the last (the kernel prints INCOMPLETE only for the former); which one
    # is last is checked by the fragments adding up to the bytes sent.
    f["frag_more"] = bool(ev.get("frag_more"))
    f["frag_id"] = ev.get("frag_id")
    if ev.get("frag_offset") == 0:
        f.update(icmp_type=128, icmp_code=0, icmp_id=ECHO_ID, icmp_seq=e.frag_seq)
    return f


def expected_for(e, ev):
    """Full expected field map for one line: static fields + kernel-only values."""
    f = fragment_fields(e, ev) if e.group else dict(e.fields)
    f.pop("_inner_seq", None)
    for k in e.dynamic:
        f[k] = ev.get(k)
    return f


def compare(want, maybe, got, label, problems, skip_keys=()):
    for k, v in want.items():
        if k in skip_keys:
            continue
        if k not in got:
            problems.append("%s: %s missing (expected %r)" % (label, k, v))
        elif not same(v, got[k]):
            problems.append("%s: %s expected %r, got %r" % (label, k, v, got[k]))
    for k, v in maybe.items():
        if k in got and not same(v, got[k]) and k not in want:
            problems.append("%s: %s expected %r if present, got %r" % (label, k, v, got[k]))


def check_model(assigned):
    """The lab's own model against the kernel's text (independent of the parser)."""
    problems = []
    seqs = {}
    frag_sum = {}
    for r, e, ev in assigned:
        label = "kernel line [%s at %s]" % (e.what, e.prefix.strip())
        want = expected_for(e, ev)
        kv = dict(ev)
        inner = kv.pop("_inner", None)
        if inner:
            kv["inner_src"] = inner.get("src")
            kv["inner_dest"] = inner.get("dest")
            if "protocol_number" in inner:
                kv["inner_protocol_number"] = inner["protocol_number"]
                kv["inner_transport"] = TRANSPORT.get(inner["protocol_number"])
            for a, b in (("src_port", "inner_src_port"), ("dest_port", "inner_dest_port"),
                         ("hop_limit", "inner_hop_limit"), ("icmp_type", "inner_icmp_type"),
                         ("icmp_id", "inner_icmp_id"), ("icmp_seq", "inner_icmp_seq")):
                if a in inner:
                    kv[b] = inner[a]
        kv["transport"] = TRANSPORT.get(kv.get("protocol_number"))
        skip_keys = {"vendor_product", "rule", "action", "direction", "time", "dvc"}
        compare(want, e.maybe, kv, label, problems, skip_keys)
        if not r["msg"].startswith(e.prefix):
            problems.append("%s: prefix %r not at start" % (label, e.prefix))
        if "tcp_seq" in ev:
            seqs.setdefault(e.what, set()).add(ev["tcp_seq"])
        if e.group:
            frag_sum.setdefault((e.group, e.prefix), []).append(ev)
        if "src_mac" in want and e.fields["vendor_product"] == "linux:nftables" \
                and "MACSRC=" not in r["msg"]:
            problems.append("%s: no MACSRC=" % label)
    for what, s in seqs.items():
        if len(s) != 1:
            problems.append("%s: TCP SEQ differs between hooks: %s" % (what, sorted(s)))
    for (g, pre), evs in frag_sum.items():
        total = sum(x["bytes"] - 48 for x in evs)
        offs = sorted(x.get("frag_offset", -1) for x in evs)
        if offs[0] != 0 or len(evs) < 2:
            problems.append("%s at %s: fragments %s" % (g, pre.strip(), offs))
        frag_sum[(g, pre)] = total
    for e in {id(x): x for _, x, _ in assigned if x.group}.values():
        t = frag_sum.get((e.group, e.prefix))
        if t != e.frag_total:
            problems.append("%s at %s: fragments carry %r bytes, sent %d" %
                            (e.group, e.prefix.strip(), t, e.frag_total))
    return problems


# ---------------------------------------------------------------------------
# Running the forwarder and checking its JSON

def run_forwarder(fwd, path, extra=()):
    out = L.forward_once(fwd, path, os.path.dirname(path), args=extra)
    return out.rc, out.events, out.bad, out.stderr


def check_event(ev, e, kv, exp_time, tol, exp_dvc, kind, label, problems, boot):
    want = expected_for(e, kv)
    maybe = dict(e.maybe)
    for k in list(want):
        if k in OPTIONAL_KEYS:        # a value only the kernel knew, in a field the
            maybe[k] = want.pop(k)    # schema does not require
    # Time and host from the framing.
    if exp_time is not None:
        want["time"] = exp_time
    t = ev.get("time")
    if not isinstance(t, (int, float)) or isinstance(t, bool):
        problems.append("%s: time missing or not a number: %r" % (label, t))
    elif exp_time is not None:
        if abs(t - exp_time) > tol + 1e-7:
            problems.append("%s: time expected %.6f, got %r" % (label, exp_time, t))
    want.pop("time", None)
    if exp_dvc is not None:
        want["dvc"] = exp_dvc
    elif "dvc" in ev and ev["dvc"] != socket.gethostname():
        problems.append("%s: dvc %r on a line without a host" % (label, ev["dvc"]))
    compare(want, maybe, ev, label, problems)
    if ev.get("schema", 1) != 1:
        problems.append("%s: schema %r" % (label, ev.get("schema")))
    allowed = set(want) | set(maybe) | {"time", "dvc", "schema"}
    for k in sorted(set(ev) & PARSE_KEYS - allowed):
        problems.append("%s: unexpected %s=%r" % (label, k, ev[k]))
    # Tagger output, where present, must agree with the documentation prefixes.
    if want.get("protocol_version") == 6:
        for k in ("src_block", "dest_block"):
            if k in ev and ev[k] != "documentation":
                problems.append("%s: %s expected 'documentation', got %r" % (label, k, ev[k]))


def check_forwarder(fwd, tmp, assigned, lines_by_kind, boot):
    problems = []
    summary = []
    for kind in FRAMINGS:
        path = os.path.join(tmp, kind + ".log")
        extra = ("--boot-time=%d" % BOOT_ARG,) if kind in ("kmsg", "dmesg") else ()
        rc, events, bad, err = run_forwarder(fwd, path, extra)
        tag = "[%s]" % kind
        summary.append("%s: %d lines -> %d events (exit %d); %s" %
                       (kind, len(assigned), len(events), rc, err.strip().splitlines()[-1]
                        if err.strip() else ""))
        if rc != 0:
            problems.append("%s forwarder exit status %d: %s" % (tag, rc, err.strip()[:300]))
        for b in bad[:3]:
            problems.append("%s output line is not JSON: %s" % (tag, b[:200]))
        if len(events) != len(assigned):
            problems.append("%s %d lines logged, %d events printed" %
                            (tag, len(assigned), len(events)))
            # Find the lines that produced nothing, one by one.
            for (r, e, kv), (line, et, tol, dvc) in zip(assigned, lines_by_kind[kind]):
                one = os.path.join(tmp, "one.log")
                with open(one, "w") as f:
                    f.write(line + "\n")
                _, evs, _, err1 = run_forwarder(fwd, one, extra)
                if len(evs) != 1:
                    problems.append("%s line gave %d events: %s  (%s)" %
                                    (tag, len(evs), line, err1.strip()[:200]))
                    continue
                kv2 = dict(kv, _usec=r["usec"])
                check_event(evs[0], e, kv2, et, tol, dvc, kind,
                            "%s %s at %s" % (tag, e.what, e.prefix.strip()), problems, boot)
            continue
        for (r, e, kv), (line, et, tol, dvc), ev in zip(assigned, lines_by_kind[kind], events):
            kv2 = dict(kv, _usec=r["usec"])
            check_event(ev, e, kv2, et, tol, dvc, kind,
                        "%s %s at %s" % (tag, e.what, e.prefix.strip()), problems, boot)
    return problems, summary


# ---------------------------------------------------------------------------

def capture(tag):
    """Build the lab, send, read back.  Returns (lab, assigned records, model
    problems, boot epoch)."""
    lab = Lab(tag)
    kmsg = None
    try:
        lab.setup()
        try:
            lab.rules()
        except RuntimeError as e:
            skip("cannot install the netfilter LOG rules (missing LOG target or nftables "
                 "support?): %s" % e)
        lab.warm_up()
        prefixes = tuple(lab.px.values())
        kmsg = L.Kmsg(lambda msg: msg.startswith(prefixes))
        lab.traffic()
        recs = kmsg.settle()
        boot = L.boot_epoch()
    finally:
        if kmsg:
            kmsg.close()
        lab.close()
    if not recs:
        skip("the kernel logged no LOG line from the namespaces (nf_log_all_netns "
             "ineffective, or no nf_log backend)")
    assigned, problems = match_lines(lab, recs)
    problems += check_model(assigned)
    return lab, recs, assigned, problems, boot


def write_framed(dirpath, assigned, boot, host=HOST, base_epoch=None):
    """Write every framing; returns {kind: [(line, time, tol, dvc)]}."""
    os.makedirs(dirpath, exist_ok=True)
    first = assigned[0][0]["usec"] if assigned else 0
    out = {}
    for kind in FRAMINGS:
        rows = []
        for r, e, kv in assigned:
            if base_epoch is None:
                epoch = boot + r["usec"] / 1e6
            else:
                epoch = base_epoch + (r["usec"] - first) / 1e6
            rows.append(frame(kind, r, epoch, host))
        with open(os.path.join(dirpath, kind + ".log"), "w") as f:
            for line, *_ in rows:
                f.write(line + "\n")
        out[kind] = rows
    return out


def describe(assigned):
    counts = {}
    for r, e, kv in assigned:
        k = e.prefix.strip()
        counts[k] = counts.get(k, 0) + 1
    kinds = {"echo": 0, "time-exceeded": 0, "packet-too-big": 0, "port-unreachable": 0,
             "tcp": 0, "udp": 0, "fragment": 0, "ipv4": 0}
    for r, e, kv in assigned:
        w = e.what
        if w.startswith("ipv4"):
            kinds["ipv4"] += 1
        elif e.group:
            kinds["fragment"] += 1
        elif "time-exceeded" in w:
            kinds["time-exceeded"] += 1
        elif "packet-too-big" in w:
            kinds["packet-too-big"] += 1
        elif "unreachable" in w:
            kinds["port-unreachable"] += 1
        elif w.startswith("tcp"):
            kinds["tcp"] += 1
        elif w.startswith("udp"):
            kinds["udp"] += 1
        else:
            kinds["echo"] += 1
    return ("%d lines: " % len(assigned) + ", ".join("%s %d" % kv for kv in kinds.items()) +
            "\n  by prefix: " + ", ".join("%s %d" % kv for kv in sorted(counts.items())))


EXAMPLE_BASE = 1795798741.0   # 2026-11-27T16:59:01Z


EXAMPLE_UPTIME = 86400000000   # kernel stamps of the samples start at one day of uptime
EXAMPLE_SEQ = 4000


def write_examples(dirpath, assigned):
    """The sample logs: wall-clock stamps from EXAMPLE_BASE, kernel uptime and
    /dev/kmsg sequence numbers rebased, so that reruns differ only where the
    kernel chose values (TCP sequence numbers, fragment and IPv4 ids)."""
    os.makedirs(dirpath, exist_ok=True)
    first = assigned[0][0]["usec"]
    seq0 = assigned[0][0]["seq"]
    assigned = [(dict(r, usec=EXAMPLE_UPTIME + r["usec"] - first,
                      seq=EXAMPLE_SEQ + r["seq"] - seq0), e, kv) for r, e, kv in assigned]
    first = EXAMPLE_UPTIME

    def epoch(r):
        return EXAMPLE_BASE + (r["usec"] - first) / 1e6

    ipt = [(r, e) for r, e, kv in assigned if e.prefix.startswith(("V6P-IPT",))]
    nft = [(r, e) for r, e, kv in assigned if e.prefix.startswith("V6P-NFT")]
    with open(os.path.join(dirpath, "ip6tables.log"), "w") as f:
        for r, e in ipt:
            f.write(frame("rfc3164", r, epoch(r), HOST)[0] + "\n")
    with open(os.path.join(dirpath, "nftables-kmsg.log"), "w") as f:
        for r, e in nft:
            f.write(frame("kmsg", r, epoch(r), HOST)[0] + "\n")
    with open(os.path.join(dirpath, "journal-short-iso.log"), "w") as f:
        for r, e, kv in assigned:
            f.write(frame("short-iso", r, epoch(r), HOST)[0] + "\n")
    return len(ipt), len(nft), len(assigned)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("forwarder", nargs="?", help="path of ipv6probe-forward")
    ap.add_argument("--capture-only", metavar="DIR",
                    help="capture and write the framed files to DIR, no forwarder")
    ap.add_argument("--write-examples", metavar="DIR",
                    help="write ip6tables.log, nftables-kmsg.log, journal-short-iso.log")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    if not args.forwarder and not args.capture_only and not args.write_examples:
        ap.error("give the forwarder, --capture-only DIR or --write-examples DIR")
    L.need_root("network namespaces, netfilter rules, /dev/kmsg")
    L.need_tools("ip", "ip6tables", "iptables", "nft", "sysctl", "ping")
    if args.forwarder and not os.access(args.forwarder, os.X_OK):
        log("FAIL: forwarder %s is not executable" % args.forwarder)
        return 1

    L.exit_on_signals()

    tag = "" if args.write_examples else "%04x" % (os.getpid() & 0xFFFF)
    lab, recs, assigned, problems, boot = capture(tag)
    log("captured " + describe(assigned))
    if args.write_examples:
        if problems:
            for p in problems:
                log("  " + p)
            log("FAIL: the capture does not match what was sent; examples not written")
            return 1
        n = write_examples(args.write_examples, assigned)
        log("wrote %s: ip6tables.log %d lines, nftables-kmsg.log %d, journal-short-iso.log %d"
            % ((args.write_examples,) + n))
        return 0
    tmp = args.capture_only or tempfile.mkdtemp(prefix="v6p-kernel-lab-")
    try:
        lines = write_framed(tmp, assigned, boot)
        with open(os.path.join(tmp, "expected.json"), "w") as f:
            for r, e, kv in assigned:
                f.write(json.dumps({"line": r["msg"], "what": e.what,
                                    "fields": {k: (sorted(v) if isinstance(v, set) else v)
                                               for k, v in expected_for(e, kv).items()},
                                    "maybe": e.maybe}) + "\n")
        log("framed files in %s: %s" % (tmp, ", ".join(k + ".log" for k in FRAMINGS)))
        if problems:
            log("the kernel's lines do not match what was sent:")
            for p in problems:
                log("  " + p)
        if args.capture_only:
            return 1 if problems else 0
        fproblems, summary = check_forwarder(args.forwarder, tmp, assigned, lines, boot)
        for s in summary:
            log("  " + s)
        if fproblems:
            log("forwarder output does not match (%d problems):" % len(fproblems))
            for p in fproblems:
                log("  " + p)
            byfield = {}
            for p in fproblems:
                m = re.search(r": (\w+) (?:missing|expected)|: unexpected (\w+)=|"
                              r"\] (\d+ lines logged)", p)
                k = next((g for g in m.groups() if g), "other") if m else "other"
                byfield[k] = byfield.get(k, 0) + 1
            log("problems by field: " + ", ".join("%s %d" % kv for kv in
                                                  sorted(byfield.items(), key=lambda x: -x[1])))
        if problems or fproblems:
            log("FAIL")
            return 1
        log("PASS: %d lines x %d framings checked" % (len(assigned), len(FRAMINGS)))
        return 0
    finally:
        if not args.capture_only and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

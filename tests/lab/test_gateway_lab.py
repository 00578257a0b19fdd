#!/usr/bin/python3
"""A gateway logging in FORWARD, every packet by two rules, through the forwarder.

Three network namespaces joined by veth pairs:

    lan  h0 ---- lan0  gw  wan0 ---- o0  wan
         2001:db8:1:1::/64     2001:db8:2:2::/64   (+ 2001:db8:5::/48 destinations,
                                                      2001:db8:9:9::9 the scanner)

`gw` routes, advertises 2001:db8:1:1::/64 with radvd, and logs every new
forwarded packet twice: an ip6tables LOG rule and an nftables `log` rule in
FORWARD.  `lan` is a host with real temporary addresses (use_tempaddr=2,
short lifetimes, so the kernel makes a second one while the test runs); it
opens TCP connections to 40 destinations, from its first temporary address
and then from the next.  From `wan` a prober sends a hop-limit ladder to the
first temporary address, two echo requests a rung, and a scanner sends SYNs
to 20 ports of the host.

The kernel's lines, read from /dev/kmsg, go through ipv6probe-forward with
`internal_interfaces: [lan*]` and again with no site described.  Checked:
directions and hooks; each packet's lines share one packet_id and all but one
carry duplicate_of; one ladder with rungs 1..6 seen twice each; the LAN host
never tagged; the scanner tagged port_scan once per packet; the LAN /64
learned and the first temporary address judged temporary; the inputs of the
Splunk app's harvester search (outbound contacts of a temporary address,
inbound probes of it) present; without a site, direction "forward" and the
note saying how to fix it.

Usage (as root): test_gateway_lab.py IPV6PROBE_FORWARD
Exit 77 (skip) when not root or namespaces, radvd, nftables or kernel
logging are not available.
"""
import ipaddress
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lablib as L  # noqa: E402
from lablib import log, skip  # noqa: E402

LAN = ipaddress.ip_network("2001:db8:1:1::/64")
GW_LAN, GW_WAN, WAN = "2001:db8:1:1::1", "2001:db8:2:2::1", "2001:db8:2:2::2"
SCANNER = "2001:db8:9:9::9"
DESTS = ["2001:db8:5:%x::1" % i for i in range(1, 41)]
PREFERRED = 6  # the kernel's temporary preferred lifetime: a second one soon
RUNGS = range(2, 8)  # sent hop limits; FORWARD logs them one lower: 1..6
SCAN_PORTS = range(1000, 1020)

# Run inside a namespace: sends and connects without external tools.
PY_LADDER = r"""
import socket, struct, sys, time
dst, hops = sys.argv[1], [int(x) for x in sys.argv[2].split(",")]
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
seq = 0
for h in hops:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, h)
    for _ in range(2):
        seq += 1
        s.sendto(struct.pack("!BBHHH", 128, 0, 0, 0x4c41, seq) + b"ladder", (dst, 0))
        time.sleep(0.05)
"""
PY_CONNECT = r"""
import socket, sys
dsts, ports = sys.argv[1].split(","), [int(x) for x in sys.argv[2].split(",")]
for d in dsts:
    for p in ports:
        s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        s.settimeout(0.5)
        try:
            s.connect((d, p))
        except OSError:
            pass
        s.close()
"""


class Lab(L.Lab):
    def __init__(self):
        super().__init__(("lan", "gw", "wan"), tmp_prefix="v6p-gw-lab-")
        self.pfx = ("GW%dA " % L.PID, "GW%dB " % L.PID)

    def setup(self):
        self.create()
        self.veth("lan", "h0", "gw", "lan0")
        self.veth("gw", "wan0", "wan", "o0")
        for key, value in [("use_tempaddr", 2), ("accept_ra", 2), ("temp_prefered_lft", PREFERRED),
                           ("temp_valid_lft", 60), ("max_desync_factor", 1), ("accept_dad", 0),
                           ("dad_transmits", 0)]:
            self.sysctl("lan", "net.ipv6.conf.h0.%s" % key, value)
        self.addr("lan", "h0")

        self.sysctl("gw", "net.ipv6.conf.all.forwarding", 1)
        for dev, addr in [("lan0", GW_LAN + "/64"), ("wan0", GW_WAN + "/64")]:
            self.sysctl("gw", "net.ipv6.conf.%s.accept_dad" % dev, 0)
            self.addr("gw", dev, addr)
        for net in ("2001:db8:5::/48", "2001:db8:9::/48"):
            self.nsx("gw", "ip", "-6", "route", "add", net, "via", WAN, "dev", "wan0")
        # Two rules log each new forwarded packet: ip6tables, then nftables.
        # Probes are what is logged: echo requests and TCP SYNs.
        for match in (["-p", "tcp", "--syn"], ["-p", "icmpv6", "--icmpv6-type", "echo-request"]):
            r = self.nsx("gw", "ip6tables", "-A", "FORWARD", *match, "-j", "LOG", "--log-prefix",
                         self.pfx[0], check=False)
            if r.returncode != 0:
                skip("ip6tables LOG unavailable: " + r.stderr.strip())
        nft = ("table ip6 gwlab {\n chain logged {\n  type filter hook forward priority 10;\n"
               "  tcp flags & (syn | ack) == syn log prefix \"%s\"\n"
               "  icmpv6 type echo-request log prefix \"%s\"\n }\n}\n" % (self.pfx[1],
                                                                           self.pfx[1]))
        r = self.nsx("gw", "nft", "-f", "-", input=nft, check=False)
        if r.returncode != 0:
            skip("nftables log unavailable: " + r.stderr.strip())

        self.sysctl("wan", "net.ipv6.conf.o0.accept_dad", 0)
        self.addr("wan", "o0", WAN + "/64", SCANNER + "/128")
        for d in DESTS:
            self.nsx("wan", "ip", "-6", "addr", "add", d + "/128", "dev", "lo")
        self.nsx("wan", "ip", "-6", "route", "add", "default", "via", GW_WAN)
        self.radvd("gw", "lan0", LAN)

    def temps(self):
        """The LAN host's temporary addresses now, newest first."""
        found = [(a.get("preferred_life_time", 0), a["local"])
                 for a in self.addresses("lan", "h0")
                 if a.get("scope") == "global" and a.get("temporary")]
        return [a for _, a in sorted(found, reverse=True)]


def wait_for(what, fn, seconds):
    end = time.time() + seconds
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.25)
    skip("%s did not happen within %d s" % (what, seconds))


def traffic(lab):
    first = wait_for("a temporary address from radvd", lambda: lab.temps(), 20)[0]
    log("lan: first temporary address %s" % first)
    lab.nsx("lan", "python3", "-c", PY_CONNECT, ",".join(DESTS[:20]), "80")
    second = wait_for("a second temporary address",
                      lambda: [a for a in lab.temps() if a != first], 3 * PREFERRED + 5)[0]
    log("lan: second temporary address %s" % second)
    lab.nsx("lan", "python3", "-c", PY_CONNECT, ",".join(DESTS[20:]), "80")
    lab.nsx("wan", "python3", "-c", PY_LADDER, first, ",".join(str(h) for h in RUNGS))
    stable = [a for a in json.loads(lab.nsx("lan", "ip", "-6", "-j", "addr", "show", "dev",
                                            "h0").stdout)[0]["addr_info"]
              if a.get("scope") == "global" and not a.get("temporary")][0]["local"]
    lab.nsx("wan", "ip", "-6", "addr", "show", "dev", "o0")
    # The scanner's SYNs leave from its own address: bind by source route.
    lab.nsx("wan", "ip", "-6", "route", "replace", str(LAN), "via", GW_WAN, "src", SCANNER)
    lab.nsx("wan", "python3", "-c", PY_CONNECT, stable, ",".join(str(p) for p in SCAN_PORTS))
    return first, second, stable


def in_lan(a):
    return ipaddress.ip_address(a) in LAN


def is_inbound(e):
    """The Splunk app's ipv6probe_inbound macro, term for term."""
    d = e.get("direction")
    return "duplicate_of" not in e and (
        d == "inbound" or (d in ("forward", "unknown") and "src_pe" not in e))


def is_outbound(e):
    """The Splunk app's ipv6probe_outbound macro."""
    d = e.get("direction")
    return "duplicate_of" not in e and (
        d == "outbound" or (d in ("forward", "unknown") and "src_pe" in e))


def check_site(events, side, first, stable, problems):
    def want(cond, msg):
        if not cond:
            problems.append(msg)

    from_lan = [e for e in events if in_lan(e["src"])]
    from_wan = [e for e in events if not in_lan(e["src"])]
    want(len(from_lan) >= 80, "LAN events: %d, expected 2 lines x 40 connections" % len(from_lan))
    want(all(e["direction"] == "outbound" and e["hook"] == "forward" for e in from_lan),
         "LAN-side events not all outbound/forward: %s" % sorted(
             {(e["direction"], e["hook"]) for e in from_lan}))
    want(all(e["direction"] == "inbound" and e["hook"] == "forward" for e in from_wan),
         "WAN-side events not all inbound/forward")

    # Two lines a packet: one packet_id, the second marked.
    by_packet = {}
    for e in events:
        by_packet.setdefault(e.get("packet_id"), []).append(e)
    want(None not in by_packet, "events without packet_id")
    bad = [k for k, v in by_packet.items()
           if len(v) != 2 or sum("duplicate_of" not in e for e in v) != 1
           or any(e.get("duplicate_of", k) != k for e in v)
           or {e["rule"] for e in v} != {"GW%dA" % os.getpid(), "GW%dB" % os.getpid()}]
    want(not bad, "%d packets not logged exactly twice with one first line" % len(bad))

    ladders = [r["event"] for r in side if r["sourcetype"] == "ipv6probe:ladder"]
    want(len(ladders) == 1, "ladders: %d, expected 1" % len(ladders))
    if ladders:
        lad = ladders[0]
        want(lad.get("src") == WAN and lad.get("dest") == first, "ladder ends: %s" % lad)
        want(lad.get("rungs") == 6 and lad.get("min_hop_limit") == 1 and
             lad.get("max_hop_limit") == 6, "ladder rungs: %s" % lad)
        want(lad.get("repeats") == [2] * 6, "ladder repeats %s, expected [2]*6" % lad.get("repeats"))
        want(lad.get("probes") == 12, "ladder probes %s, expected 12" % lad.get("probes"))

    tagged_lan = [e for e in from_lan if e.get("src_behavior") or e.get("tags") and
                  set(e["tags"]) - {"pe_target"} or e.get("src_category") == "unknown_scanner"]
    want(not tagged_lan, "LAN host tagged: %s" % tagged_lan[:1])

    scan = [e for e in events if e["src"] == SCANNER]
    scan_first = [e for e in scan if "duplicate_of" not in e]
    tagged = [e for e in scan if "port_scan" in (e.get("src_behavior") or [])]
    want(len(scan_first) == len(SCAN_PORTS), "scanner packets %d" % len(scan_first))
    want(tagged and all("duplicate_of" not in e for e in tagged),
         "port_scan tags on %d events, %d of them repeats" % (
             len(tagged), sum("duplicate_of" in e for e in tagged)))
    want(len({e["packet_id"] for e in tagged}) == len(tagged), "a packet tagged twice")
    want(len(tagged) >= len(SCAN_PORTS) - 15, "port_scan on %d packets" % len(tagged))

    want(all("src_pe" in e for e in from_lan if e["src"] != stable),
         "the LAN /64 was not learned from LAN-side traffic")
    probes = [e for e in from_wan if e["dest"] == first and "duplicate_of" not in e]
    want(probes and all(e.get("dest_pe") is True for e in probes),
         "the first temporary address not judged temporary when probed")
    want(sum(is_outbound(e) and "src_pe" in e and e["src"] == first for e in events) == 20,
         "harvester search input: outbound contacts of the first temporary address")
    want(any(is_inbound(e) and e.get("dest_pe") is True for e in events),
         "harvester search input missing: inbound probes of a temporary address")
    want(not any(is_inbound(e) for e in from_lan), "a LAN connection counted as inbound")
    suspects = [r for r in side if r["sourcetype"] == "ipv6probe:suspect"]
    log("site: %d events, %d packets, ladder %s, %d port_scan tags, %d suspects" % (
        len(events), len(by_packet), ladders[0].get("repeats") if ladders else None,
        len(tagged), len(suspects)))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    exe = sys.argv[1]
    L.need_root("network namespaces, ip6tables, nft, /dev/kmsg")
    L.need_tools("ip", "ip6tables", "nft", "radvd", "sysctl")
    L.exit_on_signals()
    lab = Lab()
    kmsg = None
    problems = []
    try:
        lab.log_all_netns()
        kmsg = L.Kmsg(lambda msg: msg.startswith(lab.pfx))
        lab.setup()
        first, second, stable = traffic(lab)
        lines = [r["raw"] for r in kmsg.settle()]
        if not lines:
            skip("the kernel wrote no LOG lines for the namespaces")
        log("%d kernel lines" % len(lines))
        if os.environ.get("GW_LAB_KEEP"):
            with open(os.environ["GW_LAB_KEEP"], "w") as f:
                f.write("".join(x + "\n" for x in lines))
        boot = L.boot_btime()
        site = "internal_interfaces: [\"lan*\"]\npe:\n  preferred_lifetime_s: 60\n"
        out = L.forward_once(exe, lines, lab.tmp, config=site, boot_time=boot, check=True)
        check_site(out.events, out.labelled, first, stable, problems)
        if "FORWARD" in out.stderr:
            problems.append("the no-site note printed although the site is described")
        out = L.forward_once(exe, lines, lab.tmp, boot_time=boot, check=True)
        events, err = out.events, out.stderr
        if not all(e["direction"] == "forward" and e["hook"] == "forward" for e in events):
            problems.append("without a site: directions %s" % {e["direction"] for e in events})
        if err.count("set internal_prefixes or internal_interfaces") != 1:
            problems.append("without a site: the note is not said once: %r" % err)
        if "%d events read direction \"forward\"" % len(events) not in err:
            problems.append("without a site: the count of forward events not reported")
    finally:
        if kmsg:
            kmsg.close()
        lab.close()
    return L.report(problems)


if __name__ == "__main__":
    sys.exit(main())

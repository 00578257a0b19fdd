#!/usr/bin/python3
"""Real tcpdump pflog text through the forwarder, checked field by field.

Builds a DLT_PFLOG (linktype 117) capture with scapy, has Debian's tcpdump
print it (`-n -e`, every stamp option, with and without -v), feeds the text to
`ipv6probe-forward --stdout -` bare and behind syslog headers, and compares
every event with what was put into the capture.

Usage: pflog_tcpdump_test.py FORWARDER
Exit 77 (skip) when tcpdump or python3-scapy is missing.
"""
import calendar
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TCPDUMP = shutil.which("tcpdump") or ("/usr/sbin/tcpdump" if os.path.exists("/usr/sbin/tcpdump") else None)
if TCPDUMP is None:
    print("SKIP: tcpdump is not installed")
    sys.exit(77)
try:
    from scapy.all import IPv6, TCP, UDP, Raw, wrpcap  # noqa: E402
    from scapy.layers.inet6 import (  # noqa: E402
        ICMPv6DestUnreach, ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6MLDMultAddrRec,
        ICMPv6MLReport2, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_RS,
        ICMPv6PacketTooBig, ICMPv6ParamProblem, ICMPv6TimeExceeded)
    from scapy.layers.pflog import PFLog  # noqa: E402
except ImportError as e:
    print(f"SKIP: python3-scapy is not available ({e})")
    sys.exit(77)

FWD = sys.argv[1]
ACTIONS = {0: ("pass", "allowed"), 1: ("block", "blocked"), 2: ("scrub", "unknown"),
           4: ("nat", "unknown"), 8: ("rdr", "unknown"), 10: ("synproxy-drop", "blocked")}
DIRS = {0: ("in/out", "unknown"), 1: ("in", "inbound"), 2: ("out", "outbound")}
REASONS = {0: "match", 1: "bad-offset", 2: "fragment"}

# The syslog wrapper's stamp; its year is the one the framing infers (the
# latest not more than a day after now), and the capture is made on that day
# within a minute of it, so a time-of-day stamp takes that date.
now = time.time()
year = next(y for y in (time.gmtime(now).tm_year + 1, time.gmtime(now).tm_year,
                        time.gmtime(now).tm_year - 1)
            if calendar.timegm((y, 11, 27, 16, 59, 1)) <= now + 86400)
SYSLOG_T = calendar.timegm((year, 11, 27, 16, 59, 1))
BASE_T = SYSLOG_T - 20


def rfc5952(a):
    return ipaddress.ip_address(a).compressed


cases = []  # (packet, expected fields)


def add(pkt, exp, action=1, direction=1, rule=3, ruleset="", sub=-1, reason=0, iface="em0"):
    hdr = PFLog(addrfamily=24, naddrfamily=24, action=action, reason=reason, iface=iface,
                rulenumber=rule, subrulenumber=sub, ruleset=ruleset, direction=direction)
    e = dict(exp)
    e["pf_action"], e["action"] = ACTIONS[action]
    dword, e["direction"] = DIRS[direction]
    e["rule"] = str(rule)
    e["pf_reason"] = REASONS.get(reason, f"unkn({reason})")
    if sub != -1:  # tcpdump 4.99 prints the anchor only with a sub-rule
        e["pf_subrule"] = sub
        if ruleset:
            e["pf_anchor"] = ruleset
    e["src_interface" if dword != "out" else "dest_interface"] = iface
    e["vendor_product"] = "pf:pflog"
    ip = pkt
    e["src"], e["dest"] = rfc5952(ip.src), rfc5952(ip.dst)
    e["protocol_version"] = 6
    e["_hlim"], e["_fl"], e["_tc"] = ip.hlim, ip.fl, ip.tc
    e["_bytes"] = len(ip.payload) + 40
    cases.append((hdr / pkt, e))


P = "3fff:0:0:7::ab"         # a prober
H = "2001:db8:1:2:a1b2:c3d4:e5f6:1234"  # a host behind the firewall
# ICMPv6 echo at ascending hop limits (two per rung), blocked inbound.
for i, hl in enumerate([1, 1, 2, 2, 3, 3, 4, 4]):
    add(IPv6(src=P, dst=H, hlim=hl, fl=0x12345 if i % 2 else 0) / ICMPv6EchoRequest(id=0x4242, seq=i),
        {"icmp_type": 128, "icmp_id": 0x4242, "icmp_seq": i, "transport": "icmpv6",
         "protocol_number": 58})
# Echo replies let out, in an anchor (with a '/' in its name) and sub-rule.
add(IPv6(src=H, dst=P, hlim=64) / ICMPv6EchoReply(id=7, seq=9),
    {"icmp_type": 129, "icmp_id": 7, "icmp_seq": 9, "protocol_number": 58},
    action=0, direction=2, rule=7, ruleset="edge/probe", sub=2)
add(IPv6(src=H, dst=P, hlim=64, tc=0xb8) / ICMPv6EchoReply(id=8, seq=10),
    {"icmp_type": 129, "icmp_id": 8, "icmp_seq": 10, "protocol_number": 58},
    action=0, direction=2, rule=8, ruleset="lab", sub=0, iface="vlan70")
# A TCP SYN scan.
for i, port in enumerate([22, 80, 443, 3389, 8080]):
    add(IPv6(src="2001:db8:ffff::66", dst=H, hlim=50, tc=0x28 if i == 1 else 0)
        / TCP(sport=40000 + i, dport=port, flags="S", seq=1000 + i, window=1024),
        {"src_port": 40000 + i, "dest_port": port, "tcp_flag": ["SYN"], "tcp_seq": 1000 + i,
         "tcp_window": 1024, "transport": "tcp", "protocol_number": 6},
        rule=12, reason=i % 3)
# SYN-ACK out with options, and a PSH/ACK with data.
add(IPv6(src=H, dst="2001:db8:ffff::66") / TCP(sport=22, dport=40000, flags="SA", seq=5, ack=1001,
                                               window=65535, options=[("MSS", 1440), ("NOP", None), ("WScale", 7)]),
    {"src_port": 22, "dest_port": 40000, "tcp_flag": ["SYN", "ACK"], "tcp_seq": 5, "tcp_ack": 1001,
     "tcp_window": 65535, "protocol_number": 6, "tcp_options": "mss 1440,nop,wscale 7"},
    action=0, direction=2)
add(IPv6(src=P, dst=H) / TCP(sport=5555, dport=25, flags="PA", seq=77, ack=88, window=500) / Raw(b"EHLO x\r\n"),
    {"src_port": 5555, "dest_port": 25, "tcp_flag": ["PSH", "ACK"], "tcp_seq": 77, "tcp_ack": 88,
     "tcp_window": 500, "protocol_number": 6}, reason=99)
# UDP.
add(IPv6(src=P, dst=H, hlim=9) / UDP(sport=44444, dport=33434) / Raw(b"x" * 12),
    {"src_port": 44444, "dest_port": 33434, "transport": "udp", "protocol_number": 17,
     "transport_length": 20}, action=4, direction=0)
add(IPv6(src="fe80::1", dst="ff02::1:2", hlim=1) / UDP(sport=546, dport=547) / Raw(b"\x01\x00\x00\x01"),
    {"src_port": 546, "dest_port": 547, "protocol_number": 17}, action=8)
# ICMPv6 errors.
inner = IPv6(src=H, dst="2001:db8:99::9", hlim=1) / ICMPv6EchoRequest(id=1, seq=1)
add(IPv6(src="2001:db8:0:ff::1", dst=H) / ICMPv6TimeExceeded(code=0) / inner,
    {"icmp_type": 3, "icmp_code": 0, "inner_dest": "2001:db8:99::9", "protocol_number": 58})
add(IPv6(src="2001:db8:0:ff::1", dst=H) / ICMPv6TimeExceeded(code=1) / inner,
    {"icmp_type": 3, "icmp_code": 1, "protocol_number": 58})
for code in (0, 1, 3):
    add(IPv6(src="2001:db8:0:ff::1", dst=H) / ICMPv6DestUnreach(code=code) / inner,
        {"icmp_type": 1, "icmp_code": code, "inner_dest": "2001:db8:99::9", "protocol_number": 58})
add(IPv6(src="2001:db8:0:ff::1", dst=H) / ICMPv6DestUnreach(code=4)
    / IPv6(src=H, dst="2001:db8:99::9") / UDP(sport=1234, dport=4321),
    {"icmp_type": 1, "icmp_code": 4, "inner_dest": "2001:db8:99::9", "inner_protocol_number": 17,
     "inner_dest_port": 4321, "protocol_number": 58}, action=10, direction=1)
add(IPv6(src="2001:db8:0:ff::1", dst=H) / ICMPv6PacketTooBig(mtu=1280) / inner,
    {"icmp_type": 2, "icmp_mtu": 1280, "protocol_number": 58}, action=0)
add(IPv6(src="2001:db8:0:ff::1", dst=H) / ICMPv6ParamProblem(code=1, ptr=40) / inner,
    {"icmp_type": 4, "icmp_code": 1, "icmp_pointer": 40, "protocol_number": 58})
# NDP and MLD.
add(IPv6(src="fe80::1", dst="ff02::1:ff00:1234", hlim=255) / ICMPv6ND_NS(tgt=H),
    {"icmp_type": 135, "protocol_number": 58}, action=0)
add(IPv6(src="fe80::2", dst="fe80::1", hlim=255) / ICMPv6ND_NA(tgt="fe80::2"),
    {"icmp_type": 136, "protocol_number": 58}, action=0, direction=2)
add(IPv6(src="fe80::2", dst="ff02::2", hlim=255) / ICMPv6ND_RS(),
    {"icmp_type": 133, "protocol_number": 58}, action=2)
add(IPv6(src="fe80::1", dst="ff02::1", hlim=255) / ICMPv6ND_RA(),
    {"icmp_type": 134, "protocol_number": 58}, action=0, direction=2)
add(IPv6(src="fe80::2", dst="ff02::16", hlim=1) / ICMPv6MLReport2() / ICMPv6MLDMultAddrRec(),
    {"icmp_type": 143, "protocol_number": 58})

for i, (p, e) in enumerate(cases):
    p.time = BASE_T + i * 0.25
    e["_time"] = BASE_T + i * 0.25

failures = []


def check(label, got, exp, verbose, tmode, wrapped, run_window):
    def fail(msg):
        failures.append(f"{label}: {msg}\n    got {json.dumps(got, sort_keys=True)}")

    for k, v in exp.items():
        if k.startswith("_"):
            continue
        if got.get(k) != v:
            fail(f"{k}: expected {v!r}, got {got.get(k)!r}")
    if verbose:
        for k, v in (("hop_limit", exp["_hlim"]), ("flow_label", exp["_fl"]),
                     ("traffic_class", exp["_tc"]), ("bytes", exp["_bytes"])):
            if got.get(k) != v:
                fail(f"{k} (-v): expected {v!r}, got {got.get(k)!r}")
    else:
        for k in ("hop_limit", "flow_label", "traffic_class", "bytes"):
            if k in got:
                fail(f"{k} present without -v")
    t = got.get("time")
    if tmode in ("-tt", "-tttt") or (tmode == "" and wrapped):
        want = exp["_time"]
    elif tmode == "":
        # time of day only, no date: nearest occurrence to now
        tod = exp["_time"] % 86400
        ref = run_window[0]
        day = ref // 86400
        want = min((d * 86400 + tod for d in (day - 1, day, day + 1)), key=lambda x: abs(x - ref))
    elif wrapped:  # -ttt behind syslog: the syslog stamp stands
        want = SYSLOG_T
    else:  # -ttt bare: a delta, so the reference time (now) stands
        if t is None or not (run_window[0] - 1 <= t <= run_window[1] + 1):
            fail(f"time {t} not within the run {run_window}")
        return
    if t is None or abs(t - want) > 1e-6:
        fail(f"time: expected {want:.6f}, got {t}")


with tempfile.TemporaryDirectory() as tmp:
    pcap = os.path.join(tmp, "pflog.pcap")
    wrpcap(pcap, [p for p, _ in cases], linktype=117)
    env = dict(os.environ, TZ="UTC")
    for tmode in ("", "-tt", "-ttt", "-tttt"):
        for verbose in (False, True):
            args = [TCPDUMP, "-n", "-e"] + ([tmode] if tmode else []) + (["-v"] if verbose else []) + ["-r", pcap]
            out = subprocess.run(args, capture_output=True, text=True, env=env, check=True).stdout
            # -v adds continuation lines (RA details): they carry no pf header
            lines = [ln for ln in out.split("\n") if " rule " in ln or ln.startswith("rule ")]
            if len(lines) != len(cases):
                failures.append(f"tcpdump {' '.join(args[1:-2])}: {len(lines)} lines for {len(cases)} packets")
                continue
            for wrap in ("", "Nov 27 16:59:01 fw1 pflogd: ", "Nov 27 16:59:01 fw1 tcpdump[812]: "):
                text = "".join(wrap + ln + "\n" for ln in lines)
                t0 = time.time()
                res = subprocess.run([FWD, "--stdout", "--unparsed=raw", "-"], input=text,
                                     capture_output=True, text=True)
                t1 = time.time()
                if res.returncode != 0:
                    failures.append(f"forwarder exit {res.returncode}: {res.stderr}")
                    continue
                # Records other than events (ladder summaries: the capture
                # holds an echo ladder) come labelled with a sourcetype.
                evs = [o for o in map(json.loads, res.stdout.splitlines())
                       if "sourcetype" not in o]
                label0 = f"tcpdump -n -e {tmode} {'-v' if verbose else ''} wrap={wrap.split(' ')[-2] if wrap else 'none'}"
                if len(evs) != len(lines):
                    failures.append(f"{label0}: {len(evs)} outputs for {len(lines)} lines")
                    continue
                for i, (ev, ln) in enumerate(zip(evs, lines)):
                    label = f"{label0} line {i + 1} [{ln}]"
                    if "unparsed" in ev:
                        failures.append(f"{label}: not parsed: {ev['status']} {ev['reason']}")
                        continue
                    if wrap and ev.get("dvc") != "fw1":
                        failures.append(f"{label}: dvc {ev.get('dvc')!r}")
                    check(label, ev, cases[i][1], verbose, tmode, bool(wrap), (t0, t1))

n_runs = 4 * 2 * 3
if failures:
    for f in failures[:40]:
        print("FAIL", f)
    print(f"{len(failures)} failures")
    sys.exit(1)
print(f"ok: {len(cases)} packets x {n_runs} tcpdump/framing combinations checked")

#!/usr/bin/env python3
"""Generate a seeded file of pf log lines for the parse benchmark.

    gen_pf.py --format pflog|filterlog [-n LINES] [--seed N] [-o FILE]

pflog: what `tcpdump -n -e -ttt -r /var/log/pflog | logger -t pflogd` leaves
in syslog, half with -v:
    Nov 27 16:59:01 fw1 pflogd: 16:59:01.250000 rule 3/0(match): block in on em0: ...
filterlog: pfSense (RFC 3164 without host) and OPNsense (RFC 5424) records.
Mix: 50% TCP SYN, 20% UDP, 30% ICMPv6 echo request, IPv6 throughout, sources
from documentation and probing-like prefixes, destinations in one /48.
The same seed gives the same file.
"""
import argparse
import ipaddress
import random
import sys

SRC_NETS = ["2001:db8:4000::/36", "3fff:100::/32", "2001:db8:ff00::/40", "3fff:ab00::/24"]
DST_NET = "2001:db8:1::/48"
PORTS = [22, 23, 80, 443, 3389, 8080, 8443, 5900, 25, 53, 123, 445]


def addr(rng, net):
    n = ipaddress.ip_network(net)
    return str(n[rng.randrange(n.num_addresses)])


def pflog_line(rng, i):
    t = 16 * 3600 + 59 * 60 + i * 0.0007
    stamp = f"{int(t) // 3600 % 24:02d}:{int(t) // 60 % 60:02d}:{int(t) % 60:02d}.{int(t * 1e6) % 1000000:06d}"
    src, dst = addr(rng, rng.choice(SRC_NETS)), addr(rng, DST_NET)
    rule = rng.choice(["3/0(match)", "12/0(match)", "7.edge.2/0(match)", "1/2(fragment)"])
    act = rng.choice(["block in on em0", "block in on igb1", "pass out on em0"])
    hl = rng.choice([1, 2, 3, 48, 52, 57, 64, 117, 245])
    verbose = rng.random() < 0.5
    k = rng.random()
    if k < 0.5:
        sp, dp = rng.randrange(1024, 65536), rng.choice(PORTS)
        pkt = (f"{src}.{sp} > {dst}.{dp}: Flags [S], seq {rng.randrange(1 << 32)}, win 1024, "
               f"options [mss 1440], length 0")
        vh = f"(hlim {hl}, next-header TCP (6) payload length: 24) "
    elif k < 0.7:
        sp, dp = rng.randrange(1024, 65536), rng.randrange(33434, 33534)
        pkt = f"{src}.{sp} > {dst}.{dp}: UDP, length 32"
        vh = f"(flowlabel 0x{rng.randrange(1 << 20):05x}, hlim {hl}, next-header UDP (17) payload length: 40) "
    else:
        pkt = (f"{src} > {dst}: ICMP6, echo request, id {rng.randrange(65536)}, "
               f"seq {rng.randrange(65536)}, length 64")
        vh = f"(hlim {hl}, next-header ICMPv6 (58) payload length: 64) "
    if verbose:
        pkt = vh + pkt.replace(", length 64", "").replace(": ICMP6", ": [icmp6 sum ok] ICMP6")
    return f"Nov 27 16:59:01 fw1 pflogd: {stamp} rule {rule}: {act}: {pkt}"


def filterlog_line(rng, i):
    src, dst = addr(rng, rng.choice(SRC_NETS)), addr(rng, DST_NET)
    opn = rng.random() < 0.5
    hdr = (f"<134>1 2026-11-27T16:59:{i % 60:02d}+00:00 fw.example filterlog 76404 - "
           f"[meta sequenceId=\"{i}\"] " if opn else f"<134>Nov 27 16:59:{i % 60:02d} filterlog[72237]: ")
    label = "fae559338f65e11c53669fc3642c93c2" if opn else "1000000103"
    hl = rng.choice([1, 2, 3, 48, 52, 57, 64, 117, 245])
    fl = f"0x{rng.randrange(1 << 20):05x}"
    common = f"{rng.choice([5, 12, 66])},,,{label},{rng.choice(['igb0', 'em0', 'ixl1_vlan70'])},match,block,in,6,0x00,{fl},{hl},"
    k = rng.random()
    if k < 0.5:
        rest = (f"{'tcp' if opn else 'TCP'},6,24,{src},{dst},{rng.randrange(1024, 65536)},"
                f"{rng.choice(PORTS)},0,S,{rng.randrange(1 << 32)},,1024,,mss")
    elif k < 0.7:
        rest = (f"{'udp' if opn else 'UDP'},17,40,{src},{dst},{rng.randrange(1024, 65536)},"
                f"{rng.randrange(33434, 33534)},40")
    elif opn:
        rest = (f"ipv6-icmp,58,64,{src},{dst},datalength=64,echoreq,0,"
                f"{rng.randrange(65536)},{rng.randrange(65536)},")
    else:
        rest = f"ICMPv6,58,64,{src},{dst},"
    return hdr + common + rest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--format", choices=["pflog", "filterlog"], required=True)
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("-o", default="-")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    gen = pflog_line if a.format == "pflog" else filterlog_line
    out = sys.stdout if a.o == "-" else open(a.o, "w")
    for i in range(a.n):
        out.write(gen(rng, i) + "\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()

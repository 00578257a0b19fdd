#!/usr/bin/env python3
"""Generate a realistic, seeded syslog file of Linux netfilter LOG lines.

The lines are what a gateway's kernel writes for ip6tables `-j LOG` and the
nftables `log` statement, as a syslog daemon stores them (RFC 3164 with the
kernel's `[uptime]` stamp kept):

    Nov 27 16:59:01 gw1 kernel: [ 5468.120344] IPT6-IN-DROP: IN=eth0 OUT= MAC=... SRC=...

Mix (defaults): half the lines carry the raw `MAC=` link header (ip6tables),
half nftables' `MACSRC= MACDST= MACPROTO=` (`log flags ether`); 50% TCP SYN,
20% UDP, 30% ICMPv6 echo request; a few IPv4 lines (`--ipv4-share`).  IPv6
addresses are written in full, zero-padded, as the kernel prints them.
Sources come from address blocks that do probe the Internet (clouds, CDNs,
research scanners, tunnel brokers), destinations from the site's own /48.

--mix picks the addresses of the IPv6 lines; everything else stays the same:
  realistic  (default) the pools above: a few thousand sources, 600 destinations;
  flood      every source new, random in 2000::/3 (a spoofed flood), the
             destinations of the realistic mix;
  sweep      every destination new, random in the site's /48 (an address
             sweep), the sources of the realistic mix;
  random     source and destination random in 2000::/3 (the worst case for
             every tracker and for the classification trie).

The same seed gives the same file, byte for byte.

    gen_netfilter.py [-n LINES] [--seed N] [--format rfc3164|...] [--mix MIX]
                     [-o FILE]
    gen_netfilter.py --check     # each mix gives what it says; exit 1 if not

--format picks the framing of every line; other framings may be added to
FORMATS below (a function from (stamp, host, uptime, body) to a line).
"""

import argparse
import hashlib
import ipaddress
import random
import re
import sys
import time

# Sources: prefixes that show up in firewall logs of any IPv6 host, with a
# weight.  Within a prefix a few hosts repeat (scanners keep their address).
SOURCE_PREFIXES = [
    ("2a06:4880:0000:0000", 12),  # research scanner ranges
    ("2602:80d:1000:0000", 8),
    ("2001:0550:0002:0000", 6),  # research networks
    ("2600:1f18:0000:0000", 10),  # AWS
    ("2a05:d014:0000:0000", 6),
    ("2604:a880:0800:0010", 8),  # DigitalOcean
    ("2a01:04f8:0000:0000", 8),  # Hetzner
    ("2001:0470:0000:0000", 6),  # Hurricane Electric tunnels
    ("2a02:6b8:0000:0000", 4),
    ("2600:1406:0000:0000", 6),  # Akamai
    ("2a02:26f0:0000:0000", 6),
    ("2606:4700:0000:0000", 4),  # Cloudflare
    ("2001:4860:4860:0000", 3),  # Google
    ("2620:0096:e000:0000", 4),
    ("2400:cb00:0000:0000", 3),
    ("2a0e:97c0:0000:0000", 6),
]

# The site: one /48 with a few /64s.
SITE = "2001:0db8:4f3a"
SITE_SUBNETS = ["0000", "0001", "0010", "00a0", "0100"]

IFACES_IN = ["eth0", "eth0", "eth0", "ppp0", "wan0"]
IFACES_LAN = ["eth1", "br0", "lan0"]

IPT_PREFIXES = [
    "IPT6-IN-DROP: ",
    "[UFW BLOCK] ",
    "ip6tables-INPUT-drop ",
    "IPT6-FWD-REJECT: ",
    "LOG-ACCEPT-ssh: ",
]
NFT_PREFIXES = [
    "nft inet filter input drop: ",
    "nft-in-drop ",
    "[nftables] forward reject: ",
    "nft-input-accept-icmp: ",
]

HOSTS = ["gw1", "fw-edge", "router"]

TCP_PORTS = [22, 22, 22, 23, 80, 443, 443, 3389, 8080, 8443, 5900, 25, 445, 6379, 9200]
UDP_PORTS = [53, 123, 161, 500, 1900, 5353, 11211, 51820, 443, 137]

MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def full6(prefix, iid):
    """Prefix of four groups (any spelling) + 64-bit IID, zero-padded in full."""
    groups = [g.rjust(4, "0") for g in prefix.split(":")]
    return ":".join(groups) + ":" + ":".join(
        "%04x" % (iid >> s & 0xFFFF) for s in (48, 32, 16, 0)
    )


def full128(a):
    """A 128-bit integer as the kernel prints an address: eight groups of four."""
    return ":".join("%04x" % (a >> s & 0xFFFF) for s in range(112, -1, -16))


def mac_text(m):
    return ":".join("%02x" % b for b in m)


MIXES = ("realistic", "flood", "sweep", "random")


class Gen:
    def __init__(self, seed, mix="realistic"):
        self.r = random.Random(seed)
        r = self.r
        # New addresses are drawn only by the other mixes, after everything
        # below: the realistic file stays what it always was.
        self.new_src = mix in ("flood", "random")
        self.new_dst = {"sweep": "site", "random": "any"}.get(mix)
        self.site48 = int(ipaddress.IPv6Address(SITE + "::"))
        weights = [w for _, w in SOURCE_PREFIXES]
        # A pool of sources: most traffic comes from a few thousand hosts.
        self.sources = []
        for _ in range(4000):
            pfx = r.choices(SOURCE_PREFIXES, weights)[0][0]
            kind = r.random()
            if kind < 0.35:
                iid = r.randrange(1, 256)  # low-byte servers
            elif kind < 0.45:
                iid = (r.getrandbits(24) << 40) | (0xFFFE << 24) | r.getrandbits(24)
                iid |= 0x02 << 56  # EUI-64
            else:
                iid = r.getrandbits(64)
            self.sources.append(full6(pfx, iid))
        # Destinations: routers, servers, SLAAC and temporary addresses.
        self.dests = []
        for _ in range(600):
            sub = r.choice(SITE_SUBNETS)
            kind = r.random()
            if kind < 0.2:
                iid = r.randrange(1, 32)
            elif kind < 0.35:
                iid = (r.getrandbits(24) << 40) | (0xFFFE << 24) | r.getrandbits(24)
            else:
                iid = r.getrandbits(64)
            self.dests.append(full6(SITE + ":" + sub, iid))
        self.router_mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]
        self.peer_macs = [
            [r.randrange(256) & 0xFE for _ in range(1)] + [r.randrange(256) for _ in range(5)]
            for _ in range(8)
        ]
        self.v4_sources = [
            "%d.%d.%d.%d" % (r.choice([45, 89, 162, 185, 193, 198]), r.randrange(256),
                             r.randrange(256), r.randrange(1, 255))
            for _ in range(300)
        ]
        self.t = 1795791541  # a Friday in November 2026, UTC
        self.uptime = 5400.0 + r.random() * 1000
        self.host = r.choice(HOSTS)

    def body(self, nft, v4):
        r = self.r
        prefix = r.choice(NFT_PREFIXES if nft else IPT_PREFIXES)
        iface = r.choice(IFACES_IN)
        forward = "FWD" in prefix or "forward" in prefix
        out = r.choice(IFACES_LAN) if forward else ""
        parts = [prefix, "IN=", iface, " OUT=", out, " "]
        peer = r.choice(self.peer_macs)
        if nft:
            parts.append("MACSRC=%s MACDST=%s MACPROTO=%s " % (
                mac_text(peer), mac_text(self.router_mac), "0800" if v4 else "86dd"))
        else:
            parts.append("MAC=%s:%s:%s " % (
                mac_text(self.router_mac), mac_text(peer), "08:00" if v4 else "86:dd"))
        u = r.random()
        proto = "TCP" if u < 0.5 else "UDP" if u < 0.7 else "ICMP"
        if v4:
            src = r.choice(self.v4_sources)
            dst = "203.0.113.%d" % r.randrange(1, 30)
        else:
            # 2000::/3 is 001 and 125 free bits; the /48 leaves 80.
            src = full128(1 << 125 | r.getrandbits(125)) if self.new_src \
                else r.choice(self.sources)
            if self.new_dst == "any":
                dst = full128(1 << 125 | r.getrandbits(125))
            elif self.new_dst == "site":
                dst = full128(self.site48 | r.getrandbits(80))
            else:
                dst = r.choice(self.dests)
        if proto == "TCP":
            length = r.choice([60, 64, 72, 80, 84]) if not v4 else r.choice([40, 44, 60])
        elif proto == "UDP":
            ulen = r.choice([8, 16, 29, 45, 56, 76, 132])
            length = ulen + (20 if v4 else 40)
        else:
            length = r.choice([64, 104, 1064]) if not v4 else r.choice([28, 84])
        hops = r.choice([44, 47, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 116, 119,
                         242, 244, 245, 247, 248, 250, 1, 2, 3])
        if v4:
            parts.append("SRC=%s DST=%s LEN=%d TOS=0x00 PREC=0x00 TTL=%d ID=%d %s" % (
                src, dst, length, hops, r.randrange(65536), "DF " if r.random() < 0.5 else ""))
        else:
            parts.append("SRC=%s DST=%s LEN=%d TC=%d HOPLIMIT=%d FLOWLBL=%d " % (
                src, dst, length, r.choice([0, 0, 0, 0, 32, 40, 72]), hops,
                r.getrandbits(20) if r.random() < 0.8 else 0))
        if proto == "TCP":
            parts.append("PROTO=TCP SPT=%d DPT=%d WINDOW=%d RES=0x00 SYN URGP=0 " % (
                r.randrange(1024, 65536), r.choice(TCP_PORTS),
                r.choice([1024, 14400, 28800, 29200, 64240, 65535])))
        elif proto == "UDP":
            parts.append("PROTO=UDP SPT=%d DPT=%d LEN=%d " % (
                r.randrange(1024, 65536), r.choice(UDP_PORTS), ulen))
        elif v4:
            parts.append("PROTO=ICMP TYPE=8 CODE=0 ID=%d SEQ=%d " % (
                r.randrange(65536), r.randrange(1, 20)))
        else:
            parts.append("PROTO=ICMPv6 TYPE=128 CODE=0 ID=%d SEQ=%d " % (
                r.randrange(65536), r.randrange(1, 40)))
        return "".join(parts)

    def next_stamp(self):
        # About 200 lines a second, with bursts: the clock moves unevenly.
        step = self.r.expovariate(200.0)
        self.t += step
        self.uptime += step
        return self.t, self.uptime


def fmt_rfc3164(t, host, uptime, body):
    tm = time.gmtime(int(t))
    return "%s %2d %02d:%02d:%02d %s kernel: [%12.6f] %s" % (
        MONTHS[tm.tm_mon - 1], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, host, uptime, body)


def fmt_rfc3339(t, host, uptime, body):
    tm = time.gmtime(int(t))
    return "%04d-%02d-%02dT%02d:%02d:%02d.%06d+00:00 %s kernel: [%12.6f] %s" % (
        tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
        int((t % 1) * 1e6), host, uptime, body)


def fmt_kmsg(t, host, uptime, body):
    return "4,%d,%d,-;%s" % (int(t * 7) % 10000000, int(uptime * 1e6), body)


def fmt_dmesg(t, host, uptime, body):
    return "[%12.6f] %s" % (uptime, body)


FORMATS = {
    "rfc3164": fmt_rfc3164,
    "rfc3339": fmt_rfc3339,
    "kmsg": fmt_kmsg,
    "dmesg": fmt_dmesg,
}


def generate(n, seed=6, fmt="rfc3164", mix="realistic", nft_share=0.5, ipv4_share=0.005):
    """The lines of a file, without their newlines."""
    g = Gen(seed, mix)
    fmt = FORMATS[fmt]
    r = g.r
    for _ in range(n):
        t, up = g.next_stamp()
        body = g.body(r.random() < nft_share, r.random() < ipv4_share)
        yield fmt(t, g.host, up, body)


# SHA-256 of the first 2,000 default lines (seed 6, rfc3164, realistic): the
# realistic file must not change, as figures measured on it are compared
# across versions.
REALISTIC_2000 = "c988a59ef30b6e2a38cbf4d5441962b4073924c83e1c72c551c4d9ce573389a6"


def check():
    """Each mix gives what it says; returns a list of failures."""
    bad = []
    text = "".join(ln + "\n" for ln in generate(2000))
    if hashlib.sha256(text.encode()).hexdigest() != REALISTIC_2000:
        bad.append("realistic: the default output changed")
    site = ipaddress.IPv6Network(SITE + "::/48")
    g3 = ipaddress.IPv6Network("2000::/3")
    pool = Gen(11)
    pool_src, pool_dst = set(pool.sources), set(pool.dests)
    for mix in MIXES:
        srcs, dsts, v6 = [], [], 0
        for ln in generate(5000, seed=11, mix=mix):
            m = re.search(r" SRC=(\S+) DST=(\S+) ", ln)
            if not m or "." in m.group(1):
                continue
            v6 += 1
            srcs.append(m.group(1))
            dsts.append(m.group(2))
        for name, addrs in (("source", srcs), ("destination", dsts)):
            if any(len(a) != 39 for a in addrs):
                bad.append("%s: a %s is not written in full" % (mix, name))
        s_new = len(set(srcs)) == v6
        d_new = len(set(dsts)) == v6
        s_g3 = all(ipaddress.IPv6Address(a) in g3 for a in srcs)
        d_g3 = all(ipaddress.IPv6Address(a) in g3 for a in dsts)
        d_site = all(ipaddress.IPv6Address(a) in site for a in dsts)
        s_pool = set(srcs) <= pool_src
        d_pool = set(dsts) <= pool_dst
        want = {
            "realistic": s_pool and d_pool,
            "flood": s_new and s_g3 and d_pool,
            "sweep": s_pool and d_new and d_site,
            "random": s_new and s_g3 and d_new and d_g3,
        }[mix]
        if v6 < 4900 or not want:
            bad.append("%s: %d IPv6 lines; sources new %s, in 2000::/3 %s, from the pool %s; "
                       "destinations new %s, in 2000::/3 %s, in the site /48 %s, from the pool %s"
                       % (mix, v6, s_new, s_g3, s_pool, d_new, d_g3, d_site, d_pool))
    return bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--lines", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=6)
    ap.add_argument("--format", choices=sorted(FORMATS), default="rfc3164")
    ap.add_argument("--mix", choices=MIXES, default="realistic",
                    help="addresses of the IPv6 lines (see the top of this file)")
    ap.add_argument("--nft-share", type=float, default=0.5,
                    help="share of nftables (MACSRC=) lines")
    ap.add_argument("--ipv4-share", type=float, default=0.005,
                    help="share of IPv4 lines")
    ap.add_argument("--check", action="store_true",
                    help="check that each mix gives what it says, write nothing")
    ap.add_argument("-o", "--output", default="-")
    a = ap.parse_args()
    if a.check:
        bad = check()
        for b in bad:
            print("gen_netfilter --check: " + b, file=sys.stderr)
        sys.exit(1 if bad else 0)
    out = sys.stdout if a.output == "-" else open(a.output, "w", encoding="ascii")
    buf = []
    for ln in generate(a.lines, a.seed, a.format, a.mix, a.nft_share, a.ipv4_share):
        buf.append(ln)
        if len(buf) == 10000:
            out.write("\n".join(buf) + "\n")
            buf = []
    if buf:
        out.write("\n".join(buf) + "\n")
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()

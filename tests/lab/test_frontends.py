#!/usr/bin/python3
"""Real UFW and Shorewall in network namespaces, their log lines through the forwarder.

Two namespaces per front-end, a host and a peer on one link
(2001:db8:7:N::1 and ::2, N from the pid, so that two runs at once tell
their kernel lines apart).  The front-end runs in the host's namespace with its
configuration in a private copy (a mount namespace binds the copy over
/etc/ufw and /etc/default/ufw, or /etc/shorewall6 and /var/lib/shorewall6):
the machine's own files and firewall are never touched.

  * UFW: `ufw --force enable` and `ufw logging full`.  The peer opens TCP
    connections to three closed ports: UFW logs each SYN twice, `[UFW AUDIT]`
    then `[UFW BLOCK]`.  Checked: one packet_id per SYN, the BLOCK line
    marked duplicate_of it, action unknown then blocked, hook input,
    direction inbound; the host's own replies outbound.
  * UFW as a gateway (`ufw default deny routed`, logging full): probes from
    the WAN to a LAN host, each logged in FORWARD by two of UFW's rules.
    Checked with internal_interfaces: one first line per SYN, hook forward,
    direction inbound, a [UFW BLOCK] among them.
  * Shorewall6 with Debian's shipped shorewall6.conf and a two-zone
    configuration (policy net -> all DROP info).  Checked: rule
    `net-fw DROP`, action blocked, src_zone net, dest_zone fw.

Usage (as root): test_frontends.py IPV6PROBE_FORWARD
Exit 77 (skip) without root, namespaces, /dev/kmsg or the packages
(scripts/deps-frontends.sh installs them).
"""
import ipaddress
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lablib as L  # noqa: E402
from lablib import log, skip  # noqa: E402

# The front-ends' prefixes are fixed ([UFW BLOCK]): this run's kernel lines
# are the ones with its own /64s (the kernel writes every group in full).
NET = "2001:db8:7:%x::" % (L.PID & 0xFFFF)
LAN = "2001:db8:8:%x::" % (L.PID & 0xFFFF)
HOST, PEER = NET + "1", NET + "2"
LAN_GW, LAN_HOST = LAN + "1", LAN + "10"


def ours(net, text):
    """Whether a kernel line names an address in net's /64."""
    return ipaddress.IPv6Address(net).exploded[:20] in text
PORTS = (22, 23, 8080)

PY_CONNECT = r"""
import socket, sys
for p in sys.argv[2].split(","):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(0.3)
    try:
        s.connect((sys.argv[1], int(p)))
    except OSError:
        pass
    s.close()
"""


class Pair(L.Lab):
    """A host and a peer namespace on one veth link."""

    def __init__(self, name):
        super().__init__((name + "h", name + "p"), tmp_prefix="v6p-frontends-")
        self.host, self.peer = name + "h", name + "p"
        self.create()
        self.log_all_netns()
        self.veth(self.host, "e0", self.peer, "e0")
        for who, addr in ((self.host, HOST), (self.peer, PEER)):
            self.sysctl(who, "net.ipv6.conf.e0.accept_dad", 0)
            self.addr(who, "e0", addr + "/64")

    def in_private(self, binds, script):
        """Run a shell script in the host namespace, with private copies
        bound over the given paths (a mount namespace of its own)."""
        return L.run_private(binds, ["sh", "-c", script], netns=self.ns[self.host])

    def probe(self, keep):
        """The peer's connections to PORTS; the kernel's lines that keep() takes."""
        with L.Kmsg(keep) as kmsg:
            self.nsx(self.peer, "python3", "-c", PY_CONNECT, self.target,
                     ",".join(map(str, PORTS)))
            return [r["raw"] for r in kmsg.settle()]

    target = HOST


def forward(exe, lines, tmp, config=None):
    return L.forward_once(exe, lines, tmp, config=config or "internal_prefixes: [\"%s/128\"]\n" % HOST,
                          boot_time=L.boot_btime(), check=True).events


def ufw_case(exe, tmp, problems):
    pair = Pair("u")
    try:
        priv = os.path.join(tmp, "ufw")
        shutil.copytree("/etc/ufw", os.path.join(priv, "etc-ufw"), symlinks=True)
        shutil.copy("/etc/default/ufw", os.path.join(priv, "default-ufw"))
        binds = [(os.path.join(priv, "etc-ufw"), "/etc/ufw"),
                 (os.path.join(priv, "default-ufw"), "/etc/default/ufw")]
        pair.in_private(binds, "ufw --force enable >/dev/null && ufw logging full >/dev/null")
        lines = pair.probe(lambda t: "[UFW " in t and ours(NET, t))
    finally:
        pair.close()
    if not lines:
        skip("UFW wrote no kernel lines in its namespace")
    events = forward(exe, lines, tmp)
    syns = [e for e in events if e.get("dest_port") in PORTS and e.get("dest") == HOST]
    by_packet = {}
    for e in syns:
        by_packet.setdefault(e["packet_id"], []).append(e)
    log("ufw: %d lines, %d SYN events in %d packets" % (len(lines), len(syns), len(by_packet)))
    if len(by_packet) != len(PORTS):
        problems.append("ufw: %d SYN packets, expected %d" % (len(by_packet), len(PORTS)))
    for pid, evs in by_packet.items():
        rules = [(e["rule"], e["action"], "duplicate_of" in e) for e in evs]
        if rules != [("[UFW AUDIT]", "unknown", False), ("[UFW BLOCK]", "blocked", True)]:
            problems.append("ufw: packet %d logged as %s" % (pid, rules))
        if any(e.get("duplicate_of", pid) != pid for e in evs):
            problems.append("ufw: duplicate_of does not name the first line")
        if any((e["hook"], e["direction"]) != ("input", "inbound") for e in evs):
            problems.append("ufw: SYN hook/direction %s" % {(e["hook"], e["direction"])
                                                            for e in evs})
    replies = [e for e in events if e.get("src") == HOST]
    if not replies or any((e["hook"], e["direction"]) != ("output", "outbound") for e in replies):
        problems.append("ufw: the host's own packets not output/outbound: %s" % {
            (e["hook"], e["direction"]) for e in replies})


class Routed(Pair):
    """lan (h0) -- lan0 gw wan0 -- (o0) wan; the front-end runs in gw.  The
    host and peer of Pair become the gateway and the WAN side."""

    target = LAN_HOST

    def __init__(self, name):
        L.Lab.__init__(self, (name + "l", name + "g", name + "w"), tmp_prefix="v6p-frontends-")
        self.lan, self.host, self.peer = name + "l", name + "g", name + "w"
        self.create()
        self.log_all_netns()
        links = [(self.lan, "h0", LAN_HOST + "/64", self.host, "lan0", LAN_GW + "/64"),
                 (self.host, "wan0", HOST + "/64", self.peer, "o0", PEER + "/64")]
        for na, da, aa, nb, db, ab in links:
            self.veth(na, da, nb, db)
            for who, dev, addr in ((na, da, aa), (nb, db, ab)):
                self.sysctl(who, "net.ipv6.conf.%s.accept_dad" % dev, 0)
                self.addr(who, dev, addr)
        self.sysctl(self.host, "net.ipv6.conf.all.forwarding", 1)
        self.nsx(self.lan, "ip", "-6", "route", "add", "default", "via", LAN_GW)
        self.nsx(self.peer, "ip", "-6", "route", "add", "default", "via", HOST)


def ufw_routed_case(exe, tmp, problems):
    """UFW as a gateway: `ufw default deny routed`, logging full; probes from
    the WAN to a LAN host are logged in FORWARD by two of UFW's rules."""
    gw = Routed("r")
    try:
        priv = os.path.join(tmp, "ufw-routed")
        shutil.copytree("/etc/ufw", os.path.join(priv, "etc-ufw"), symlinks=True)
        shutil.copy("/etc/default/ufw", os.path.join(priv, "default-ufw"))
        binds = [(os.path.join(priv, "etc-ufw"), "/etc/ufw"),
                 (os.path.join(priv, "default-ufw"), "/etc/default/ufw")]
        gw.in_private(binds, "ufw default deny routed >/dev/null && ufw --force enable "
                             ">/dev/null && ufw logging full >/dev/null")
        lines = gw.probe(lambda t: "[UFW " in t and "OUT=lan0" in t and ours(LAN, t))
    finally:
        gw.close()
    if not lines:
        problems.append("ufw routed: no FORWARD lines for the probes")
        return
    events = forward(exe, lines, tmp, "internal_interfaces: [\"lan*\"]\n")
    syns = [e for e in events if e.get("dest_port") in PORTS]
    packets = {e["packet_id"] for e in syns}
    firsts = [e for e in syns if "duplicate_of" not in e]
    log("ufw routed: %d lines, %d SYN events, %d packets, rules %s" % (
        len(lines), len(syns), len(packets), sorted({e["rule"] for e in syns})))
    if len(packets) != len(PORTS) or len(firsts) != len(PORTS):
        problems.append("ufw routed: %d packets, %d first lines, expected %d" % (
            len(packets), len(firsts), len(PORTS)))
    if len(syns) < 2 * len(PORTS):
        problems.append("ufw routed: each SYN should be logged by two rules: %d lines" %
                        len(syns))
    if any((e["hook"], e["direction"]) != ("forward", "inbound") for e in syns):
        problems.append("ufw routed: hook/direction %s" % {(e["hook"], e["direction"])
                                                           for e in syns})
    if not any(e["action"] == "blocked" for e in syns):
        problems.append("ufw routed: no [UFW BLOCK] line")


def shorewall_case(exe, tmp, problems):
    pair = Pair("s")
    try:
        priv = os.path.join(tmp, "sw")
        etc, var = os.path.join(priv, "etc"), os.path.join(priv, "var")
        shutil.copytree("/etc/shorewall6", etc, symlinks=True)
        os.makedirs(var)
        files = {"zones": "fw firewall\nnet ipv6\n",
                 "interfaces": "?FORMAT 2\nnet e0\n",
                 "policy": "$FW net ACCEPT\nnet all DROP info\nall all REJECT info\n",
                 "rules": "?SECTION NEW\n"}
        for name, text in files.items():
            with open(os.path.join(etc, name), "w") as f:
                f.write(text)
        os.makedirs("/var/lib/shorewall6", exist_ok=True)
        pair.in_private([(etc, "/etc/shorewall6"), (var, "/var/lib/shorewall6")],
                        "shorewall6 start >/dev/null")
        lines = pair.probe(lambda t: "net-fw" in t and ours(NET, t))
    finally:
        pair.close()
    if not lines:
        skip("Shorewall wrote no kernel lines in its namespace")
    events = forward(exe, lines, tmp)
    log("shorewall6: %d lines, rules %s" % (len(lines), sorted({e["rule"] for e in events})))
    want = {("net-fw DROP", "blocked", "net", "fw", "input", "inbound")}
    got = {(e["rule"], e["action"], e.get("src_zone"), e.get("dest_zone"), e["hook"],
            e["direction"]) for e in events}
    if got != want:
        problems.append("shorewall6: events %s, expected %s" % (got, want))
    if len({e["packet_id"] for e in events}) != len(PORTS) or any("duplicate_of" in e
                                                                    for e in events):
        problems.append("shorewall6: one line per SYN expected, no duplicates")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    exe = sys.argv[1]
    L.need_root("network and mount namespaces, /dev/kmsg")
    L.need_tools("ip", "unshare", "ufw", "shorewall6", "ip6tables",
                 hint=" (scripts/deps-frontends.sh)")
    L.exit_on_signals()
    tmp = L.workdir("v6p-frontends-")
    problems = []
    try:
        ufw_case(exe, tmp, problems)
        ufw_routed_case(exe, tmp, problems)
        shorewall_case(exe, tmp, problems)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return L.report(problems)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Real temporary addresses from the kernel, tagged by the tracker.

Three network namespaces joined by veth pairs:

    host  h0 ---- f0  fw  f1 ---- o0  outside
          2001:db8:1:1::/64        2001:db8:2:2::/64

`fw` routes, runs radvd advertising 2001:db8:1:1::/64 on f0 and logs
forwarded ICMPv6 echo requests with ip6tables LOG (one prefix for outbound,
one for inbound).  `host` autoconfigures from the advertisements with
use_tempaddr=2 and short temporary lifetimes (preferred 20 s, valid 60 s), so
several temporary addresses come and go while it pings the outside every
second (outbound traffic prefers the temporary address).  Then `outside`
probes every temporary address the host had, and its stable EUI-64 address.

The kernel's LOG lines, read from /dev/kmsg, go through pe_driver (parser +
tracker + JSON).  Checks: each probed temporary address is tagged dest_pe true
with the pe_target tag; the EUI-64 address is tagged dest_pe false.

Usage (as root): pe_kernel_lab.py PE_DRIVER
Exit 77 (skip) when not root, or namespaces, radvd or kernel logging are not
available.
"""
import ipaddress
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lablib as L  # noqa: E402
from lablib import log, skip  # noqa: E402

HOST_MAC = "00:16:3e:12:34:56"  # universal: the EUI-64 IID is 216:3eff:fe12:3456
LAN = "2001:db8:1:1::/64"
FW_LAN, FW_WAN, OUTSIDE = "2001:db8:1:1::1", "2001:db8:2:2::1", "2001:db8:2:2::2"
PREFERRED, VALID = 20, 60
ACTIVE_SECONDS = 75


class Lab(L.Lab):
    def __init__(self):
        super().__init__(("host", "fw", "out"), tmp_prefix="v6p-pe-lab-")
        self.prefix_out = "PE%dOUT " % L.PID
        self.prefix_in = "PE%dIN " % L.PID

    def setup(self):
        self.create()
        self.log_all_netns()
        self.veth("host", "h0", "fw", "f0", mac_a=HOST_MAC)
        self.veth("fw", "f1", "out", "o0")

        # host: SLAAC with temporary addresses that regenerate every ~20 s.
        for key, value in [("use_tempaddr", 2), ("accept_ra", 2), ("temp_prefered_lft", PREFERRED),
                           ("temp_valid_lft", VALID), ("max_desync_factor", 1),
                           ("accept_dad", 0), ("addr_gen_mode", 0)]:
            self.sysctl("host", "net.ipv6.conf.h0.%s" % key, value)
        self.addr("host", "h0")

        # fw: the router, radvd and the firewall log.
        self.sysctl("fw", "net.ipv6.conf.all.forwarding", 1)
        for dev, addr in [("f0", FW_LAN + "/64"), ("f1", FW_WAN + "/64")]:
            self.sysctl("fw", "net.ipv6.conf.%s.accept_dad" % dev, 0)
            self.addr("fw", dev, addr)
        for chain_args, prefix in [(["-i", "f0", "-o", "f1"], self.prefix_out),
                                   (["-i", "f1", "-o", "f0"], self.prefix_in)]:
            r = self.nsx("fw", "ip6tables", "-A", "FORWARD", *chain_args, "-p", "icmpv6",
                         "--icmpv6-type", "echo-request", "-j", "LOG", "--log-prefix", prefix,
                         check=False)
            if r.returncode != 0:
                skip("ip6tables LOG unavailable: " + r.stderr.strip())

        # outside: the far end and the prober.
        self.sysctl("out", "net.ipv6.conf.o0.accept_dad", 0)
        self.addr("out", "o0", OUTSIDE + "/64")
        self.nsx("out", "ip", "-6", "route", "add", "default", "via", FW_WAN)
        self.radvd("fw", "f0", LAN)

    def host_addrs(self):
        """(temporary addresses, stable global addresses) of the host now."""
        temps, stable = set(), set()
        for a in self.addresses("host", "h0"):
            if a.get("scope") == "global":
                (temps if a.get("temporary") else stable).add(a["local"])
        return temps, stable


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    driver = sys.argv[1]
    L.need_root("network namespaces, ip6tables, /dev/kmsg")
    L.need_tools("ip", "ip6tables", "radvd", "ping", "sysctl")
    L.exit_on_signals()
    lab = Lab()
    kmsg = None
    try:
        kmsg = L.Kmsg(lambda msg: msg.startswith((lab.prefix_out, lab.prefix_in)))
        lab.setup()
        return experiment(lab, kmsg, driver)
    finally:
        if kmsg:
            kmsg.close()
        lab.close()


def experiment(lab, kmsg, driver):
    deadline = time.time() + 30
    temps, stable = lab.host_addrs()
    while not temps and time.time() < deadline:
        time.sleep(0.5)
        temps, stable = lab.host_addrs()
    if not temps:
        skip("the host got no temporary address from radvd within 30 s")
    log("host: temporary %s, stable %s" % (sorted(temps), sorted(stable)))

    # Outbound traffic every second; note every temporary address seen.
    all_temps, all_stable = set(temps), set(stable)
    end = time.time() + ACTIVE_SECONDS
    while time.time() < end:
        lab.nsx("host", "ping", "-6", "-c", "1", "-W", "1", OUTSIDE, check=False)
        t, s = lab.host_addrs()
        all_temps |= t
        all_stable |= s
        time.sleep(0.5)
    eui64 = [a for a in all_stable if a.endswith(":216:3eff:fe12:3456")]
    log("temporary addresses seen: %d; EUI-64: %s" % (len(all_temps), eui64))
    if len(all_temps) < 3:
        log("FAIL: the kernel made %d temporary addresses, expected several" % len(all_temps))
        return 1
    if len(eui64) != 1:
        log("FAIL: no EUI-64 address on the host: %s" % sorted(all_stable))
        return 1

    # The outside probes each of them.
    targets = sorted(all_temps) + eui64
    for a in targets:
        lab.nsx("out", "ping", "-6", "-c", "1", "-W", "1", a, check=False)
    lines = [r["raw"] for r in kmsg.settle()]
    if not lines:
        skip("the kernel wrote no LOG lines for the namespaces")

    p = subprocess.run([driver, "--prefix", LAN, "--preferred", str(PREFERRED), "--valid",
                        str(VALID), "--boot-time", str(L.boot_btime())],
                       input="".join(x + "\n" for x in lines), capture_output=True, text=True)
    if p.returncode != 0:
        log("FAIL: pe_driver exited %d: %s" % (p.returncode, p.stderr))
        return 1
    events = [json.loads(x) for x in p.stdout.splitlines()]
    outbound = [e for e in events if e.get("rule", "").endswith("OUT")]
    inbound = [e for e in events if e.get("rule", "").endswith("IN")]
    log("%d LOG lines: %d outbound, %d probes" % (len(lines), len(outbound), len(inbound)))
    failures = []
    if len(outbound) < ACTIVE_SECONDS // 2:
        failures.append("only %d outbound events logged" % len(outbound))
    if not any(e.get("src_pe") for e in outbound):
        failures.append("no outbound event from a temporary address has src_pe true")

    by_dest = {}
    for e in inbound:
        by_dest.setdefault(str(ipaddress.IPv6Address(e["dest"])), e)
    not_random = 0
    for a in targets:
        a = str(ipaddress.IPv6Address(a))
        e = by_dest.get(a)
        if e is None:
            failures.append("no probe event for %s" % a)
            continue
        tags = e.get("tags", [])
        summary = "%s: dest_iid=%s dest_pe=%s confidence=%s age=%s tags=%s" % (
            a, e.get("dest_iid"), e.get("dest_pe"), e.get("dest_pe_confidence"),
            e.get("dest_age"), tags)
        log("  " + summary)
        if a in eui64:
            if e.get("dest_pe") is not False or "pe_target" in tags or e.get("dest_iid") != "eui64":
                failures.append("stable EUI-64 address called temporary: " + summary)
            continue
        if e.get("dest_iid") != "randomized":
            # The randomness test refuses ~0.3% of truly random IIDs by design.
            not_random += 1
            continue
        if e.get("dest_pe") is not True or "pe_target" not in tags:
            failures.append("temporary address not tagged: " + summary)
        if not isinstance(e.get("dest_age"), int) or e["dest_age"] < 0:
            failures.append("no dest_age: " + summary)
    if not_random > 1:
        failures.append("%d kernel temporary IIDs failed the randomness test" % not_random)
    if failures:
        for f in failures:
            log("FAIL: " + f)
        return 1
    log("ok: %d temporary addresses tagged dest_pe, the EUI-64 one not" % (
        len(all_temps) - not_random))
    return 0


if __name__ == "__main__":
    sys.exit(main())

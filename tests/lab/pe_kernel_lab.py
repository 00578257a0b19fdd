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
import shutil
import subprocess
import sys
import tempfile
import time

SKIP = 77
HOST_MAC = "00:16:3e:12:34:56"  # universal: the EUI-64 IID is 216:3eff:fe12:3456
LAN = "2001:db8:1:1::/64"
FW_LAN, FW_WAN, OUTSIDE = "2001:db8:1:1::1", "2001:db8:2:2::1", "2001:db8:2:2::2"
PREFERRED, VALID = 20, 60
ACTIVE_SECONDS = 75


def log(msg):
    print(msg, flush=True)


def skip(msg):
    log("SKIP: " + msg)
    sys.exit(SKIP)


def run(cmd, check=True):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("failed (%d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr))
    return r


class Lab:
    def __init__(self):
        tag = str(os.getpid())
        self.ns = {"host": "peh" + tag, "fw": "pef" + tag, "out": "peo" + tag}
        self.prefix_out = "PE%sOUT " % tag
        self.prefix_in = "PE%sIN " % tag
        self.made = []
        self.radvd = None
        self.tmp = tempfile.mkdtemp(prefix="pe-lab-")
        self.old_log_all = None

    def ns_run(self, who, *cmd, check=True):
        return run(["ip", "netns", "exec", self.ns[who]] + list(cmd), check=check)

    def sysctl(self, who, key, value):
        self.ns_run(who, "sysctl", "-q", "-w", "%s=%s" % (key, value))

    def setup(self):
        for name in self.ns.values():
            if run(["ip", "netns", "add", name], check=False).returncode != 0:
                skip("cannot create network namespaces")
            self.made.append(name)
        tag = str(os.getpid())[-6:]
        for (a, an, b, bn) in [("host", "h0", "fw", "f0"), ("fw", "f1", "out", "o0")]:
            ta, tb = "pe%sa%s" % (tag, an[0]), "pe%sb%s" % (tag, bn[0])
            run(["ip", "link", "add", ta, "type", "veth", "peer", "name", tb])
            run(["ip", "link", "set", ta, "netns", self.ns[a], "name", an])
            run(["ip", "link", "set", tb, "netns", self.ns[b], "name", bn])
        for who in self.ns:
            self.ns_run(who, "ip", "link", "set", "lo", "up")

        # host: SLAAC with temporary addresses that regenerate every ~20 s.
        self.ns_run("host", "ip", "link", "set", "h0", "address", HOST_MAC)
        for key, value in [("use_tempaddr", 2), ("accept_ra", 2), ("temp_prefered_lft", PREFERRED),
                           ("temp_valid_lft", VALID), ("max_desync_factor", 1),
                           ("accept_dad", 0), ("addr_gen_mode", 0)]:
            self.sysctl("host", "net.ipv6.conf.h0.%s" % key, value)
        self.ns_run("host", "ip", "link", "set", "h0", "up")

        # fw: the router, radvd and the firewall log.
        self.sysctl("fw", "net.ipv6.conf.all.forwarding", 1)
        for dev, addr in [("f0", FW_LAN + "/64"), ("f1", FW_WAN + "/64")]:
            self.sysctl("fw", "net.ipv6.conf.%s.accept_dad" % dev, 0)
            self.ns_run("fw", "ip", "-6", "addr", "add", addr, "dev", dev, "nodad")
            self.ns_run("fw", "ip", "link", "set", dev, "up")
        for chain_args, prefix in [(["-i", "f0", "-o", "f1"], self.prefix_out),
                                   (["-i", "f1", "-o", "f0"], self.prefix_in)]:
            r = self.ns_run("fw", "ip6tables", "-A", "FORWARD", *chain_args, "-p", "icmpv6",
                            "--icmpv6-type", "echo-request", "-j", "LOG", "--log-prefix", prefix,
                            check=False)
            if r.returncode != 0:
                skip("ip6tables LOG unavailable: " + r.stderr.strip())

        # outside: the far end and the prober.
        self.sysctl("out", "net.ipv6.conf.o0.accept_dad", 0)
        self.ns_run("out", "ip", "-6", "addr", "add", OUTSIDE + "/64", "dev", "o0", "nodad")
        self.ns_run("out", "ip", "link", "set", "o0", "up")
        self.ns_run("out", "ip", "-6", "route", "add", "default", "via", FW_WAN)

        conf = os.path.join(self.tmp, "radvd.conf")
        with open(conf, "w") as f:
            f.write("interface f0 {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n"
                    "  MaxRtrAdvInterval 4;\n  prefix %s {\n    AdvOnLink on;\n"
                    "    AdvAutonomous on;\n  };\n};\n" % LAN)
        self.radvd = subprocess.Popen(
            ["ip", "netns", "exec", self.ns["fw"], shutil.which("radvd"), "-n", "-C", conf,
             "-p", os.path.join(self.tmp, "radvd.pid"), "-m", "stderr"],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.tmp, "radvd.log"), "w"))

    def host_addrs(self):
        """(temporary addresses, stable global addresses) of the host now."""
        out = self.ns_run("host", "ip", "-6", "-j", "addr", "show", "dev", "h0").stdout
        temps, stable = set(), set()
        for link in json.loads(out or "[]"):
            for a in link.get("addr_info", []):
                if a.get("scope") != "global":
                    continue
                (temps if a.get("temporary") else stable).add(a["local"])
        return temps, stable

    def cleanup(self):
        if self.radvd and self.radvd.poll() is None:
            self.radvd.terminate()
            try:
                self.radvd.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.radvd.kill()
        for name in self.made:
            run(["ip", "netns", "del", name], check=False)
        if self.old_log_all is not None:
            run(["sysctl", "-q", "-w", "net.netfilter.nf_log_all_netns=%s" % self.old_log_all],
                check=False)
        shutil.rmtree(self.tmp, ignore_errors=True)


def read_kmsg(fd, wanted):
    """Every record now in the kernel ring after fd's position that carries one
    of the wanted prefixes."""
    out = []
    while True:
        try:
            rec = os.read(fd, 8192)
        except BlockingIOError:
            break
        except OSError:  # EPIPE: records overwritten while reading; go on
            continue
        text = rec.decode("utf-8", "replace").split("\n", 1)[0]
        if any(p in text for p in wanted):
            out.append(text)
    return out


def boot_time():
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("btime "):
                return int(line.split()[1])
    return 0


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    driver = sys.argv[1]
    if os.geteuid() != 0:
        skip("needs root (network namespaces, ip6tables, /dev/kmsg)")
    for tool in ("ip", "ip6tables", "radvd", "ping", "sysctl"):
        if not shutil.which(tool):
            skip("%s is not installed" % tool)
    try:
        kmsg = os.open("/dev/kmsg", os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        skip("cannot read /dev/kmsg: %s" % e)
    os.lseek(kmsg, 0, os.SEEK_END)

    lab = Lab()
    try:
        r = run(["sysctl", "-n", "net.netfilter.nf_log_all_netns"], check=False)
        if r.returncode != 0:
            skip("no net.netfilter.nf_log_all_netns (kernel LOG from namespaces)")
        lab.old_log_all = r.stdout.strip()
        run(["sysctl", "-q", "-w", "net.netfilter.nf_log_all_netns=1"])
        lab.setup()
        return experiment(lab, kmsg, driver)
    finally:
        lab.cleanup()
        os.close(kmsg)


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
        lab.ns_run("host", "ping", "-6", "-c", "1", "-W", "1", OUTSIDE, check=False)
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
        lab.ns_run("out", "ping", "-6", "-c", "1", "-W", "1", a, check=False)
    time.sleep(1)
    lines = read_kmsg(kmsg, [lab.prefix_out, lab.prefix_in])
    if not lines:
        skip("the kernel wrote no LOG lines for the namespaces")

    p = subprocess.run([driver, "--prefix", LAN, "--preferred", str(PREFERRED), "--valid",
                        str(VALID), "--boot-time", str(boot_time())],
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

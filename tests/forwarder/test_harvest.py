#!/usr/bin/python3
"""Harvester correlation end to end: ip6tables lines in, ipv6probe:suspect
records out of ipv6probe-forward.

A host on 2001:db8:1:1::/64 rotates temporary addresses daily (as RFC 8981
hosts do).  Each of them queries an NTP server and a web site; the host's
stable EUI-64 address visits the web site too.  Days later a scanner probes
the temporary addresses.  The NTP server, which only the probed temporary
addresses talked to, must rank above the web site.

usage: forward_harvest.py FORWARDER
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import time

BASE = 1795000000  # a fixed day; stamps are RFC 3339 so no year is inferred
NTP, WEB, SCANNER = "3fff:100::123", "3fff:200::80", "3fff:900::66"
STABLE = "2001:db8:1:1:211:22ff:fe33:4455"


def full(addr):
    import ipaddress
    return ipaddress.IPv6Address(addr).exploded


def stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))


def line(t, prefix, inb, src, dst, proto):
    where = "IN=eth0 OUT=" if inb else "IN= OUT=eth0"
    return (f"{stamp(t)} gw1 kernel: {prefix} {where} SRC={full(src)} DST={full(dst)} "
            f"LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0 {proto} ")


def udp(sport, dport):
    return f"PROTO=UDP SPT={sport} DPT={dport} LEN=56"


def syn(sport, dport):
    return f"PROTO=TCP SPT={sport} DPT={dport} WINDOW=64800 RES=0x00 SYN URGP=0"


def main():
    fwd = sys.argv[1]
    rnd = random.Random(7)
    temps = []
    lines = []
    for day in range(6):
        iid = ":".join("%x" % rnd.randrange(0x1000, 0xffff) for _ in range(4))
        a = f"2001:db8:1:1:{iid}"
        temps.append(a)
        t0 = BASE + day * 86400
        for h in range(0, 8):  # active for eight hours, then replaced
            t = t0 + h * 3600
            lines.append(line(t, "OUT-ALLOW:", False, a, NTP, udp(40000 + h, 123)))
            lines.append(line(t + 60, "OUT-ALLOW:", False, a, WEB, syn(50000 + h, 443)))
            lines.append(line(t + 120, "OUT-ALLOW:", False, STABLE, WEB, syn(51000 + h, 443)))
    probe_t = BASE + 8 * 86400
    probed = temps[:4]
    for i, a in enumerate(probed):
        lines.append(line(probe_t + i * 10, "IN-DROP:", True, SCANNER, a, syn(44444, 22)))
    with tempfile.TemporaryDirectory() as tmp:
        log = os.path.join(tmp, "fw.log")
        with open(log, "w") as f:
            f.write("\n".join(lines) + "\n")
        cfg = os.path.join(tmp, "forward.yaml")
        with open(cfg, "w") as f:
            f.write("internal_prefixes:\n  - 2001:db8:1:1::/64\n")
        r = subprocess.run([fwd, "-c", cfg, "--stdout", log], capture_output=True, text=True,
                           timeout=60)
    if r.returncode != 0:
        print("forwarder failed:", r.stderr)
        return 1
    events, suspects = [], []
    for ln in r.stdout.splitlines():
        o = json.loads(ln)
        if o.get("sourcetype") == "ipv6probe:suspect":
            suspects.append(o["event"])
        elif "sourcetype" not in o:
            events.append(o)
    problems = []
    probes = [e for e in events if e.get("src") == SCANNER]
    if len(probes) != len(probed):
        problems.append(f"{len(probes)} probe events, expected {len(probed)}")
    for e in probes:
        if e.get("dest_pe") is not True:
            problems.append(f"probe of {e.get('dest')} not tagged dest_pe: {e}")
    stable = [e for e in events if e.get("src") == STABLE]
    if any(e.get("src_pe") for e in stable):
        problems.append("the EUI-64 address was called temporary")
    last = {}
    for s in suspects:
        last[s["suspect"]] = s
    ntp, web = last.get(NTP), last.get(WEB)
    if not ntp or not web:
        problems.append(f"suspects: {sorted(last)}; expected {NTP} and {WEB}")
    else:
        if ntp["probed_targets"] != len(probed) or web["probed_targets"] != len(probed):
            problems.append(f"support: ntp {ntp['probed_targets']}, web {web['probed_targets']}")
        if ntp["never_probed_contacts"] != 2 or web["never_probed_contacts"] != 3:
            # NTP: two unprobed temporaries; web: the same two plus the stable one
            problems.append(f"never-probed: ntp {ntp['never_probed_contacts']}, "
                            f"web {web['never_probed_contacts']}")
        if not ntp["score"] > web["score"]:
            problems.append(f"ntp score {ntp['score']} not above web {web['score']}")
        if ntp["first_probe"] != probe_t + 30 or ntp.get("dvc") != "gw1":
            problems.append(f"record fields: {ntp}")
    for p in problems:
        print("FAIL:", p)
    print(f"{len(events)} events, {len(suspects)} suspect records, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

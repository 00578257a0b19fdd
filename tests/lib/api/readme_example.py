#!/usr/bin/env python3
"""The README's library example compiles as written against the built
library and does what it says: JSON for a firewall line, the reason for a
malformed one, and a ladder record for a hop-limit ladder.

usage: readme_example.py README.md SRC_INCLUDE BUILD_LIBDIR -- CC [ARGS...]"""
import json
import os
import re
import subprocess
import sys
import tempfile

LINE = ("Jun  7 10:20:30 gw kernel: [DROP-IN] IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:86:dd "
        "SRC=2001:db8:5::1 DST=2001:db8:1::10 LEN=104 TC=0 HOPLIMIT=57 FLOWLBL=12345 "
        "PROTO=ICMPv6 TYPE=128 CODE=0 ID=42 SEQ=7\n")
MALFORMED = ("Jun  7 10:20:31 gw kernel: [DROP-IN] IN=eth0 OUT= SRC=2001:db8::zz "
             "DST=2001:db8:1::10 LEN=104 TC=0 HOPLIMIT=57 FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0\n")

# Echo requests from one source to one destination, hop limit 1, 2, 3, 4 a
# second apart: a ladder, reported when the input ends.
LADDER = "".join(
    f"Jun  7 10:21:0{h} gw kernel: [DROP-IN] IN=eth0 OUT= SRC=2001:db8:7::1 DST=2001:db8:1::20 "
    f"LEN=104 TC=0 HOPLIMIT={h} FLOWLBL=0 PROTO=ICMPv6 TYPE=128 CODE=0 ID=9 SEQ={h}\n"
    for h in range(1, 5))


def example(readme):
    text = open(readme, encoding="utf-8").read()
    section = text.split("\n## The library\n", 1)
    if len(section) != 2:
        sys.exit("README.md has no '## The library' section")
    body = section[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```c\n(.*?)```", body, flags=re.S)
    if not blocks:
        sys.exit("the library section has no ```c block")
    return blocks[0]


def main():
    sep = sys.argv.index("--")
    readme, include, libdir = sys.argv[1:4]
    cc = sys.argv[sep + 1:]
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "example.c")
        exe = os.path.join(tmp, "example")
        with open(src, "w", encoding="utf-8") as f:
            f.write(example(readme))
        cmd = cc + ["-std=c11", "-Wall", "-Wextra", "-Werror", "-I" + include, "-I" + libdir,
                    src, "-o", exe, "-L" + libdir, "-lipv6probe", "-Wl,-rpath," + libdir]
        build = subprocess.run(cmd, capture_output=True, text=True)
        if build.returncode != 0:
            print(" ".join(cmd))
            print(build.stdout + build.stderr)
            print("FAIL: the README example does not compile")
            return 1
        run = subprocess.run([exe], input=LINE + MALFORMED + LADDER, capture_output=True, text=True,
                             timeout=60)
    if run.returncode != 0:
        print(run.stdout + run.stderr)
        print(f"FAIL: the example exited {run.returncode}")
        return 1
    lines = run.stdout.splitlines()
    out = [ln for ln in lines if ln.startswith("{")]
    records = [ln for ln in lines if not ln.startswith("{")]
    if len(out) != 5:
        print(run.stdout)
        print(f"FAIL: {len(out)} events for five firewall lines")
        return 1
    ladders = [r for r in records if r.startswith("ipv6probe:ladder {")]
    if len(ladders) != 1 or json.loads(ladders[0].split(" ", 1)[1]).get("rungs") != 4:
        print(run.stdout)
        print("FAIL: not one ladder record of four rungs")
        return 1
    if not all("hop_ladder" in json.loads(e).get("tags", []) for e in out[-2:]):
        print(run.stdout)
        print("FAIL: the ladder's last probes are not tagged hop_ladder")
        return 1
    ev = json.loads(out[0])
    want = {"schema": 1, "vendor_product": "linux:iptables", "action": "blocked",
            "src": "2001:db8:5::1", "dest": "2001:db8:1::10", "transport": "icmpv6",
            "icmp_type": 128, "icmp_id": 42, "icmp_seq": 7, "hop_limit": 57,
            "src_block": "documentation", "dest_block": "documentation"}
    wrong = {k: ev.get(k) for k, v in want.items() if ev.get(k) != v}
    if wrong:
        print(out[0])
        print(f"FAIL: fields differ from {want}: {wrong}")
        return 1
    if not re.search(r"^byte \d+: address is not a valid address$", run.stderr, flags=re.M):
        print(run.stderr)
        print("FAIL: no reason reported for the malformed line")
        return 1
    print("README example: compiled; events with the expected fields, one reason, one ladder")
    return 0


if __name__ == "__main__":
    sys.exit(main())

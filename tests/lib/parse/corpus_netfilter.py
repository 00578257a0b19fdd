#!/usr/bin/python3
"""Every IPv6 netfilter LOG line in the shared sample corpus parses, with src
and dest in RFC 5952 form.

The corpus holds other projects' test lines and is not part of this
repository; when it is absent the test skips and says so.

usage: corpus_netfilter.py FORWARDER CORPUS_DIR
"""
import ipaddress
import json
import os
import re
import subprocess
import sys

SKIP = 77
ADDR = re.compile(r"(?:^|\s|\])IN=\S*\s.*?\bSRC=([0-9A-Fa-f:]+)\s+DST=([0-9A-Fa-f:]+)\s")


def main():
    forwarder, corpus = sys.argv[1], sys.argv[2]
    if not os.path.isdir(corpus):
        print(f"SKIP: no shared corpus at {corpus}")
        return SKIP
    files = sorted(f for f in os.listdir(corpus) if f.startswith("iptables."))
    if not files:
        print(f"SKIP: no iptables.* files in {corpus}")
        return SKIP
    failures = 0
    checked = 0
    for name in files:
        path = os.path.join(corpus, name)
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            lines = f.read().splitlines()
        for lineno, line in enumerate(lines, 1):
            m = ADDR.search(line)
            if not m or ":" not in m.group(1):
                continue  # not an IPv6 firewall line
            checked += 1
            out = subprocess.run([forwarder, "--stdout", "--unparsed=raw", "-"],
                                 input=line + "\n", capture_output=True, text=True)
            rows = [json.loads(x) for x in out.stdout.splitlines() if x.strip()]
            if len(rows) != 1 or "unparsed" in rows[0]:
                print(f"FAIL {name}:{lineno}: not parsed: {out.stdout.strip()}")
                failures += 1
                continue
            ev = rows[0]
            want_src = ipaddress.IPv6Address(m.group(1)).compressed
            want_dst = ipaddress.IPv6Address(m.group(2)).compressed
            if ev.get("src") != want_src or ev.get("dest") != want_dst:
                print(f"FAIL {name}:{lineno}: src/dest {ev.get('src')} {ev.get('dest')}, "
                      f"expected {want_src} {want_dst}")
                failures += 1
            if ev.get("protocol_version") != 6:
                print(f"FAIL {name}:{lineno}: protocol_version {ev.get('protocol_version')}")
                failures += 1
    if checked == 0:
        print("SKIP: the corpus holds no IPv6 netfilter lines")
        return SKIP
    print(f"{checked} IPv6 netfilter lines checked, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

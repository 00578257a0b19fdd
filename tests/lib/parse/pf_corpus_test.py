#!/usr/bin/python3
"""The pf lines of the shared corpus (../shared/corpus) through the forwarder.

Every filterlog record must become an event; every IPv6 line (filterlog or
pflog) must, with src and dest in RFC 5952 form equal to the addresses in the
line.  Usage: pf_corpus_test.py FORWARDER CORPUS_DIR.  Exit 77 when the corpus
directory is absent.
"""
import glob
import ipaddress
import json
import os
import re
import subprocess
import sys

fwd, corpus = sys.argv[1], sys.argv[2]
if not os.path.isdir(corpus):
    print(f"SKIP: corpus directory {corpus} is absent")
    sys.exit(77)
files = sorted(glob.glob(os.path.join(corpus, "*filterlog*.log")) +
               glob.glob(os.path.join(corpus, "pflog*.log")))
if not files:
    print(f"SKIP: no pflog/filterlog files in {corpus}")
    sys.exit(77)

failures, n_v6, n_fl = [], 0, 0
for path in files:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        lines = [ln.rstrip("\n") for ln in f if ln.strip()]
    res = subprocess.run([fwd, "--stdout", "--unparsed=raw", "-"], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, errors="surrogateescape")
    outs = [json.loads(x) for x in res.stdout.splitlines()]
    if res.returncode != 0 or len(outs) != len(lines):
        failures.append(f"{path}: exit {res.returncode}, {len(outs)} outputs for {len(lines)} lines")
        continue
    for no, (ln, ev) in enumerate(zip(lines, outs), 1):
        where = f"{os.path.basename(path)}:{no}"
        m = re.search(r"filterlog(?:\[\d+\])?:? (?:\d+ - (?:\[[^\]]*\]|-) )?(.*)$", ln)
        v6 = None
        if m:
            n_fl += 1
            fields = m.group(1).split(",")
            if "unparsed" in ev:
                failures.append(f"{where}: filterlog record not parsed: {ev['reason']}")
                continue
            if ev.get("vendor_product") != "pf:filterlog":
                failures.append(f"{where}: vendor_product {ev.get('vendor_product')}")
            if len(fields) > 16 and fields[8] == "6":
                v6 = (fields[15], fields[16])
        elif " rule " in ln or ln.startswith("rule "):
            am = re.search(r": (?:\([^)]*\) )?([0-9a-fA-F:.]+?)(?:\.\d+)? > ([0-9a-fA-F:.]+?)(?:\.\d+)?: ", ln)
            if am and ":" in am.group(1):
                v6 = (am.group(1), am.group(2))
        if v6:
            n_v6 += 1
            if "unparsed" in ev:
                failures.append(f"{where}: IPv6 line not parsed: {ev['reason']}")
                continue
            want = tuple(ipaddress.IPv6Address(a).compressed for a in v6)
            if (ev.get("src"), ev.get("dest")) != want or ev.get("protocol_version") != 6:
                failures.append(f"{where}: src/dest {ev.get('src')}/{ev.get('dest')}, want {want}")

for f in failures:
    print("FAIL", f)
if failures:
    sys.exit(1)
print(f"ok: {n_fl} filterlog records, {n_v6} IPv6 lines in {len(files)} files")

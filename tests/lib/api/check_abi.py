#!/usr/bin/env python3
"""The built shared library against its ABI baseline (libipv6probe/abi/,
written by scripts/abi-baseline.sh).

- abidiff must find no incompatible change (exit bit 8), no removed function
  or variable and no changed one beyond what abi/suppressions.abignore
  allows (members appended to size-tagged structs; the event's layout,
  checked below instead).  Added functions are fine.
- Every public struct of the baseline keeps the place and size of each of
  its members, but for a reserved tail (reserved_: the event, the parse
  result, the address analysis), which gives room to new members.
  Size-tagged structs (configs, options, stats) may grow at the end; every
  other struct keeps its size.

usage: check_abi.py ABIDIFF|'' ABIDW LIBRARY.so ABI_DIR INCLUDE_DIR VERSION_H"""
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

PUBLIC_HEADERS = None  # set in main: the file names of the public headers
SIZE_TAGGED = re.compile(r"^v6p_[a-z_]+_(config|options|stats)$")

SKIP = 77
ABIDIFF_ERROR, ABIDIFF_USAGE, ABIDIFF_CHANGE, ABIDIFF_INCOMPATIBLE = 1, 2, 4, 8


def soname(lib):
    out = subprocess.run(["readelf", "-d", lib], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"Library soname: \[(.*?)\]", out)
    return m.group(1) if m else None


def counts(report, what):
    """(removed, changed, added) from abidiff's summary line for `what`."""
    m = re.search(rf"{what} changes summary: (\d+) Removed, (\d+) Changed[^,]*, (\d+) Added",
                  report)
    return tuple(int(x) for x in m.groups()) if m else None


def layouts(abi_xml):
    """{struct name: (size in bits, [(member, offset, size in bits, type)])}
    for the structs the public headers define."""
    root = ET.parse(abi_xml).getroot()
    by_id = {e.get("id"): e for e in root.iter() if e.get("id")}

    def size_and_name(tid, depth=0):
        e = by_id.get(tid)
        if e is None or depth > 20:
            return 0, "?"
        if e.get("size-in-bits"):
            return int(e.get("size-in-bits")), e.get("name") or e.tag
        if e.tag in ("typedef-decl", "qualified-type-def"):
            size, _ = size_and_name(e.get("type-id"), depth + 1)
            return size, e.get("name") or e.tag
        if e.tag == "enum-decl":
            under = e.find("underlying-type")
            return (size_and_name(under.get("type-id"), depth + 1)[0] if under is not None
                    else 0), e.get("name")
        return 0, e.get("name") or e.tag

    out = {}
    for c in root.iter("class-decl"):
        name = c.get("name", "")
        if (not name.startswith("v6p_") or c.get("is-declaration-only") == "yes"
                or os.path.basename(c.get("filepath", "")) not in PUBLIC_HEADERS):
            continue
        members = []
        for dm in c.findall("data-member"):
            v = dm.find("var-decl")
            size, tname = size_and_name(v.get("type-id"))
            members.append((v.get("name"), int(dm.get("layout-offset-in-bits")), size, tname))
        out[name] = (int(c.get("size-in-bits", "0")), members)
    return out


def layout_problems(old, new):
    problems = []
    for name, (size, members) in sorted(old.items()):
        if name not in new:
            problems.append(f"struct {name} is gone")
            continue
        nsize, nmembers = new[name]
        now = {m[0]: m for m in nmembers}
        for m in members:
            if m[0] == "reserved_":  # new members are taken from it
                continue
            if now.get(m[0]) != m:
                problems.append(f"struct {name}: member {m[0]} (offset {m[1]}, {m[2]} bits, "
                                f"{m[3]}) is now {now.get(m[0])}")
        if SIZE_TAGGED.match(name):
            if nsize < size:
                problems.append(f"struct {name} shrank from {size} to {nsize} bits")
        elif nsize != size:
            problems.append(f"struct {name} changed size from {size} to {nsize} bits")
    return problems


def main():
    global PUBLIC_HEADERS
    abidiff, abidw, lib, abi_dir, include_dir, version_h = sys.argv[1:7]
    if not abidiff or not abidw:
        print("SKIP: abidiff/abidw not installed (apt install abigail-tools)")
        return SKIP
    PUBLIC_HEADERS = set(os.listdir(include_dir)) | {"version.h"}
    name = soname(lib)
    baseline = os.path.join(abi_dir, f"{name}.abi")
    if not os.path.exists(baseline):
        print(f"FAIL: no ABI baseline for {name}: run scripts/abi-baseline.sh after the soname "
              f"moved")
        return 1
    cmd = [abidiff, "--suppressions", os.path.join(abi_dir, "suppressions.abignore"),
           "--drop-private-types", "--hd2", include_dir, "--hf2", version_h, baseline, lib]
    run = subprocess.run(cmd, capture_output=True, text=True)
    report = run.stdout + run.stderr
    rc = run.returncode
    fn, var = counts(report, "Functions"), counts(report, "Variables")
    problems = []
    if rc & (ABIDIFF_ERROR | ABIDIFF_USAGE) or (rc and (fn is None or var is None)):
        problems.append(f"abidiff could not compare (exit {rc})")
    if rc & ABIDIFF_INCOMPATIBLE:
        problems.append("abidiff reports an incompatible change")
    if fn and fn[0] or var and var[0]:
        problems.append(f"removed: {fn[0]} functions, {var[0]} variables")
    if fn and fn[1] or var and var[1]:
        problems.append(f"changed: {fn[1]} functions, {var[1]} variables")
    print(" ".join(cmd))
    print(report)
    with tempfile.TemporaryDirectory() as tmp:
        now = os.path.join(tmp, "now.abi")
        subprocess.run([abidw, "--no-corpus-path", "--no-comp-dir-path", "--short-locs",
                        "--drop-private-types", "--headers-dir", include_dir, "--header-file",
                        version_h, "--out-file", now, lib], check=True)
        old_layout, new_layout = layouts(baseline), layouts(now)
    if "v6p_event" not in old_layout:
        problems.append("the baseline has no struct v6p_event: not a dump of this library")
    problems += layout_problems(old_layout, new_layout)
    if problems:
        print(f"FAIL: {lib} breaks the ABI of {name}: " + "; ".join(problems))
        print("An incompatible change needs a new soname (the major version in meson.build) "
              "and a new baseline (scripts/abi-baseline.sh).")
        return 1
    added = (fn[2] if fn else 0) + (var[2] if var else 0)
    print(f"{name}: compatible with its baseline ({added} added); {len(old_layout)} public "
          f"structs keep their layout")
    return 0


if __name__ == "__main__":
    sys.exit(main())

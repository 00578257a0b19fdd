#!/usr/bin/env python3
"""The shared library exports exactly the functions the public headers mark
V6P_API: nothing internal leaks out, and nothing declared is missing.

usage: check_exports.py LIBRARY.so INCLUDE_DIR [NM]"""
import pathlib
import re
import subprocess
import sys


def declared(include_dir):
    """Names of the functions declared V6P_API in every public header, and
    the prototypes declared without it."""
    names, unmarked = {}, []
    headers = sorted(pathlib.Path(include_dir).glob("*.h")) + sorted(
        pathlib.Path(include_dir).glob("*.h.in"))
    for h in headers:
        text = h.read_text()
        # Comments and preprocessor lines may mention V6P_API without
        # declaring anything.
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        text = re.sub(r"^\s*#[^\n]*", " ", text, flags=re.M)
        # One statement at a time: a prototype is a statement whose first
        # parenthesis follows a v6p_ name, however its lines are broken.
        for stmt in re.split(r"[;{}]", text):
            m = re.match(r"\s*([^()]*?)\b(v6p_\w+)\s*\(", stmt)
            if not m:
                continue
            head = m.group(1)
            if re.search(r"\bV6P_API\b", head):
                names[m.group(2)] = h.name
            elif not re.search(r"\b(static|typedef|return)\b", head) and head.strip():
                # A prototype without the marker: neither exported nor seen.
                unmarked.append(f"{h.name}: {m.group(2)}")
    return names, unmarked


def exported(lib, nm):
    out = subprocess.run([nm, "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        kind, name = parts[1], parts[2]
        if kind == "A":  # the version node (IPV6PROBE_0), not a symbol
            continue
        names.add(name.split("@")[0])
    return names


def main():
    lib, include_dir = sys.argv[1], sys.argv[2]
    nm = sys.argv[3] if len(sys.argv) > 3 else "nm"
    want, unmarked = declared(include_dir)
    have = exported(lib, nm)
    if not want:
        print("no V6P_API declarations found under", include_dir)
        return 1
    extra = sorted(have - set(want))
    missing = sorted(set(want) - have)
    for name in extra:
        print(f"exported but not declared V6P_API in a public header: {name}")
    for name in missing:
        print(f"declared V6P_API in {want[name]} but not exported: {name}")
    for decl in unmarked:
        print(f"declared without V6P_API: {decl}")
    if extra or missing or unmarked:
        return 1
    print(f"{len(have)} exported symbols, each declared V6P_API in a public header")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Every public header compiles on its own (it includes what it uses), and
the umbrella header ipv6probe.h includes every one of them.

usage: check_headers.py INCLUDE_DIR VERSION_H_DIR -- CC [ARGS...]"""
import os
import re
import subprocess
import sys


def main():
    sep = sys.argv.index("--")
    include, version_dir = sys.argv[1:3]
    cc = sys.argv[sep + 1:]
    hdir = os.path.join(include, "ipv6probe")
    headers = sorted(h for h in os.listdir(hdir) if h.endswith(".h")) + ["version.h"]
    failed = []
    for h in headers:
        # version.h is generated into the build's libipv6probe/, not beside
        # the others (installed, it is).
        inc = "version.h" if h == "version.h" else f"ipv6probe/{h}"
        src = f"#include <{inc}>\nint main(void) {{ return 0; }}\n"
        run = subprocess.run(cc + ["-std=c11", "-Wall", "-Wextra", "-Werror", "-fsyntax-only",
                                   "-I" + include, "-I" + version_dir, "-x", "c", "-"],
                             input=src, capture_output=True, text=True)
        if run.returncode != 0:
            failed.append(h)
            print(f"{h} does not compile on its own:\n{run.stderr}")
    umbrella = open(os.path.join(hdir, "ipv6probe.h"), encoding="utf-8").read()
    included = set(re.findall(r'#include "([^"]+)"', umbrella))
    missing = sorted(set(headers) - included - {"ipv6probe.h"})
    if missing:
        print(f"ipv6probe.h does not include: {', '.join(missing)}")
    if failed or missing:
        return 1
    print(f"{len(headers)} public headers compile on their own; ipv6probe.h includes them all")
    return 0


if __name__ == "__main__":
    sys.exit(main())

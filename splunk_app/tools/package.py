#!/usr/bin/env python3
"""Build the installable Splunk app archive ipv6probe-<version>.tgz.

The archive is what Splunk's "Install app from file" and AppInspect expect:
  * one top-level directory named like the app id (ipv6probe/);
  * the lookup CSV freshly generated from the classification YAML;
  * README.md at the top of the app (from splunk_app/README.md);
  * no local/, no metadata/local.meta, no hidden files, no *.pyc/__pycache__;
  * directories 0755, files 0644, owner root/root, stable order and mtimes
    (SOURCE_DATE_EPOCH is honoured), so the same tree gives the same archive.

Usage:
  package.py [--version V] [--yaml PATH] [--output FILE | --outdir DIR]
The version defaults to the project version in the top-level meson.build.
"""

import argparse
import gzip
import io
import os
import re
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import yaml_to_csv  # noqa: E402

SPLUNK_APP_DIR = os.path.dirname(HERE)
ROOT = os.path.dirname(SPLUNK_APP_DIR)
APP_ID = "ipv6probe"
LOOKUP = "lookups/ipv6probe_classification.csv"
README = os.path.join(SPLUNK_APP_DIR, "README.md")
EXCLUDE_DIRS = {"local", "__pycache__", "users"}
EXCLUDE_FILES = {"local.meta", "passwords.conf"}


def project_version(root=ROOT):
    with open(os.path.join(root, "meson.build"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"\bproject\s*\(.*?\bversion\s*:\s*'([^']+)'", text, re.S)
    if not m:
        raise SystemExit("package.py: no version: in meson.build project()")
    return m.group(1)


def _app_version(app_dir):
    with open(os.path.join(app_dir, "default", "app.conf"), encoding="utf-8") as f:
        text = f.read()
    versions = re.findall(r"^\s*version\s*=\s*(\S+)\s*$", text, re.M)
    return set(versions)


def collect(app_dir):
    """Relative paths (dirs and files) that go into the archive, sorted."""
    out = []
    for dirpath, dirnames, filenames in os.walk(app_dir):
        dirnames[:] = sorted(d for d in dirnames
                             if d not in EXCLUDE_DIRS and not d.startswith("."))
        rel = os.path.relpath(dirpath, app_dir)
        if rel != ".":
            out.append((rel, True))
        for fn in sorted(filenames):
            if fn.startswith(".") or fn in EXCLUDE_FILES or fn.endswith((".pyc", ".pyo", "~")):
                continue
            out.append((os.path.normpath(os.path.join(rel, fn)), False))
    return out


def build(version, yaml_path, output, app_dir=None):
    app_dir = app_dir or os.path.join(SPLUNK_APP_DIR, APP_ID)
    have = _app_version(app_dir)
    if have != {version}:
        raise SystemExit(f"package.py: app.conf versions {sorted(have)} != project {version}")
    with open(yaml_path, encoding="utf-8") as f:
        csv_text = yaml_to_csv.convert(f.read(), yaml_path)
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "1700000000"))

    def info(name, is_dir, size=0):
        ti = tarfile.TarInfo(f"{APP_ID}/{name}" if name else APP_ID)
        ti.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
        ti.mode = 0o755 if is_dir else 0o644
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        ti.mtime = mtime
        ti.size = size
        return ti

    entries = collect(app_dir)
    names = {n for n, _ in entries}
    if "lookups" not in names:
        entries.append(("lookups", True))
    entries = [e for e in entries if e[0] != LOOKUP] + [(LOOKUP, False)]
    if "README.md" not in names and os.path.exists(README):
        entries.append(("README.md", False))
    entries.sort(key=lambda e: e[0])
    tmp = output + ".tmp"
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
                tar.addfile(info("", True))
                for rel, is_dir in entries:
                    if is_dir:
                        tar.addfile(info(rel, True))
                        continue
                    if rel == LOOKUP:
                        data = csv_text.encode("utf-8")
                    elif rel == "README.md" and "README.md" not in names:
                        with open(README, "rb") as f:
                            data = f.read()
                    else:
                        with open(os.path.join(app_dir, rel), "rb") as f:
                            data = f.read()
                    tar.addfile(info(rel, False, len(data)), io.BytesIO(data))
    os.chmod(tmp, 0o644)
    os.replace(tmp, output)
    return output


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--version")
    ap.add_argument("--yaml", default=os.path.join(ROOT, "libipv6probe", "data",
                                                   "classification.yaml"))
    g = ap.add_mutually_exclusive_group()
    g.add_argument("--output")
    g.add_argument("--outdir", default=".")
    a = ap.parse_args(argv)
    version = a.version or project_version()
    out = a.output or os.path.join(a.outdir, f"{APP_ID}-{version}.tgz")
    try:
        build(version, a.yaml, out)
    except yaml_to_csv.TableError as exc:
        sys.stderr.write(f"package.py: {exc}\n")
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

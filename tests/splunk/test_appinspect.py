#!/usr/bin/env python3
"""The AppInspect failures listed in the project's Splunk notes cannot happen.

Checked on the app tree and on the packaged ipv6probe-<version>.tgz:
no local/, no metadata/local.meta, no users/, no passwords.conf or other
deny-listed conf files, no spaces in file names, no hidden files or *.pyc, no
executable files, valid app id and [package] id equal to the folder name,
Major.Minor.Revision versions equal to the project version, dashboards at
version 1.1 (Simple XML) or 2 (Dashboard Studio), a README, no credentials, every lookup and transform referenced
exists, and the archive extracts to one directory with sane permissions.
"""

import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splunkcheck as sc  # noqa: E402

PACKAGER = os.path.join(sc.TOOLS_DIR, "package.py")
DENY_CONF = {"passwords.conf", "outputs.conf", "user-seed.conf", "server.conf",
             "authentication.conf", "authorize.conf", "web.conf", "deploymentclient.conf"}
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"COM{i}" for i in range(1, 10)} | \
    {f"LPT{i}" for i in range(1, 10)}
VERSION_RE = re.compile(r"^\d+\.\d+\.\d+([-+][0-9A-Za-z.\-]+)?$")
SECRET_RES = [re.compile(p, re.I) for p in (
    r"^\s*password\s*=", r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b",
    r"Authorization:\s*Splunk", r"^\s*token\s*=\s*\S")]


def tree_problems(files):
    """files: iterable of (relative path inside the app, mode, data bytes or None)."""
    errors = []
    for rel, mode, data in files:
        parts = rel.split("/")
        if parts[0] == "local" or "local" in parts[:-1]:
            errors.append(f"{rel}: local/ must not ship")
        if rel == "metadata/local.meta":
            errors.append(f"{rel}: local.meta must not ship")
        if parts[0] == "users":
            errors.append(f"{rel}: users/ must not ship")
        if parts[-1] in DENY_CONF:
            errors.append(f"{rel}: deny-listed conf file")
        if " " in rel:
            errors.append(f"{rel}: space in file name")
        if any(p.startswith(".") for p in parts):
            errors.append(f"{rel}: hidden file")
        if rel.endswith((".pyc", ".pyo")) or "__pycache__" in parts:
            errors.append(f"{rel}: compiled Python")
        if mode is not None:
            if stat.S_ISDIR(mode):
                if mode & 0o700 != 0o700 or mode & 0o022:
                    errors.append(f"{rel}/: directory mode {oct(mode & 0o7777)}")
            else:
                if mode & 0o600 != 0o600 or mode & 0o022:
                    errors.append(f"{rel}: file mode {oct(mode & 0o7777)}")
                if mode & 0o111:
                    errors.append(f"{rel}: executable file")
        if data is not None and rel.endswith((".conf", ".meta", ".xml", ".csv", ".md")):
            text = data.decode("utf-8", "replace")
            for rx in SECRET_RES:
                for line in text.splitlines():
                    if rx.search(line):
                        errors.append(f"{rel}: looks like a credential: {line.strip()[:60]!r}")
            if data[:1] and b"\0" in data:
                errors.append(f"{rel}: binary content")
        if data is not None and rel.startswith("default/data/ui/views/"):
            try:
                root = ET.fromstring(data)
                if root.get("version") not in ("1.1", "2"):
                    errors.append(f"{rel}: dashboard version {root.get('version')!r}")
                elif (root.get("version") == "2") != (root.find("definition") is not None):
                    errors.append(f"{rel}: a Studio view (version 2) has a JSON <definition>, "
                                  "a Simple XML view (1.1) none")
            except ET.ParseError as exc:
                errors.append(f"{rel}: {exc}")
    return errors


def manifest_problems(text, app_conf):
    import json
    try:
        m = json.loads(text)
    except ValueError as exc:
        return [f"app.manifest: not JSON: {exc}"]
    errors = []
    if m.get("schemaVersion") != "2.0.0":
        errors.append(f"app.manifest: schemaVersion {m.get('schemaVersion')!r}")
    ident = m.get("info", {}).get("id", {})
    if ident.get("name") != app_conf.get("package", {}).get("id"):
        errors.append(f"app.manifest: id.name {ident.get('name')!r} is not the app id")
    if ident.get("version") != app_conf.get("id", {}).get("version"):
        errors.append(f"app.manifest: version {ident.get('version')!r} is not app.conf's")
    for k in ("supportedDeployments", "targetWorkloads"):
        if not m.get(k):
            errors.append(f"app.manifest: no {k}")
    return errors


def app_conf_problems(app_conf_text, folder, project_version):
    errors = []
    st = {s: {k: v for k, v, _ in e} for s, e, _ in sc.parse_conf_text(app_conf_text)}
    pkg = st.get("package", {}).get("id")
    if pkg != folder:
        errors.append(f"[package] id {pkg!r} != folder {folder!r}")
    if pkg:
        if not re.match(r"^[A-Za-z_][A-Za-z0-9._]*$", pkg) or pkg.endswith("."):
            errors.append(f"[package] id {pkg!r}: letters, digits, . and _ only, no leading digit")
        if pkg.upper() in WINDOWS_RESERVED:
            errors.append(f"[package] id {pkg!r} is a reserved name")
    name = st.get("id", {}).get("name")
    if name != pkg:
        errors.append(f"[id] name {name!r} != [package] id {pkg!r}")
    versions = {st.get("id", {}).get("version"), st.get("launcher", {}).get("version")}
    if len(versions) != 1 or None in versions:
        errors.append(f"[id]/[launcher] versions differ or missing: {versions}")
    for v in versions - {None}:
        if not VERSION_RE.match(v):
            errors.append(f"version {v!r} is not Major.Minor.Revision")
        if project_version and v != project_version:
            errors.append(f"app version {v} != project version {project_version}")
    desc = st.get("launcher", {}).get("description", "")
    if not desc or len(desc) > 200:
        errors.append("[launcher] description missing or longer than 200 characters")
    if st.get("package", {}).get("check_for_updates", "true").lower() not in ("false", "0"):
        errors.append("[package] check_for_updates should be false for a non-Splunkbase app")
    if not st.get("ui", {}).get("label"):
        errors.append("[ui] label missing")
    return errors


def walk_app(app_dir):
    for dirpath, dirnames, filenames in os.walk(app_dir):
        for d in dirnames:
            p = os.path.join(dirpath, d)
            yield os.path.relpath(p, app_dir).replace(os.sep, "/"), os.stat(p).st_mode, None
        for fn in filenames:
            p = os.path.join(dirpath, fn)
            with open(p, "rb") as f:
                data = f.read()
            yield os.path.relpath(p, app_dir).replace(os.sep, "/"), None, data


class SourceTree(unittest.TestCase):
    def test_tree(self):
        errors = tree_problems(walk_app(sc.APP_DIR))
        self.assertEqual(errors, [], "\n".join(errors))

    def test_tracked_modes(self):
        """Files are committed without the executable bit."""
        try:
            out = subprocess.run(["git", "ls-files", "-s", "splunk_app/ipv6probe"],
                                 cwd=sc.ROOT, capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            self.skipTest("not a git checkout")
        bad = [l for l in out.splitlines() if not l.startswith("100644 ")]
        self.assertEqual(bad, [])

    def test_app_conf(self):
        with open(os.path.join(sc.APP_DIR, "default", "app.conf"), encoding="utf-8") as f:
            text = f.read()
        pv = sc.meson_version()
        errors = app_conf_problems(text, os.path.basename(sc.APP_DIR), pv)
        self.assertEqual(errors, [], "\n".join(errors))
        if pv is None:
            self.skipTest("top-level meson.build not present: version not compared")

    def test_manifest(self):
        """app.manifest (packaging toolkit schema 2.0.0) agrees with app.conf;
        [install] build is a positive integer."""
        with open(os.path.join(sc.APP_DIR, "default", "app.conf"), encoding="utf-8") as f:
            st = {s: {k: v for k, v, _ in e} for s, e, _ in sc.parse_conf_text(f.read())}
        with open(os.path.join(sc.APP_DIR, "app.manifest"), encoding="utf-8") as f:
            text = f.read()
        self.assertEqual(manifest_problems(text, st), [])
        broken = text.replace('"version": "0.1.0"', '"version": "0.2.0"').replace(
            '"schemaVersion": "2.0.0"', '"schemaVersion": "1.0.0"')
        self.assertEqual(len(manifest_problems(broken, st)), 2)
        self.assertTrue(re.match(r"^[1-9][0-9]*$", st["install"].get("build", "")))

    def test_app_conf_checker_fails_on_bad_input(self):
        with open(os.path.join(sc.APP_DIR, "default", "app.conf"), encoding="utf-8") as f:
            good = f.read()
        for old, new in (("id = ipv6probe", "id = 1pv6probe"),
                         ("version = 0.1.0\n\n[launcher]", "version = 0.1\n\n[launcher]"),
                         ("check_for_updates = false", "check_for_updates = true")):
            self.assertIn(old, good)
            self.assertNotEqual(app_conf_problems(good.replace(old, new, 1), "ipv6probe", "0.1.0"), [])
        self.assertNotEqual(app_conf_problems(good, "ipv6probe", "9.9.9"), [])
        self.assertNotEqual(app_conf_problems(good, "other", "0.1.0"), [])

    def test_tree_checker_fails_on_bad_input(self):
        bad = [("local/app.conf", None, b""), ("metadata/local.meta", None, b""),
               ("default/my view.xml", None, b'<dashboard version="1.1"/>'),
               (".DS_Store", None, b""), ("bin/x.pyc", None, b""),
               ("default/passwords.conf", None, b""),
               ("default/inputs.conf", None, b"[http://x]\ntoken = 12345678-1234-1234-1234-123456789abc\n"),
               ("default/data/ui/views/v.xml", None, b"<dashboard><label>x</label></dashboard>"),
               ("bin/run.sh", 0o100755, None), ("lookups", 0o40777, None)]
        errs = tree_problems(bad)
        self.assertEqual(len({e.split(":")[0] for e in errs}), len(bad), "\n".join(errs))

    def test_references_resolve(self):
        props = sc.app_conf("props.conf")
        transforms = sc.app_conf("transforms.conf")
        errors = []
        used_lookups = set()
        for stanza, keys in props.items():
            for k, v in keys.items():
                if k.startswith(("REPORT-", "TRANSFORMS-")):
                    for t in [x.strip() for x in v.split(",")]:
                        if t not in transforms:
                            errors.append(f"props [{stanza}] {k}: no transform {t}")
                if k.startswith("LOOKUP-"):
                    name = v.split()[0]
                    used_lookups.add(name)
                    if name not in transforms:
                        errors.append(f"props [{stanza}] {k}: no lookup {name}")
        lookup_dir = os.path.join(sc.APP_DIR, "lookups")
        files = set(os.listdir(lookup_dir)) if os.path.isdir(lookup_dir) else set()
        referenced = set()
        for name, keys in transforms.items():
            fn = keys.get("filename")
            if fn:
                referenced.add(fn)
                if fn not in files:
                    errors.append(f"transforms [{name}]: lookups/{fn} missing")
        for fn in files - referenced:
            errors.append(f"lookups/{fn}: not referenced by transforms.conf")
        self.assertEqual(errors, [], "\n".join(errors))

    def test_default_meta(self):
        meta = sc.conf_dict(os.path.join(sc.APP_DIR, "metadata", "default.meta"))
        self.assertIn("", meta)
        self.assertRegex(meta[""]["access"], r"read\s*:\s*\[\s*\*\s*\]")
        self.assertIn("write : [ admin", meta[""]["access"])
        for obj in ("props", "transforms", "eventtypes", "tags", "lookups", "macros"):
            self.assertEqual(meta.get(obj, {}).get("export"), "system", obj)
        for st, keys in meta.items():
            if st:
                self.assertIn(st.split("/")[0], sc.META_OBJECT_TYPES, st)
            if "export" in keys:
                self.assertIn(keys["export"], ("system", "none"), st)


class Package(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(sc.YAML_FILE):
            raise unittest.SkipTest("classification.yaml not present")
        cls.version = sc.meson_version()
        cls.tmp = tempfile.mkdtemp(prefix="ipv6probe-pkg-")
        args = [sys.executable, PACKAGER, "--outdir", cls.tmp]
        if cls.version is None:
            args += ["--version", app_version()]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode != 0:
            raise AssertionError(f"package.py failed: {r.stderr}")
        cls.path = r.stdout.strip()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_name(self):
        v = self.version or app_version()
        self.assertEqual(os.path.basename(self.path), f"ipv6probe-{v}.tgz")

    def test_archive(self):
        errors = []
        files = []
        with tarfile.open(self.path, "r:gz") as tar:
            members = tar.getmembers()
            tops = {m.name.split("/")[0] for m in members}
            self.assertEqual(tops, {sc.APP_ID}, "one top-level directory named like the app")
            for m in members:
                if m.name.startswith("/") or ".." in m.name.split("/"):
                    errors.append(f"{m.name}: unsafe path")
                if not (m.isdir() or m.isfile()):
                    errors.append(f"{m.name}: not a plain file or directory")
                if m.uid != 0 or m.gid != 0:
                    errors.append(f"{m.name}: owner {m.uid}:{m.gid}")
                rel = m.name.split("/", 1)[1] if "/" in m.name else ""
                if not rel:
                    continue
                data = tar.extractfile(m).read() if m.isfile() else None
                mode = m.mode | (stat.S_IFDIR if m.isdir() else stat.S_IFREG)
                files.append((rel, mode, data))
        errors.extend(tree_problems(files))
        self.assertEqual(errors, [], "\n".join(errors))
        names = {f[0] for f in files}
        for need in ("default/app.conf", "metadata/default.meta", "README.md",
                     "default/props.conf", "default/data/ui/nav/default.xml",
                     "lookups/ipv6probe_classification.csv"):
            self.assertIn(need, names)
        # everything in the app tree is in the archive, byte for byte
        for rel, _, data in walk_app(sc.APP_DIR):
            if data is None:
                continue
            self.assertIn(rel, names)
            got = [f[2] for f in files if f[0] == rel][0]
            if rel != "lookups/ipv6probe_classification.csv":
                self.assertEqual(hashlib.sha256(got).digest(), hashlib.sha256(data).digest(), rel)
        appconf = [f[2] for f in files if f[0] == "default/app.conf"][0].decode()
        self.assertEqual(app_conf_problems(appconf, sc.APP_ID, self.version), [])

    def test_lookup_in_archive_is_generated(self):
        sys.path.insert(0, sc.TOOLS_DIR)
        import yaml_to_csv
        with open(sc.YAML_FILE, encoding="utf-8") as f:
            want = yaml_to_csv.convert(f.read()).encode()
        with tarfile.open(self.path, "r:gz") as tar:
            got = tar.extractfile("ipv6probe/lookups/ipv6probe_classification.csv").read()
        self.assertEqual(got, want)

    def test_extracts(self):
        d = os.path.join(self.tmp, "x")
        os.mkdir(d)
        with tarfile.open(self.path, "r:gz") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(d, filter="data")
            else:
                tar.extractall(d)
        self.assertEqual(os.listdir(d), [sc.APP_ID])
        self.assertTrue(os.path.isfile(os.path.join(d, sc.APP_ID, "default", "app.conf")))

    def test_reproducible(self):
        other = os.path.join(self.tmp, "again.tgz")
        args = [sys.executable, PACKAGER, "--output", other,
                "--version", self.version or app_version()]
        subprocess.run(args, check=True, capture_output=True)
        with open(self.path, "rb") as a, open(other, "rb") as b:
            self.assertEqual(a.read(), b.read())

    def test_packager_refuses_version_mismatch(self):
        r = subprocess.run([sys.executable, PACKAGER, "--version", "9.9.9",
                            "--output", os.path.join(self.tmp, "bad.tgz")],
                           capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("9.9.9", r.stderr)

    def test_packager_leaves_out_local_and_junk(self):
        sys.path.insert(0, sc.TOOLS_DIR)
        import package
        d = os.path.join(self.tmp, "app")
        shutil.copytree(sc.APP_DIR, d)
        os.makedirs(os.path.join(d, "local"))
        for p in ("local/app.conf", "metadata/local.meta", ".hidden", "default/x.pyc"):
            with open(os.path.join(d, p), "w") as f:
                f.write("x\n")
        rels = {r for r, _ in package.collect(d)}
        for p in ("local", "local/app.conf", "metadata/local.meta", ".hidden", "default/x.pyc"):
            self.assertNotIn(p, rels)
        self.assertIn("default/app.conf", rels)


def app_version():
    return sc.conf_dict(os.path.join(sc.APP_DIR, "default", "app.conf"))["launcher"]["version"]


if __name__ == "__main__":
    sc.run_tests()

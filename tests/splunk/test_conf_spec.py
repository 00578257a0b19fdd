#!/usr/bin/env python3
"""Every stanza and key in every .conf of the app is one Splunk's spec accepts.

Spec files come from SPLUNK_SPEC_DIR (meson passes ../shared/reference/splunk-spec
relative to the source root); without them the checker's own key table is used.
"""

import glob
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splunkcheck as sc  # noqa: E402


def app_conf_files():
    files = sorted(glob.glob(os.path.join(sc.APP_DIR, "default", "*.conf")))
    files.append(os.path.join(sc.APP_DIR, "metadata", "default.meta"))
    return files


class ConfSpec(unittest.TestCase):
    def test_every_conf_has_a_spec_and_conforms(self):
        files = app_conf_files()
        self.assertTrue(len(files) >= 8, files)
        errors = []
        for path in files:
            name = os.path.basename(path)
            spec = sc.load_spec(name)
            if spec is None:
                errors.append(f"{name}: no spec (neither a .spec file nor a built-in table)")
                continue
            errors.extend(sc.check_conf_against_spec(path, spec))
        self.assertEqual(errors, [], "\n".join(errors))

    def test_against_builtin_table_too(self):
        """The built-in table alone also accepts the app (it is the fallback)."""
        errors = []
        for path in app_conf_files():
            spec = sc.load_spec(os.path.basename(path), use_fallback=True)
            self.assertIsNotNone(spec, path)
            errors.extend(sc.check_conf_against_spec(path, spec))
        self.assertEqual(errors, [], "\n".join(errors))

    def test_builtin_table_agrees_with_spec_files(self):
        d = sc.spec_dir()
        if not d:
            self.skipTest("Splunk spec files not present")
        problems = []
        for conf, text in sc.FALLBACK_SPECS.items():
            real = sc.load_spec(conf)
            mini = sc.Spec.from_text(text, "builtin")
            if conf == "default.meta":
                mini = sc._meta_spec(mini)
            for pat, _rx, _lit, keys in mini.stanzas:
                probe = pat.replace("<", "x").replace(">", "x").replace("$", "") or ""
                if conf == "tags.conf":
                    probe = "eventtype=x"
                for _krx, kp, _d in keys:
                    key = kp.replace("<tag1>", "sometag").replace("<fieldname>", "x") \
                            .replace("<class>", "x")
                    try:
                        if real.key_desc(probe, key) is None:
                            problems.append(f"{conf} [{pat}] {kp}: not in the real spec")
                    except LookupError:
                        problems.append(f"{conf} [{pat}]: stanza not in the real spec")
        self.assertEqual(problems, [], "\n".join(problems))

    def test_spec_files_are_read(self):
        d = sc.spec_dir()
        if not d:
            self.skipTest("Splunk spec files not present")
        props = sc.load_spec("props.conf")
        self.assertIn("props.conf.spec", props.name)
        self.assertIsNotNone(props.key_desc("ipv6probe:event", "EXTRACT-foo"))
        self.assertIsNotNone(props.key_desc("ipv6probe:event", "KV_MODE"))
        self.assertIsNone(props.key_desc("ipv6probe:event", "KV_MOD"))
        ss = sc.load_spec("savedsearches.conf")
        self.assertIsNotNone(ss.key_desc("x", "action.email.to"))
        self.assertIsNotNone(ss.key_desc("x", "action.webhook"))
        app = sc.load_spec("app.conf")
        self.assertIsNotNone(app.key_desc("package", "id"))
        self.assertIsNone(app.key_desc("package", "label"))
        with self.assertRaises(LookupError):
            app.key_desc("no_such_stanza", "x")

    def test_checker_catches_mistakes(self):
        """Each kind of mistake is reported (so the test above can fail)."""
        cases = {
            "props.conf": ("[st]\nKV_MODE = json\nKV_MOOD = json\n", "KV_MOOD"),
            "savedsearches.conf": ("[s]\nsearch = x\nenableSched = yes please\n", "enableSched"),
            "eventtypes.conf": ("[e]\nsearch = x\npriority = 11\n", "priority"),
            "tags.conf": ("[eventtype=e]\nnetwork = on\n", "network"),
            "app.conf": ("[launcher]\nversion = 1.0.0\n[packages]\nid = x\n", "packages"),
            "transforms.conf": ("[t]\nfilename = a.csv\nmatchtype = CIDR(x)\n", "matchtype"),
            "macros.conf": ("[m]\ndefinition = x\ndefinition = y\n", "repeated"),
            "default.meta": ("[]\naccess = read : [ * ]\nexports = system\n", "exports"),
        }
        for use_fallback in (False, True):
            for conf, (text, needle) in cases.items():
                spec = sc.load_spec(conf, use_fallback=use_fallback)
                with tempfile.NamedTemporaryFile("w", suffix=conf, delete=False) as f:
                    f.write(text)
                try:
                    errs = sc.check_conf_against_spec(f.name, spec)
                finally:
                    os.unlink(f.name)
                self.assertTrue(any(needle in e for e in errs),
                                f"{conf} (fallback={use_fallback}): {errs}")

    def test_conf_reader(self):
        st = sc.parse_conf_text("a = 1\n[x]\n# c\nk = v \\\n  more\n")
        self.assertEqual(st[0][0], "default")
        self.assertEqual(st[1][1][0][1], "v \n  more")
        with self.assertRaises(sc.ConfError):
            sc.parse_conf_text("[x]\nnot a key\n")
        with self.assertRaises(sc.ConfError):
            sc.parse_conf_text("[x]\n[x]\n")


if __name__ == "__main__":
    sc.run_tests()

#!/usr/bin/env python3
"""Turn the classification table (YAML) into the Splunk lookup CSV.

The library loads libipv6probe/data/classification.yaml; the Splunk app ships the
same table as lookups/ipv6probe_classification.csv. This script is the one way the
CSV is made, so the two never drift apart.

The YAML shape is deliberately simple and is read by a small parser here (no
third-party module needed):

    # comment
    version: 1
    entries:
      - prefix: 2600:1f00::/24
        org: Example
        category: cloud
        source: https://...

Scalars may be plain or quoted ('...' or "..."). Unknown keys in an entry are
accepted and ignored. A top-level `asns:` list (organisations by origin AS, see
libipv6probe/data/asn-classification.yaml) is read and checked the same way but
not written: this lookup matches addresses. Errors are reported as
file:line: message.

Output columns: prefix,org,category,source. Prefixes are validated and written in
canonical (RFC 5952) form; rows are sorted most specific first, so a lookup that
stops at the first match returns the longest-prefix match.

Usage: yaml_to_csv.py INPUT.yaml OUTPUT.csv     (OUTPUT "-" = stdout)
"""

import csv
import io
import ipaddress
import os
import re
import sys

COLUMNS = ("prefix", "org", "category", "source")
REQUIRED = ("prefix", "org", "category", "source")
CATEGORY_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class TableError(Exception):
    pass


def _strip_comment(line):
    """Remove a trailing '# comment' that is outside quotes."""
    out = []
    quote = None
    for i, ch in enumerate(line):
        if quote:
            out.append(ch)
            if ch == quote:
                quote = None
            continue
        if ch in ("'", '"'):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        out.append(ch)
    return "".join(out).rstrip()


def _scalar(text, where):
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in ("'", '"'):
        body = text[1:-1]
        if text[0] == "'":
            return body.replace("''", "'")
        return body.encode("utf-8").decode("unicode_escape") if "\\" in body else body
    if text[:1] in ("'", '"'):
        raise TableError(f"{where}: unterminated quoted value")
    if text[:1] in ("[", "{", "&", "*", "!", "|", ">"):
        raise TableError(f"{where}: value form not supported here: {text!r}")
    return text


def parse(text, name="<yaml>", asns_out=None):
    """Parse the classification YAML. Returns (version, [entry dicts]); the
    `asns:` items, if any, are appended to asns_out."""
    version = None
    entries = None
    lists = {}
    current = None
    entry_indent = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        where = f"{name}:{lineno}"
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise TableError(f"{where}: tab in indentation")
        line = _strip_comment(raw)
        if not line.strip():
            continue
        if line.strip() in ("---", "..."):
            continue
        indent = len(line) - len(line.lstrip(" "))
        body = line.strip()
        if indent == 0:
            current = None
            key, sep, value = body.partition(":")
            if not sep:
                raise TableError(f"{where}: expected 'key: value'")
            key = key.strip()
            if key == "version":
                try:
                    version = int(_scalar(value, where))
                except ValueError:
                    raise TableError(f"{where}: version must be an integer") from None
            elif key in ("entries", "asns"):
                if value.strip() not in ("", "[]"):
                    raise TableError(f"{where}: '{key}:' must start a list")
                if key in lists:
                    raise TableError(f"{where}: duplicate key {key!r}")
                lists[key] = entries = []
                entry_indent = None
            else:
                raise TableError(f"{where}: unknown top-level key {key!r}")
            continue
        if entries is None:
            raise TableError(f"{where}: indented line outside 'entries:'")
        if body.startswith("- ") or body == "-":
            if entry_indent is None:
                entry_indent = indent
            elif indent != entry_indent:
                raise TableError(f"{where}: list item at unexpected indentation")
            current = {"_line": lineno}
            entries.append(current)
            body = body[1:].strip()
            if not body:
                continue
            indent = indent + 2
        elif current is None:
            raise TableError(f"{where}: expected a list item ('- ')")
        elif indent <= entry_indent:
            raise TableError(f"{where}: key outside any list item")
        key, sep, value = body.partition(":")
        if not sep or not key.strip() or " " in key.strip():
            raise TableError(f"{where}: expected 'key: value'")
        key = key.strip()
        if key in current:
            raise TableError(f"{where}: duplicate key {key!r}")
        current[key] = _scalar(value, where)
    if version is None:
        raise TableError(f"{name}: missing 'version:'")
    if version != 1:
        raise TableError(f"{name}: unsupported version {version}")
    if not lists:
        raise TableError(f"{name}: missing 'entries:'")
    if asns_out is not None:
        asns_out.extend(lists.get("asns", []))
    return version, lists.get("entries", [])


def rows_from_entries(entries, name="<yaml>"):
    """Validate entries; return CSV rows (dicts), most specific prefix first."""
    seen = {}
    rows = []
    for e in entries:
        where = f"{name}:{e.get('_line', '?')}"
        for k in REQUIRED:
            if not str(e.get(k, "")).strip():
                raise TableError(f"{where}: entry lacks {k!r}")
        try:
            net = ipaddress.ip_network(str(e["prefix"]).strip(), strict=True)
        except ValueError as exc:
            raise TableError(f"{where}: bad prefix: {exc}") from None
        if not CATEGORY_RE.match(str(e["category"])):
            raise TableError(f"{where}: category must be lower_snake_case")
        if not re.match(r"^https?://", str(e["source"])):
            raise TableError(f"{where}: source must be an http(s) URL")
        key = net.compressed
        if key in seen:
            raise TableError(f"{where}: prefix {key} already listed at line {seen[key]}")
        seen[key] = e.get("_line", "?")
        rows.append({
            "prefix": key,
            "org": str(e["org"]).strip(),
            "category": str(e["category"]).strip(),
            "source": str(e["source"]).strip(),
            "_net": net,
        })
    rows.sort(key=lambda r: (-r["_net"].prefixlen, r["_net"].version,
                             int(r["_net"].network_address)))
    for r in rows:
        del r["_net"]
    return rows


def check_asns(asns, name="<yaml>"):
    """Validate `asns:` items as the library does (not written to the CSV)."""
    seen = {}
    for e in asns:
        where = f"{name}:{e.get('_line', '?')}"
        for k in ("asn", "org", "category", "source"):
            if not str(e.get(k, "")).strip():
                raise TableError(f"{where}: entry lacks {k!r}")
        m = re.match(r"^(?:[Aa][Ss])?([0-9]{1,10})$", str(e["asn"]).strip())
        asn = int(m.group(1)) if m else 0
        if not 0 < asn < 2**32:
            raise TableError(f"{where}: bad AS number {e['asn']!r}")
        if not CATEGORY_RE.match(str(e["category"])):
            raise TableError(f"{where}: category must be lower_snake_case")
        if not re.match(r"^https?://", str(e["source"])):
            raise TableError(f"{where}: source must be an http(s) URL")
        if asn in seen:
            raise TableError(f"{where}: AS{asn} already listed at line {seen[asn]}")
        seen[asn] = e.get("_line", "?")


def render_csv(rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue()


def convert(yaml_text, name="<yaml>"):
    asns = []
    _, entries = parse(yaml_text, name, asns)
    check_asns(asns, name)
    return render_csv(rows_from_entries(entries, name))


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: yaml_to_csv.py INPUT.yaml OUTPUT.csv\n")
        return 2
    src, dst = argv[1], argv[2]
    try:
        with open(src, encoding="utf-8") as f:
            out = convert(f.read(), src)
    except (OSError, TableError) as exc:
        sys.stderr.write(f"yaml_to_csv: {exc}\n")
        return 1
    if dst == "-":
        sys.stdout.write(out)
        return 0
    tmp = dst + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(out)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dst)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

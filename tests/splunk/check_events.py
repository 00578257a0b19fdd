#!/usr/bin/env python3
"""Check forwarder output against the app's field schema (splunk_app/fields.txt).

Input: JSON lines as written by `ipv6probe-forward --stdout`, or HEC /event
bodies (objects with "event" and "sourcetype"; several objects may follow each
other on a line or across lines). Lines without a sourcetype are taken as
ipv6probe:event.

Reports every field that is not in fields.txt for its sourcetype, null values
(absent values must be omitted), nested objects (Splunk would flatten them
under other names) and HEC indexed "fields" that are not strings or string
arrays.

Usage: check_events.py FILE... ('-' = stdin). Exit 0 clean, 1 problems.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import splunkcheck as sc  # noqa: E402


def iter_objects(text):
    dec = json.JSONDecoder()
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        obj, end = dec.raw_decode(text, i)
        yield obj
        i = end


def check_object(obj, schema, where="event"):
    """Return (sourcetype, [problems]) for one output object."""
    problems = []
    if "event" in obj and isinstance(obj.get("event"), (dict, str)):
        st = obj.get("sourcetype", "ipv6probe:event")
        event = obj["event"]
        fields = obj.get("fields", {})
        if not isinstance(fields, dict):
            problems.append(f"{where}: HEC fields is not an object")
            fields = {}
        for k, v in fields.items():
            ok = isinstance(v, str) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
            if not ok:
                problems.append(f"{where}: indexed field {k!r} is not a string or string array")
            if not schema.get(st, sc.FieldSet()).has(k):
                problems.append(f"{where}: indexed field {k!r} not in fields.txt for {st}")
        if isinstance(event, str):
            return st, problems
    else:
        st, event = "ipv6probe:event", obj
    if st == "ipv6probe:stats":
        event = flatten(event)
    known = schema.get(st)
    if known is None:
        return st, problems + [f"{where}: unknown sourcetype {st!r}"]
    for k, v in event.items():
        if not known.has(k):
            problems.append(f"{where}: field {k!r} not in fields.txt for {st}")
        if v is None:
            problems.append(f"{where}: field {k!r} is null (omit absent values)")
        if isinstance(v, dict):
            problems.append(f"{where}: field {k!r} is a nested object")
    return st, problems


def flatten(obj, prefix=""):
    """Counter records nest; KV_MODE = json gives tagged.<tag> and
    inputs{}.<counter>, which is how fields.txt names them."""
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for x in v:
                out.update(flatten(x, f"{prefix}{k}{{}}."))
        else:
            out[prefix + k] = v
    return out


def load_schema():
    return {st: sc.FieldSet(names) for st, names in sc.load_fields().items()}


def check_text(text, name="<input>"):
    schema = load_schema()
    problems, counts = [], {}
    try:
        for n, obj in enumerate(iter_objects(text), 1):
            if not isinstance(obj, dict):
                problems.append(f"{name}: object {n} is not a JSON object")
                continue
            st, p = check_object(obj, schema, f"{name}: object {n}")
            counts[st] = counts.get(st, 0) + 1
            problems.extend(p)
    except json.JSONDecodeError as exc:
        problems.append(f"{name}: invalid JSON: {exc}")
    return counts, problems


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    bad = []
    for path in argv[1:]:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        counts, problems = check_text(text, path)
        bad.extend(problems)
        print(f"{path}: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
    uniq = sorted(set(p.split(": ", 2)[-1] for p in bad))
    for p in uniq:
        print(p)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

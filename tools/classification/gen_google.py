#!/usr/bin/env python3
"""Google: goog.json, the address space of Google's own services.

Documented at https://support.google.com/a/answer/10026322 (and
https://cloud.google.com/vpc/docs/configure-private-google-access): a JSON object
with creationTime and prefixes[], each with ipv4Prefix or ipv6Prefix.  The
ranges customers rent are in cloud.json (gen_google_cloud.py), which is listed
first, so its more specific entries win."""
import v6pclass as C

SOURCE = {
    "id": "google",
    "org": "Google",
    "category": "content_provider",
    "url": "https://www.gstatic.com/ipranges/goog.json",
    "licence": "published by Google for anyone to use; facts only",
}


def parse_gstatic(data, what):
    doc = C.load_json(data, what)
    if not isinstance(doc, dict) or not isinstance(doc.get("prefixes"), list):
        raise C.SourceError(f"{what}: no 'prefixes' list")
    pairs = []
    for i, p in enumerate(doc["prefixes"]):
        if not isinstance(p, dict):
            raise C.SourceError(f"{what}: prefixes[{i}] is not an object")
        if "ipv6Prefix" not in p:
            if "ipv4Prefix" not in p:
                raise C.SourceError(f"{what}: prefixes[{i}] has no ipv4Prefix/ipv6Prefix")
            continue
        net = C.ipv6_prefix(p["ipv6Prefix"], f"{what}: prefixes[{i}]")
        label = " ".join(x for x in (str(p.get("service", "")), str(p.get("scope", ""))) if x)
        pairs.append((net, label))
    ct = str(doc.get("creationTime", ""))
    date = ct[:10] if C.DATE_RE.match(ct[:10]) else None
    return pairs, date


def parse(data):
    pairs, date = parse_gstatic(data, "google")
    return C.merge_labels(pairs, ""), date


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

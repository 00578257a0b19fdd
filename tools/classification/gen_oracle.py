#!/usr/bin/env python3
"""Oracle Cloud Infrastructure: public_ip_ranges.json.

Documented at https://docs.oracle.com/iaas/Content/General/Concepts/addressranges.htm:
a JSON object with last_updated_timestamp and regions[], each with region and
cidrs[] of {cidr, tags}."""
import v6pclass as C

SOURCE = {
    "id": "oracle",
    "org": "Oracle Cloud",
    "category": "cloud",
    "url": "https://docs.oracle.com/iaas/tools/public_ip_ranges.json",
    "licence": "published by Oracle for anyone to use in network rules; facts only",
}


def parse(data):
    doc = C.load_json(data, "oracle")
    if not isinstance(doc, dict) or not isinstance(doc.get("regions"), list):
        raise C.SourceError("oracle: no 'regions' list")
    pairs = []
    for i, r in enumerate(doc["regions"]):
        if not isinstance(r, dict) or not isinstance(r.get("cidrs"), list):
            raise C.SourceError(f"oracle: regions[{i}] has no cidrs list")
        for c in r["cidrs"]:
            if not isinstance(c, dict) or "cidr" not in c:
                raise C.SourceError(f"oracle: regions[{i}]: a cidrs item has no cidr")
            net = C.ipv6_prefix(c["cidr"], f"oracle: regions[{i}]")
            if net:
                pairs.append((net, str(r.get("region", ""))))
    ts = str(doc.get("last_updated_timestamp", ""))
    return C.merge_labels(pairs, "region"), ts[:10] if C.DATE_RE.match(ts[:10]) else None


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

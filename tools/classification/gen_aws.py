#!/usr/bin/env python3
"""Amazon Web Services: ip-ranges.json.

Documented at https://docs.aws.amazon.com/vpc/latest/userguide/aws-ip-ranges.html:
a JSON object with createDate ("YYYY-MM-DD-hh-mm-ss"), prefixes[] (IPv4:
ip_prefix) and ipv6_prefixes[] (ipv6_prefix, region, service,
network_border_group).  One prefix may be listed once per service."""
import v6pclass as C

SOURCE = {
    "id": "aws",
    "org": "Amazon Web Services",
    "category": "cloud",
    "url": "https://ip-ranges.amazonaws.com/ip-ranges.json",
    "licence": "published by AWS for anyone to use in firewall rules; facts only",
}


def parse(data):
    doc = C.load_json(data, "aws")
    if not isinstance(doc, dict) or not isinstance(doc.get("ipv6_prefixes"), list):
        raise C.SourceError("aws: no 'ipv6_prefixes' list")
    pairs = []
    for i, p in enumerate(doc["ipv6_prefixes"]):
        if not isinstance(p, dict) or "ipv6_prefix" not in p:
            raise C.SourceError(f"aws: ipv6_prefixes[{i}] has no ipv6_prefix")
        net = C.ipv6_prefix(p["ipv6_prefix"], f"aws: ipv6_prefixes[{i}]")
        if net:
            pairs.append((net, str(p.get("service", ""))))
    date = None
    cd = str(doc.get("createDate", ""))
    if len(cd) >= 10 and C.DATE_RE.match(cd[:10]):
        date = cd[:10]
    return C.merge_labels(pairs, "AWS service"), date


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

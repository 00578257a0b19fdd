#!/usr/bin/env python3
"""Fastly: https://api.fastly.com/public-ip-list, documented at
https://www.fastly.com/documentation/reference/api/utils/public-ip-list/ as a
JSON object with addresses[] (IPv4) and ipv6_addresses[]."""
import v6pclass as C

SOURCE = {
    "id": "fastly",
    "org": "Fastly",
    "category": "cdn",
    "url": "https://api.fastly.com/public-ip-list",
    "licence": "published by Fastly for anyone to use in firewall rules; facts only",
}


def parse(data):
    doc = C.load_json(data, "fastly")
    if not isinstance(doc, dict) or not isinstance(doc.get("ipv6_addresses"), list):
        raise C.SourceError("fastly: no 'ipv6_addresses' list")
    nets = [C.ipv6_prefix(p, "fastly: ipv6_addresses") for p in doc["ipv6_addresses"]]
    return [C.Prefix(n) for n in nets if n], None


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

#!/usr/bin/env python3
"""Akamai: the edge-server CIDR list Akamai publishes for origin allow-lists
(akamai_ipv4_ipv6_CIDRs-txt.zip on techdocs.akamai.com; its IPv6 file has one
prefix per line).  It covers Akamai's edge servers only, not everything Akamai
announces: the rest is classified by AS (asn-classification.yaml)."""
import v6pclass as C

SOURCE = {
    "id": "akamai",
    "org": "Akamai",
    "category": "cdn",
    "url": "https://techdocs.akamai.com/property-manager/pdfs/akamai_ipv4_ipv6_CIDRs-txt.zip",
    "licence": "published by Akamai for customers' origin allow-lists; facts only",
}


def parse(data):
    return [C.Prefix(n) for n in C.parse_prefix_lines(data, "akamai")], None


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

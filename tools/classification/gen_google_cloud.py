#!/usr/bin/env python3
"""Google Cloud: cloud.json, the external ranges customers' resources use.

Same documented shape as goog.json (prefixes[] with ipv6Prefix, service,
scope), see https://cloud.google.com/compute/docs/faq#find_ip_range."""
import v6pclass as C
from gen_google import parse_gstatic

SOURCE = {
    "id": "google_cloud",
    "org": "Google Cloud",
    "category": "cloud",
    "url": "https://www.gstatic.com/ipranges/cloud.json",
    "licence": "published by Google for anyone to use; facts only",
}


def parse(data):
    pairs, date = parse_gstatic(data, "google_cloud")
    return C.merge_labels(pairs, "scope"), date


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

#!/usr/bin/env python3
"""Linode (Akamai Connected Cloud): its RFC 8805 geofeed at
https://geoip.linode.com/, with a '# Last modified:' comment."""
import v6pclass as C

SOURCE = {
    "id": "linode",
    "org": "Linode",
    "category": "cloud",
    "url": "https://geoip.linode.com/",
    "licence": "geofeed published by Linode for anyone to use (RFC 8805); facts only",
}


def parse(data):
    pairs, date = C.parse_geofeed(data, "linode")
    return C.merge_labels(pairs, "geofeed"), date


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

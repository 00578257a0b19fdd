#!/usr/bin/env python3
"""Apple iCloud Private Relay: egress-ip-ranges.csv.

Documented at https://developer.apple.com/support/prepare-your-network-for-icloud-private-relay/:
the egress ranges as an RFC 8805-style CSV, 'prefix,country,region,city,'.
A list of bare prefixes (the same CSV with the location columns dropped) parses
the same way.  Adjacent ranges are merged: the table holds the same addresses."""
import ipaddress

import v6pclass as C

SOURCE = {
    "id": "apple_relay",
    "org": "Apple iCloud Private Relay",
    "category": "relay",
    "url": "https://mask-api.icloud.com/egress-ip-ranges.csv",
    "licence": "published by Apple for network operators to use; facts only",
}


def parse(data):
    pairs, date = C.parse_geofeed(data, "apple_relay")
    # Hundreds of thousands of ranges, one per city: what matters here is the
    # relay, not the city, so adjacent ranges are merged (the same addresses,
    # a table a fraction of the size, each entry saying the same thing).
    nets = ipaddress.collapse_addresses(n for n, _ in pairs)
    return [C.Prefix(net) for net in sorted(nets, key=C.sort_key)], date


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

#!/usr/bin/env python3
"""Cloudflare: https://www.cloudflare.com/ips-v6, one IPv6 prefix per line
(documented at https://www.cloudflare.com/ips/)."""
import v6pclass as C

SOURCE = {
    "id": "cloudflare",
    "org": "Cloudflare",
    "category": "cdn",
    "url": "https://www.cloudflare.com/ips-v6",
    "licence": "published by Cloudflare for anyone to use in firewall rules; facts only",
}


def parse(data):
    return [C.Prefix(n) for n in C.parse_prefix_lines(data, "cloudflare")], None


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

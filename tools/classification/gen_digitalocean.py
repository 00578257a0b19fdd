#!/usr/bin/env python3
"""DigitalOcean: its RFC 8805 geofeed (https://digitalocean.com/geo/google.csv),
one 'prefix,country,region,city,postal' line per range."""
import v6pclass as C

SOURCE = {
    "id": "digitalocean",
    "org": "DigitalOcean",
    "category": "cloud",
    "url": "https://digitalocean.com/geo/google.csv",
    "licence": "geofeed published by DigitalOcean for anyone to use (RFC 8805); facts only",
}


def parse(data):
    pairs, date = C.parse_geofeed(data, "digitalocean")
    return C.merge_labels(pairs, "geofeed"), date


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

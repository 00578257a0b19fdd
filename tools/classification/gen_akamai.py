#!/usr/bin/env python3
"""Akamai: the edge-server CIDR list Akamai publishes for origin allow-lists
(akamai_ipv4_ipv6_CIDRs-txt.zip on techdocs.akamai.com, read as published or
as its IPv6 text file: one prefix per line).  It covers Akamai's edge servers only, not everything Akamai
announces: the rest is classified by AS (asn-classification.yaml)."""
import io
import zipfile

import v6pclass as C

SOURCE = {
    "id": "akamai",
    "org": "Akamai",
    "category": "cdn",
    "url": "https://techdocs.akamai.com/property-manager/pdfs/akamai_ipv4_ipv6_CIDRs-txt.zip",
    "licence": "published by Akamai for customers' origin allow-lists; facts only",
}


def parse(data):
    if data[:2] == b"PK":  # the zip as published: its IPv6 file(s)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = sorted(n for n in z.namelist()
                               if "ipv6" in n.lower() and not n.startswith("__MACOSX/"))
                if not names:
                    raise C.SourceError("akamai: no IPv6 file in the zip")
                data = b"\n".join(z.read(n) for n in names)
        except zipfile.BadZipFile as exc:
            raise C.SourceError(f"akamai: bad zip: {exc}") from None
    return [C.Prefix(n) for n in C.parse_prefix_lines(data, "akamai")], None


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

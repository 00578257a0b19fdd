#!/usr/bin/env python3
"""Internet-wide scanners: the IPv6 ranges each operator names on its opt-out
or FAQ page, as collected per operator in the public-domain (Unlicense)
OpenFilters/internet-scanners repository: cidr/<operator>_v6.txt, one prefix
per line.  Each operator is its own source; the note names the operator's
site.  Files for "other" and "universities" mix many owners and are left out:
an entry must name one organisation."""
import v6pclass as C

BASE = "https://raw.githubusercontent.com/OpenFilters/internet-scanners/main/cidr/"
LICENCE = "compiled from the operators' pages, released into the public domain (Unlicense)"

# (id, organisation, operator's site, file stem)
OPERATORS = [
    ("scan_alphastrike", "Alpha Strike Labs", "alphastrike.io", "alphastrike"),
    ("scan_binaryedge", "BinaryEdge", "binaryedge.io", "binaryedge"),
    ("scan_bitsight", "BitSight", "bitsight.com", "bitsight"),
    ("scan_censys", "Censys", "censys.com", "censys"),
    ("scan_dataplane", "Dataplane.org", "dataplane.org", "dataplane"),
    ("scan_deepfield", "Nokia Deepfield", "deepfield.net", "deepfield"),
    ("scan_driftnet", "Driftnet", "driftnet.io", "driftnet"),
    ("scan_hadrian", "Hadrian", "hadrian.io", "hadrian"),
    ("scan_imr", "Internet Measurement Research", "internetmeasurementresearch.com",
     "internetmeasurementresearch"),
    ("scan_ipinfo", "IPinfo", "ipinfo.io", "ipinfo"),
    ("scan_leakix", "LeakIX", "leakix.net", "leakix"),
    ("scan_onyphe", "ONYPHE", "onyphe.io", "onyphe"),
    ("scan_paloalto", "Palo Alto Networks Cortex Xpanse", "paloaltonetworks.com",
     "paloaltonetworks"),
    ("scan_rapid7", "Rapid7", "rapid7.com", "rapid7"),
    ("scan_shadowserver", "Shadowserver", "shadowserver.org", "shadowserver"),
    ("scan_shodan", "Shodan", "shodan.io", "shodan"),
    ("scan_tenable", "Tenable", "tenable.com", "tenableasm"),
]

SOURCES = [{
    "id": sid,
    "org": org,
    "category": "research_scanner",
    "url": BASE + stem + "_v6.txt",
    "licence": LICENCE,
    "operator": site,
} for sid, org, site, stem in OPERATORS]


def make_parser(src):
    def parse(data):
        nets = C.parse_prefix_lines(data, src["id"])
        return [C.Prefix(n, f"operator {src['operator']}") for n in nets], None
    return parse


PARSERS = {s["id"]: make_parser(s) for s in SOURCES}

if __name__ == "__main__":
    import sys

    import build_table
    if len(sys.argv) < 2 or sys.argv[1] not in PARSERS:
        sys.exit("usage: gen_scanners.py OPERATOR_ID [INPUT [DATE]]; ids: " + " ".join(PARSERS))
    sid = sys.argv.pop(1)
    build_table.main_one(next(s for s in SOURCES if s["id"] == sid), PARSERS[sid])

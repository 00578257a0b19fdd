#!/usr/bin/env python3
"""The shipped tables through the forwarder: a probe from a published Akamai,
Shodan, Facebook, AWS, Apple Private Relay or Tor exit address, and one from
each category, gets the right src_org / src_category -- by prefix where the
organisation publishes its ranges, by AS (a MaxMind DB built here) where it
does not.  Addresses by prefix are taken from the shipped table itself; those
by AS are checked to be outside every shipped prefix, so each probe takes the
path it is meant to test."""
import ipaddress
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cllib as L  # noqa: E402

EXE, TABLE, ASN_TABLE, YAML_TO_CSV = sys.argv[1:5]
sys.path.insert(0, os.path.dirname(os.path.abspath(YAML_TO_CSV)))
import yaml_to_csv  # noqa: E402

W = L.workdir()
if not L.has_maxminddb(EXE, W):
    L.skip("the forwarder was built without libmaxminddb")

with open(TABLE, encoding="utf-8") as f:
    _, entries = yaml_to_csv.parse(f.read(), TABLE)
nets = [(ipaddress.ip_network(e["prefix"]), e) for e in entries]
asns = []
with open(ASN_TABLE, encoding="utf-8") as f:
    yaml_to_csv.parse(f.read(), ASN_TABLE, asns)
by_asn = {int(str(a["asn"]).upper().lstrip("AS")): a for a in asns}


def covering(addr):
    a = ipaddress.ip_address(addr)
    best = None
    for n, e in nets:
        if a.version == n.version and a in n and (best is None or n.prefixlen > best[0].prefixlen):
            best = (n, e)
    return best


def published(org):
    """An address inside the first shipped prefix of org."""
    for n, e in nets:
        if e["org"] == org and n.version == 6:
            return str(n.network_address + (1 if n.prefixlen < 128 else 0))
    L.die("the shipped table has no entry for %s" % org)


# (address, want org, want category, path)
CASES = [
    (published("Akamai"), "Akamai", "cdn", "prefix"),
    ("2a02:26f4::1", "Akamai", "cdn", "asn"),
    ("23.32.1.1", "Akamai", "cdn", "asn"),
    (published("Shodan"), "Shodan", "research_scanner", "prefix"),
    ("2a03:2880:f12c::1", "Facebook", "content_provider", "asn"),
    (published("Amazon Web Services"), "Amazon Web Services", "cloud", "prefix"),
    (published("Apple iCloud Private Relay"), "Apple iCloud Private Relay", "relay", "prefix"),
    (published("Tor exit"), "Tor exit", "tor_exit", "prefix"),
    ("2602:80d:1000::10", "Censys", "research_scanner", "prefix"),
    (published("Cloudflare"), "Cloudflare", "cdn", "prefix"),
    (published("Fastly"), "Fastly", "cdn", "prefix"),
    (published("Google"), "Google", "content_provider", "prefix"),
    (published("Google Cloud"), "Google Cloud", "cloud", "prefix"),
    (published("Microsoft Azure"), "Microsoft Azure", "cloud", "prefix"),
    (published("DigitalOcean"), "DigitalOcean", "cloud", "prefix"),
    (published("Linode"), "Linode", "cloud", "prefix"),
    (published("GitHub"), "GitHub", "saas", "prefix"),
    (published("Shadowserver"), "Shadowserver", "research_scanner", "prefix"),
    (published("Rapid7"), "Rapid7", "research_scanner", "prefix"),
    ("2a01:4f8:c0c::1", "Hetzner", "cloud", "asn"),
    ("2001:41d0:1::1", "OVHcloud", "cloud", "asn"),
]
# The database: what each network's registry says announces it.
DBNETS = [
    ("2a03:2880::/32", 32934, "FACEBOOK"),
    ("2a02:26f0::/29", 20940, "Akamai International B.V."),
    ("23.32.0.0/11", 20940, "Akamai International B.V."),
    ("2a01:4f8::/32", 24940, "Hetzner Online GmbH"),
    ("2001:41d0::/32", 16276, "OVH SAS"),
    ("2604:a880::/32", 14061, "DIGITALOCEAN-ASN"),
]
DB = os.path.join(W, "asn.mmdb")
L.make_mmdb(DB, DBNETS)

for addr, org, cat, path in CASES:
    cov = covering(addr)
    if path == "asn" and cov:
        L.die("%s is meant to be classified by AS but the shipped table covers it: %s"
              % (addr, cov[0]))
    if path == "prefix" and not cov:
        L.die("%s is meant to be classified by prefix but no shipped prefix covers it" % addr)
    if path == "asn":
        a = ipaddress.ip_address(addr)
        asn = next((n[1] for n in DBNETS if a in ipaddress.ip_network(n[0])), None)
        if asn not in by_asn or by_asn[asn]["org"] != org:
            L.die("the shipped AS table does not name AS%s %s" % (asn, org))

CONF = os.path.join(W, "fwd.yaml")
L.write_config(CONF, asn_db=DB)  # builtin tables: the shipped ones
evs, r = L.run_forwarder(EXE, CONF, [c[0] for c in CASES])
if r.returncode != 0:
    L.die("forwarder exit %d: %s" % (r.returncode, r.stderr.decode()))
bad = []
for addr, org, cat, path in CASES:
    ev = evs.get(addr) or evs.get(str(ipaddress.ip_address(addr)))
    if ev is None:
        bad.append("%s: no event" % addr)
        continue
    got = (ev.get("src_org"), ev.get("src_category"))
    if got != (org, cat):
        bad.append("%s (%s): got %r, want %r" % (addr, path, got, (org, cat)))
    if cat == "research_scanner" and "known_scanner" not in (ev.get("tags") or []):
        bad.append("%s: research scanner without the known_scanner tag" % addr)
if bad:
    L.die("; ".join(bad))
print("ok: %d probes classified (%d by prefix, %d by AS)" %
      (len(CASES), sum(c[3] == "prefix" for c in CASES), sum(c[3] == "asn" for c in CASES)))

"""Small publications in each source's documented format, for the generator
and updater tests.  Every prefix is from the documentation ranges; what each
source must yield is in EXPECT: (prefix, org, category, published date)."""
import json

CF_DATE = "2026-10-01"  # the Last-Modified of the files that carry no date

FEEDS = {
    "aws": json.dumps({
        "syncToken": "1764496800", "createDate": "2026-11-30-10-00-00",
        "prefixes": [{"ip_prefix": "192.0.2.0/24", "region": "us-east-1",
                      "service": "AMAZON", "network_border_group": "us-east-1"}],
        "ipv6_prefixes": [
            {"ipv6_prefix": "2001:db8:a::/48", "region": "us-east-1", "service": "AMAZON",
             "network_border_group": "us-east-1"},
            {"ipv6_prefix": "2001:db8:a::/48", "region": "us-east-1", "service": "EC2",
             "network_border_group": "us-east-1"},
            {"ipv6_prefix": "2001:db8:a:100::/56", "region": "eu-west-1", "service": "S3",
             "network_border_group": "eu-west-1"}]}, indent=2),
    "google": json.dumps({
        "syncToken": "1", "creationTime": "2026-11-29T07:05:03.68994",
        "prefixes": [{"ipv4Prefix": "198.51.100.0/24"}, {"ipv6Prefix": "2001:db8:b::/48"}]}),
    "google_cloud": json.dumps({
        "syncToken": "1", "creationTime": "2026-11-29T07:05:03.68994",
        "prefixes": [{"ipv4Prefix": "198.51.100.0/25", "service": "Google Cloud",
                      "scope": "us-east1"},
                     {"ipv6Prefix": "2001:db8:b:1::/64", "service": "Google Cloud",
                      "scope": "us-east1"}]}),
    "azure": json.dumps({
        "changeNumber": 1, "cloud": "Public",
        "values": [{"name": "AzureCloud", "id": "AzureCloud",
                    "properties": {"changeNumber": 1, "region": "", "regionId": 0,
                                   "platform": "Azure", "systemService": "",
                                   "addressPrefixes": ["203.0.113.0/24", "2001:db8:c::/48"]}},
                   {"name": "Storage.WestEurope", "id": "Storage.WestEurope",
                    "properties": {"changeNumber": 1, "region": "westeurope", "regionId": 18,
                                   "platform": "Azure", "systemService": "AzureStorage",
                                   "addressPrefixes": ["2001:db8:c::/48"]}}]}),
    "oracle": json.dumps({
        "last_updated_timestamp": "2026-11-28T07:13:25.457838",
        "regions": [{"region": "us-ashburn-1",
                     "cidrs": [{"cidr": "192.0.2.0/25", "tags": ["OCI"]},
                               {"cidr": "2001:db8:d::/48", "tags": ["OCI"]}]}]}),
    "cloudflare": "2001:db8:e::/48\n2001:db8:e1::/48\n",
    "fastly": json.dumps({"addresses": ["192.0.2.0/24"], "ipv6_addresses": ["2001:db8:f::/48"]}),
    "akamai": "2001:db8:10::/48\n",
    "digitalocean": ("2001:db8:11::/48,NL,NL-NH,Amsterdam,\n"
                     "192.0.2.0/24,US,US-NY,New York,10001\n"),
    "linode": ("# This file contains a self-published geofeed as defined in RFC 8805\n"
               "# Last modified: 2026-11-27 10:00:06.525037\n"
               "# ip_prefix, alpha2code, region, city, postal_code\n"
               "2001:db8:12::/48,US,US-TX,Richardson,\n192.0.2.0/24,US,US-TX,Richardson,\n"),
    "github": json.dumps({
        "verifiable_password_authentication": False,
        "ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"],
        "hooks": ["192.0.2.0/24", "2001:db8:13::/48"], "web": ["2001:db8:13::/48"],
        "api": [], "git": [], "domains": {"website": ["*.github.com"]}}),
    "apple_relay": ("2001:db8:14::/64,GB,GB-EN,London,\n"
                    "172.224.226.0/27,GB,GB-EN,London,\n"
                    "2001:db8:14:2::/64,DE,DE-BE,Berlin,\n"
                    "2001:db8:14:10::/64,DE,DE-BE,Berlin,\n"
                    "2001:db8:14:11::/64,DE,DE-HH,Hamburg,\n"),
    "tor": json.dumps({
        "version": "8.0", "relays_published": "2026-11-30 10:00:00",
        "relays": [
            {"nickname": "exitA", "fingerprint": "A" * 40,
             "or_addresses": ["192.0.2.7:443", "[2001:db8:15::7]:443"],
             "exit_addresses": ["192.0.2.8"], "flags": ["Exit", "Fast", "Running", "Valid"],
             "exit_policy_v6_summary": {"accept": ["80", "443"]}},
            {"nickname": "middle", "fingerprint": "B" * 40,
             "or_addresses": ["[2001:db8:15::9]:9001"], "flags": ["Fast", "Running"]},
            {"nickname": "v4only", "fingerprint": "C" * 40,
             "or_addresses": ["[2001:db8:15::a]:9001"], "flags": ["Exit", "Running"],
             "exit_policy_v6_summary": {"reject": ["1-65535"]}}]}),
    "scan_censys": "# comment\n2001:db8:16::/48\n",
}

EXPECT = [
    ("2001:db8:a::/48", "Amazon Web Services", "cloud", "2026-11-30"),
    ("2001:db8:a:100::/56", "Amazon Web Services", "cloud", "2026-11-30"),
    ("2001:db8:b::/48", "Google", "content_provider", "2026-11-29"),
    ("2001:db8:b:1::/64", "Google Cloud", "cloud", "2026-11-29"),
    ("2001:db8:c::/48", "Microsoft Azure", "cloud", CF_DATE),
    ("2001:db8:d::/48", "Oracle Cloud", "cloud", "2026-11-28"),
    ("2001:db8:e::/48", "Cloudflare", "cdn", CF_DATE),
    ("2001:db8:e1::/48", "Cloudflare", "cdn", CF_DATE),
    ("2001:db8:f::/48", "Fastly", "cdn", CF_DATE),
    ("2001:db8:10::/48", "Akamai", "cdn", CF_DATE),
    ("2001:db8:11::/48", "DigitalOcean", "cloud", CF_DATE),
    ("2001:db8:12::/48", "Linode", "cloud", "2026-11-27"),
    ("2001:db8:13::/48", "GitHub", "saas", CF_DATE),
    ("2001:db8:14::/64", "Apple iCloud Private Relay", "relay", CF_DATE),
    ("2001:db8:14:2::/64", "Apple iCloud Private Relay", "relay", CF_DATE),
    ("2001:db8:14:10::/63", "Apple iCloud Private Relay", "relay", CF_DATE),  # two merged
    ("2001:db8:15::7/128", "Tor exit", "tor_exit", "2026-11-30"),
    ("2001:db8:16::/48", "Censys", "research_scanner", CF_DATE),
]

# Not classified: IPv4 prefixes (events keep them elsewhere, and the
# publications' IPv4 halves are not what this table is for), a relay that
# is not an exit, and an exit whose IPv6 policy rejects everything.
ABSENT = ["2001:db8:15::9/128", "2001:db8:15::a/128", "192.0.2.0/24"]

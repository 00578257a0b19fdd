#!/usr/bin/env python3
"""Tor exits with IPv6: the Tor Project's Onionoo details document.

Documented at https://metrics.torproject.org/onionoo.html: a JSON object with
relays_published and relays[], each with fingerprint, flags, or_addresses
("1.2.3.4:443", "[2001:db8::1]:443"), optional exit_addresses and
exit_policy_v6_summary ({"accept": [...]} or {"reject": [...]}).  An IPv6 exit
is a relay with the Exit flag whose IPv6 policy accepts something; each of its
IPv6 addresses becomes a /128.

Also read: 'fingerprint,ipaddr,port' rows (one per address of a relay with the
Exit flag), the shape the bundled table's copy of Onionoo data came in."""
import ipaddress

import v6pclass as C

SOURCE = {
    "id": "tor",
    "org": "Tor exit",
    "category": "tor_exit",
    "url": "https://onionoo.torproject.org/details?flag=Exit&running=true",
    "licence": "Tor Project metrics data, CC0 (https://metrics.torproject.org/); facts only",
}


def host128(text, where):
    text = text.strip()
    if text.startswith("["):
        text = text[1:text.index("]")] if "]" in text else text
    elif text.count(":") == 1:
        return None  # IPv4 "a.b.c.d:port"
    try:
        a = ipaddress.ip_address(text)
    except ValueError as exc:
        raise C.SourceError(f"{where}: bad address {text!r}: {exc}") from None
    return ipaddress.ip_network(f"{a}/128") if a.version == 6 else None


def exits_v6(relay):
    if "Exit" not in (relay.get("flags") or []):
        return False
    pol = relay.get("exit_policy_v6_summary")
    if pol is None:
        return True  # Onionoo omits it when details were trimmed with fields=
    return bool(pol.get("accept")) or pol.get("reject") not in (["1-65535"],)


def parse_onionoo(doc):
    if not isinstance(doc.get("relays"), list):
        raise C.SourceError("tor: no 'relays' list")
    out = {}
    for i, r in enumerate(doc["relays"]):
        if not isinstance(r, dict) or not exits_v6(r):
            continue
        addrs = list(r.get("or_addresses") or []) + list(r.get("exit_addresses") or [])
        for a in addrs:
            net = host128(str(a), f"tor: relays[{i}]")
            if net:
                out.setdefault(net, r.get("fingerprint", ""))
    date = str(doc.get("relays_published", ""))[:10]
    return out, date if C.DATE_RE.match(date) else None


def parse_rows(data):
    lines = C.text_lines(data, "tor")
    if not lines or lines[0].strip().lower() != "fingerprint,ipaddr,port":
        raise C.SourceError("tor: neither an Onionoo details document nor fingerprint,ipaddr,port rows")
    out = {}
    for n, line in enumerate(lines[1:], 2):
        f = line.strip().split(",")
        if len(f) < 2:
            continue
        try:
            a = ipaddress.ip_address(f[1].strip().strip("[]"))
        except ValueError as exc:
            raise C.SourceError(f"tor:{n}: bad address {f[1]!r}: {exc}") from None
        if a.version == 6:
            out.setdefault(ipaddress.ip_network(f"{a}/128"), f[0])
    return out, None


def parse(data):
    if data.lstrip()[:1] == b"{":
        fps, date = parse_onionoo(C.load_json(data, "tor"))
    else:
        fps, date = parse_rows(data)
    return [C.Prefix(net, f"relay {fp}" if fp else None) for net, fp in fps.items()], date


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

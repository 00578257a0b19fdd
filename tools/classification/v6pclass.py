"""Shared pieces of the classification generators.

Each gen_<source>.py module describes one organisation's publication (SOURCE)
and parses that publication's documented format (parse()).  This module holds
what they share: prefix checking, the note writer and the YAML writer, so every
generator emits the same table shape that libipv6probe's loader and the Splunk
app's yaml_to_csv.py read.

A generator returns Prefix records; build_table.py merges every source into one
table.  Output is a pure function of the input bytes and the recorded
publication dates: the same inputs give the same table, byte for byte.
"""

import ipaddress
import json
import re


class SourceError(Exception):
    """The input is not in the source's documented format."""


class Prefix:
    __slots__ = ("net", "note")

    def __init__(self, net, note=None):
        self.net = net
        self.note = note


def ipv6_prefix(text, where):
    """An IPv6 prefix from `text`, None for an IPv4 one; SourceError otherwise.

    Host bits past the length are an error: the publication says something we
    do not understand, and guessing what was meant would invent a prefix."""
    text = str(text).strip()
    try:
        net = ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        raise SourceError(f"{where}: bad prefix {text!r}: {exc}") from None
    return net if net.version == 6 else None


def load_json(data, what):
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SourceError(f"{what}: not JSON: {exc}") from None


def text_lines(data, what):
    try:
        return data.decode("utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise SourceError(f"{what}: not UTF-8 text: {exc}") from None


def join_labels(labels, limit=3):
    """'a, b, c and 4 more' from a set of labels, sorted: a short, stable note."""
    labels = sorted(set(x for x in labels if x))
    if len(labels) <= limit:
        return ", ".join(labels)
    return ", ".join(labels[:limit]) + f" and {len(labels) - limit} more"


def merge_labels(pairs, what):
    """[(net, label)] -> [Prefix] with one record per prefix and its labels
    joined (publications list one prefix under several services or tags)."""
    by_net = {}
    for net, label in pairs:
        by_net.setdefault(net, set()).add(label)
    return [Prefix(net, f"{what} {join_labels(labels)}" if any(labels) else None)
            for net, labels in by_net.items()]


DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def yaml_scalar(s):
    """A plain scalar when that is safe, else a double-quoted one."""
    s = str(s)
    if re.match(r"^[A-Za-z0-9][A-Za-z0-9 ._:/()+,-]*$", s) and not s.endswith(":") and \
            ": " not in s and " #" not in s:
        return s
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sort_key(net):
    return (net.version, int(net.network_address), net.prefixlen)


def parse_geofeed(data, what):
    """RFC 8805 self-published geofeed: CSV lines 'prefix,country,region,city,
    postal', '#' comments.  Returns ([(net, location)], date) where date comes
    from a '# Last modified: YYYY-MM-DD' comment when the feed has one."""
    pairs, date = [], None
    for n, line in enumerate(text_lines(data, what), 1):
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            m = re.search(r"(?i)last[ -]modified:?\s*(\d{4}-\d{2}-\d{2})", s)
            if m and not date:
                date = m.group(1)
            continue
        fields = [f.strip() for f in s.split(",")]
        net = ipv6_prefix(fields[0], f"{what}:{n}")
        if net:
            place = fields[3] if len(fields) > 3 and fields[3] else ""
            country = fields[1] if len(fields) > 1 else ""
            pairs.append((net, ", ".join(x for x in (place, country) if x)))
    return pairs, date


def parse_prefix_lines(data, what):
    """One prefix per line, blank lines and '#' comments allowed."""
    out = []
    for n, line in enumerate(text_lines(data, what), 1):
        s = line.split("#", 1)[0].strip()
        if s:
            out.append(ipv6_prefix(s, f"{what}:{n}"))
    return [x for x in out if x]

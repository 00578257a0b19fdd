#!/usr/bin/env python3
"""Microsoft Azure: the service tags file (ServiceTags_Public_YYYYMMDD.json).

Documented at https://learn.microsoft.com/azure/virtual-network/service-tags-overview:
a JSON object with changeNumber, cloud and values[], each a tag with name and
properties.addressPrefixes[] (IPv4 and IPv6 mixed).  A prefix is listed under
every tag that covers it; the note keeps the first few tag names."""
import v6pclass as C

SOURCE = {
    "id": "azure",
    "org": "Microsoft Azure",
    "category": "cloud",
    "url": "https://www.microsoft.com/en-us/download/details.aspx?id=56519",
    # The file's name changes every week (ServiceTags_Public_YYYYMMDD.json):
    # the download page links to the current one.
    "fetch": "https://www.microsoft.com/en-us/download/details.aspx?id=56519",
    "follow": "https://download.microsoft.com/*/ServiceTags_Public_*.json",
    "licence": "published by Microsoft for anyone to use in network rules; facts only",
}


def parse(data):
    if data.lstrip()[:1] == b"<":
        raise C.SourceError("azure: an HTML page, not the service tags JSON (the download "
                            "page's link to ServiceTags_Public_*.json was not followed)")
    doc = C.load_json(data, "azure")
    if not isinstance(doc, dict) or not isinstance(doc.get("values"), list):
        raise C.SourceError("azure: no 'values' list of service tags")
    pairs = []
    for i, tag in enumerate(doc["values"]):
        props = tag.get("properties") if isinstance(tag, dict) else None
        if not isinstance(props, dict) or not isinstance(props.get("addressPrefixes"), list):
            raise C.SourceError(f"azure: values[{i}] has no properties.addressPrefixes")
        for p in props["addressPrefixes"]:
            net = C.ipv6_prefix(p, f"azure: values[{i}]")
            if net:
                pairs.append((net, str(tag.get("name", ""))))
    # The file carries no date; the download page names it by date
    # (ServiceTags_Public_YYYYMMDD.json), recorded by whoever fetched it.
    return C.merge_labels(pairs, "service tag"), None


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

#!/usr/bin/env python3
"""GitHub: https://api.github.com/meta, documented at
https://docs.github.com/rest/meta/meta: a JSON object whose service keys
(hooks, web, api, git, packages, pages, importer, actions, dependabot, ...)
are lists of prefixes; other keys (ssh keys, domains) are not prefixes."""
import v6pclass as C

SOURCE = {
    "id": "github",
    "org": "GitHub",
    "category": "saas",
    "url": "https://api.github.com/meta",
    "licence": "published by GitHub for anyone to use in network rules; facts only",
}

# Keys whose values are not address lists.
NOT_PREFIXES = {"ssh_keys", "ssh_key_fingerprints", "domains", "verifiable_password_authentication"}


def parse(data):
    doc = C.load_json(data, "github")
    if not isinstance(doc, dict):
        raise C.SourceError("github: not a JSON object")
    pairs = []
    for key in sorted(doc):
        val = doc[key]
        if key in NOT_PREFIXES or not isinstance(val, list):
            continue
        for p in val:
            if isinstance(p, str) and "/" in p:
                net = C.ipv6_prefix(p, f"github: {key}")
                if net:
                    pairs.append((net, key))
    if not any(k in doc for k in ("hooks", "web", "api", "git")):
        raise C.SourceError("github: none of hooks, web, api, git")
    return C.merge_labels(pairs, "GitHub service"), None


if __name__ == "__main__":
    import build_table
    build_table.main_one(SOURCE, parse)

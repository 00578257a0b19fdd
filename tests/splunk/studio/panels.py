"""Each dashboard panel's result table, computed from the forwarder's records
the way its search computes it in Splunk.

Every panel is one function, registered with the view, the data source id and
the search exactly as the dashboard definition has it, so the two can be read
side by side (the test fails when a search here and in the view differ).
Records are what Splunk would hold after KV_MODE = json and props.conf: JSON
arrays become multi-value fields, nested objects become dotted names
(`tagged.hop_ladder`), and every record carries the `host` Splunk gave it.

Macros, as in macros.conf:
  `ipv6probe_events`   packet events            -> ev.events
  `ipv6probe_unique`   one event per packet     -> unique(ev)
  `ipv6probe_inbound`  packets from outside     -> inbound(ev)
  `ipv6probe_outbound` packets our hosts sent   -> outbound_events(ev)
  `ipv6probe_is_outbound` (eval)                -> outbound(e)
  `ipv6probe_ladders`  ladder summaries         -> ev.ladders
  `ipv6probe_suspects` forwarder's suspects     -> ev.suspects
  `ipv6probe_stats`    forwarder counters       -> ev.stats
  `ipv6probe_classify(f,p)`  the classification lookup; the addresses of the
                       lab story are not in the shipped table, so it adds
                       nothing and fillnull writes "unclassified"
"""

import json
import time
from collections import defaultdict

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # `ipv6probe_time_format`
PANELS = {}


def panel(view, ds, spl):
    def register(fn):
        PANELS[(view, ds)] = (" ".join(spl.split()), fn)
        return fn
    return register


class Events:
    """The forwarder's --stdout output, split by sourcetype as Splunk would."""

    def __init__(self, text, host):
        self.events, self.ladders, self.suspects, self.stats = [], [], [], []
        kinds = {"ipv6probe:ladder": self.ladders, "ipv6probe:suspect": self.suspects,
                 "ipv6probe:stats": self.stats}
        for line in text.splitlines():
            o = json.loads(line)
            if "sourcetype" in o:
                rec = flatten(o["event"])
                rec["_time"] = o["time"]
                kinds[o["sourcetype"]].append(rec)
            else:
                rec = dict(o)
                rec["_time"] = o["time"]
                self.events.append(rec)
        for r in self.events + self.ladders + self.suspects + self.stats:
            r["host"] = host


def flatten(obj, prefix=""):
    """KV_MODE = json: {"tagged": {"x": 1}} gives the field tagged.x."""
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(flatten(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def unique(ev):
    # `ipv6probe_unique`: NOT duplicate_of=*
    return [e for e in ev.events if "duplicate_of" not in e]


def outbound(e):
    # `ipv6probe_is_outbound`: (direction=="outbound" OR ((direction=="forward"
    #                          OR direction=="unknown") AND isnotnull(src_pe)))
    d = e.get("direction")
    return d == "outbound" or (d in ("forward", "unknown") and "src_pe" in e)


def inbound(ev):
    # `ipv6probe_inbound`: `ipv6probe_unique` (direction="inbound" OR
    #                      ((direction="forward" OR direction="unknown") NOT src_pe=*))
    return [e for e in unique(ev) if e.get("direction") == "inbound"
            or (e.get("direction") in ("forward", "unknown") and "src_pe" not in e)]


def outbound_events(ev):
    # `ipv6probe_outbound`: `ipv6probe_unique` and `ipv6probe_is_outbound`
    return [e for e in unique(ev) if outbound(e)]


def mv(v):
    return v if isinstance(v, list) else ([] if v is None else [v])


def values(rows, field):
    """stats values(): distinct values, sorted as text."""
    return sorted({str(x) for r in rows for x in mv(r.get(field))})


def strftime(t):
    return time.strftime(TIME_FORMAT, time.gmtime(t)) if t is not None else None


def clock(t):
    """strftime(t, "%H:%M:%S.%3N")"""
    ms = int(round(t * 1000))
    return time.strftime("%H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)


def iso(t):
    """_time as Splunk's REST API returns it."""
    ms = int(round(t * 1000))
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + ".%03d+00:00" % (ms % 1000)


def group(rows, *keys):
    g = defaultdict(list)
    for r in rows:
        g[tuple(r.get(k) for k in keys)].append(r)
    return g


def fill(rows, value, *fields):
    return [{**r, **{f: r.get(f) if r.get(f) is not None else value for f in fields}} for r in rows]


def table(fields, rows):
    """A search result as the ds.test data source takes it: named columns."""
    return {"fields": [{"name": f} for f in fields],
            "columns": [[r.get(f) for r in rows] for f in fields]}


def one(**kv):
    return table(list(kv), [kv])


def dc(rows, field):
    return len({x for r in rows for x in mv(r.get(field))})


# ------------------------------------------------------------------ overview
OV = "ipv6probe_overview"


@panel(OV, "ds_probes", "`ipv6probe_inbound` | stats count AS probes")
def _(ev):
    return one(probes=len(inbound(ev)))


@panel(OV, "ds_sources", "`ipv6probe_inbound` | stats dc(src) AS sources")
def _(ev):
    return one(sources=dc(inbound(ev), "src"))


@panel(OV, "ds_ladders", "`ipv6probe_ladders` | stats dc(ladder_id) AS ladders")
def _(ev):
    return one(ladders=dc(ev.ladders, "ladder_id"))


@panel(OV, "ds_pe_targets", '`ipv6probe_inbound` dest_pe="true" | stats dc(dest) AS targets')
def _(ev):
    return one(targets=dc([e for e in inbound(ev) if e.get("dest_pe") is True], "dest"))


@panel(OV, "ds_who", '''`ipv6probe_inbound`
    | fillnull value="unclassified" src_org src_category
    | stats count AS probes dc(dest) AS targets dc(dest_port) AS ports values(src_behavior) AS behaviors
            values(transport) AS transport BY src src_org src_category
    | sort 0 - probes | head 20''')
def _(ev):
    rows = []
    for (src, org, cat), g in group(fill(inbound(ev), "unclassified", "src_org", "src_category"),
                                    "src", "src_org", "src_category").items():
        rows.append(dict(src=src, src_org=org, src_category=cat, probes=len(g), targets=dc(g, "dest"),
                         ports=dc(g, "dest_port"), behaviors=values(g, "src_behavior"),
                         transport=values(g, "transport")))
    rows.sort(key=lambda r: -r["probes"])
    return table(["src", "src_org", "src_category", "probes", "targets", "ports", "behaviors",
                  "transport"], rows[:20])


@panel(OV, "ds_by_category", '''`ipv6probe_inbound` | fillnull value="unclassified" src_category
    | stats count AS probes BY src_category | sort 0 - probes''')
def _(ev):
    rows = [dict(src_category=c, probes=len(g))
            for (c,), g in group(fill(inbound(ev), "unclassified", "src_category"), "src_category").items()]
    rows.sort(key=lambda r: -r["probes"])
    return table(["src_category", "probes"], rows)


@panel(OV, "ds_volume", '''`ipv6probe_inbound` | fillnull value="unclassified" src_category
    | timechart span=1h count BY src_category''')
def _(ev):
    rows = fill(inbound(ev), "unclassified", "src_category")
    cats = sorted({r["src_category"] for r in rows})
    start = min(int(r["_time"]) // 3600 for r in rows)
    end = max(int(r["_time"]) // 3600 for r in rows)
    counts = defaultdict(int)
    for r in rows:
        counts[(int(r["_time"]) // 3600, r["src_category"])] += 1
    out = [{"_time": iso(h * 3600), **{c: counts[(h, c)] for c in cats}} for h in range(start, end + 1)]
    return table(["_time"] + cats, out)


@panel(OV, "ds_behaviors", '''`ipv6probe_inbound` src_behavior=*
    | stats dc(src) AS sources count AS probes BY src_behavior | sort 0 - sources''')
def _(ev):
    by = defaultdict(list)
    for e in inbound(ev):
        for b in mv(e.get("src_behavior")):  # stats BY a multi-value field counts each value
            by[b].append(e)
    rows = [dict(src_behavior=b, sources=dc(g, "src"), probes=len(g)) for b, g in by.items()]
    rows.sort(key=lambda r: -r["sources"])
    return table(["src_behavior", "sources", "probes"], rows)


LADDERS = '''(`ipv6probe_ladders`) OR (`ipv6probe_events` ladder_id=*)
    | stats latest(src) AS src latest(dest) AS dest values(src_org) AS src_org values(src_category) AS src_category
            values(transport) AS transport max(rungs) AS rungs max(max_hop_limit) AS max_hop_limit max(max_gap) AS max_gap
            min(first_time) AS first_time max(last_time) AS last_time BY ladder_id
    | where isnotnull(rungs) | fillnull value="unclassified" src_org src_category | sort 0 - last_time
    | eval first_time=strftime(first_time, `ipv6probe_time_format`)'''


def ladders(ev):
    """Ladder summaries joined with their packet events: the summaries carry
    the shape (rungs, hop limits), the events the forwarder's classification."""
    recs = ev.ladders + [e for e in ev.events if e.get("ladder_id") is not None]
    rows = []
    for (lid,), g in group([{**r, "ladder_id": str(r["ladder_id"])} for r in recs], "ladder_id").items():
        last = max(g, key=lambda r: r["_time"])
        summ = [r for r in g if "rungs" in r]
        if not summ:
            continue
        rows.append(dict(ladder_id=lid, src=last["src"], dest=last["dest"],
                         src_org=values(g, "src_org") or "unclassified",
                         src_category=values(g, "src_category") or "unclassified",
                         transport=values(g, "transport"), rungs=max(r["rungs"] for r in summ),
                         max_hop_limit=max(r["max_hop_limit"] for r in summ),
                         max_gap=max(r["max_gap"] for r in summ),
                         first_time=min(r["first_time"] for r in summ),
                         last_time=max(r["last_time"] for r in summ)))
    rows.sort(key=lambda r: -r["last_time"])
    return [{**r, "first_time": strftime(r["first_time"])} for r in rows]


@panel(OV, "ds_recent_ladders", LADDERS + '''
    | table ladder_id src src_org src_category dest transport rungs max_hop_limit first_time | head 20''')
def _(ev):
    return table(["ladder_id", "src", "src_org", "src_category", "dest", "transport", "rungs",
                  "max_hop_limit", "first_time"], ladders(ev)[:20])


PE_PROBES = '''`ipv6probe_inbound` dest_pe="true" | fillnull value="unclassified" src_org src_category
    | stats count AS probes dc(dest) AS targets values(dest_port) AS dest_ports min(_time) AS first_seen
            max(_time) AS last_seen BY src src_org src_category
    | eval first_seen=strftime(first_seen, `ipv6probe_time_format`), last_seen=strftime(last_seen, `ipv6probe_time_format`)
    | sort 0 - targets - probes'''


def pe_probes(ev):
    rows = []
    pe = fill([e for e in inbound(ev) if e.get("dest_pe") is True], "unclassified", "src_org", "src_category")
    for (src, org, cat), g in group(pe, "src", "src_org", "src_category").items():
        rows.append(dict(src=src, src_org=org, src_category=cat, probes=len(g), targets=dc(g, "dest"),
                         dest_ports=values(g, "dest_port"),
                         first_seen=strftime(min(r["_time"] for r in g)),
                         last_seen=strftime(max(r["_time"] for r in g))))
    rows.sort(key=lambda r: (-r["targets"], -r["probes"]))
    return table(["src", "src_org", "src_category", "probes", "targets", "dest_ports", "first_seen",
                  "last_seen"], rows)


panel(OV, "ds_pe_probes", PE_PROBES)(pe_probes)

# ------------------------------------------------------------ ladder explorer
LE = "ipv6probe_ladder_explorer"


def ladder_list(ev):
    rows = []
    for (lid,), g in group(ev.ladders, "ladder_id").items():
        last = max(g, key=lambda r: r["_time"])
        rows.append(dict(ladder_id=str(lid), src=last["src"], dest=last["dest"],
                         last_time=max(r["last_time"] for r in g), rungs=max(r["rungs"] for r in g)))
    rows.sort(key=lambda r: (-r["rungs"], -r["last_time"]))
    for r in rows[:200]:
        r["label"] = f'{r["src"]} to {r["dest"]} ({r["rungs"]} rungs)'
    return rows[:200]


@panel(LE, "ds_ladder_list", '''`ipv6probe_ladders` | stats latest(src) AS src latest(dest) AS dest
    max(last_time) AS last_time max(rungs) AS rungs BY ladder_id | sort 0 - rungs - last_time | head 200
    | eval label=src." to ".dest." (".rungs." rungs)" | table label ladder_id''')
def _(ev):
    return table(["label", "ladder_id"], ladder_list(ev))


def selected(ev):
    """$ladder$: the dropdown selects its first search result."""
    return ladder_list(ev)[0]["ladder_id"]


@panel(LE, "ds_all_ladders", LADDERS + '''
    | table ladder_id src src_org src_category dest transport rungs max_hop_limit max_gap first_time''')
def _(ev):
    return table(["ladder_id", "src", "src_org", "src_category", "dest", "transport", "rungs",
                  "max_hop_limit", "max_gap", "first_time"], ladders(ev))


def ladder_events(ev):
    # `ipv6probe_ladder($ladder$)`: the packet events carrying that ladder_id
    lid = selected(ev)
    return sorted((e for e in ev.events if str(e.get("ladder_id")) == lid), key=lambda e: e["_time"])


@panel(LE, "ds_hops", "`ipv6probe_ladder($ladder$)` | sort 0 _time | table _time hop_limit")
def _(ev):
    return table(["_time", "hop_limit"],
                 [{"_time": iso(e["_time"]), "hop_limit": e["hop_limit"]} for e in ladder_events(ev)])


@panel(LE, "ds_rungs", '''`ipv6probe_ladder($ladder$)`
    | stats count AS probes min(_time) AS first max(_time) AS last values(transport) AS transport BY ladder_rung hop_limit
    | eval first=strftime(first, "%H:%M:%S.%3N"), last=strftime(last, "%H:%M:%S.%3N")
    | sort 0 ladder_rung''')
def _(ev):
    rows = [dict(ladder_rung=k[0], hop_limit=k[1], probes=len(g), first=clock(min(e["_time"] for e in g)),
                 last=clock(max(e["_time"] for e in g)), transport=values(g, "transport"))
            for k, g in group(ladder_events(ev), "ladder_rung", "hop_limit").items()]
    rows.sort(key=lambda r: r["ladder_rung"])
    return table(["ladder_rung", "hop_limit", "probes", "first", "last", "transport"], rows)


@panel(LE, "ds_probes", '''`ipv6probe_ladder($ladder$)` | sort 0 _time | eval time=strftime(_time, "%H:%M:%S.%3N")
    | table time transport hop_limit ladder_rung ladder_repeat icmp_seq dest_port action''')
def _(ev):
    rows = [{**e, "time": clock(e["_time"])} for e in ladder_events(ev)]
    return table(["time", "transport", "hop_limit", "ladder_rung", "ladder_repeat", "icmp_seq",
                  "dest_port", "action"], rows)

# ------------------------------------------------------------------ harvester
HV = "ipv6probe_harvester"


def temporary(rows):
    """Local addresses the forwarder tagged temporary in any event.  The tag
    on one event says what the tracker knew then: the first addresses of a
    /64 are seen before their rotation shows, so their early contacts carry
    src_pe=false; eventstats over all events gets them right."""
    out = set()
    for e in rows:
        if e.get("src_pe") is True or e.get("dest_pe") is True:
            out.add(e["src"] if outbound(e) else e["dest"])
    return out


def harvest_rows(ev, suspect="*"):
    # (`ipv6probe_inbound` dest_pe="true") OR (`ipv6probe_outbound` [dest="$suspect$"])
    probes = [e for e in inbound(ev) if e.get("dest_pe") is True]
    contacts = [e for e in outbound_events(ev) if suspect == "*" or e.get("dest") == suspect]
    return probes + contacts


@panel(HV, "ds_suspects", '''(`ipv6probe_inbound` dest_pe="true") OR (`ipv6probe_outbound`)
    | eval outgoing=if(`ipv6probe_is_outbound`, 1, 0)
    | eval local=if(outgoing==1, src, dest), remote=if(outgoing==1, dest, null())
    | eventstats min(eval(if(outgoing==0, _time, null()))) AS first_probe
                 max(eval(if(src_pe=="true" OR dest_pe=="true", 1, 0))) AS temporary BY local
    | where outgoing==1 AND temporary==1
    | stats min(_time) AS first_contact max(first_probe) AS first_probe BY remote local
    | eval probed=if(isnull(first_probe), 0, 1), before=if(probed==1 AND first_contact<first_probe, 1, 0)
    | eventstats dc(eval(if(probed==1, local, null()))) AS probed_targets
    | stats sum(before) AS contacted_targets sum(eval(1-probed)) AS never_probed_contacts min(first_contact) AS first_contact
            max(probed_targets) AS probed_targets BY remote
    | where contacted_targets>0
    | eval score=round((contacted_targets/(contacted_targets+never_probed_contacts))*(contacted_targets/probed_targets), 4)
    | rename remote AS suspect
    | `ipv6probe_classify(suspect,suspect)`
    | fillnull value="unclassified" suspect_org suspect_category
    | eval first_contact=strftime(first_contact, `ipv6probe_time_format`)
    | table suspect suspect_org suspect_category score contacted_targets probed_targets never_probed_contacts first_contact
    | sort 0 - score''')
def _(ev):
    rows = harvest_rows(ev)
    temp = temporary(rows)
    sel = [e for e in rows if not outbound(e) or e["src"] in temp]
    first_probe = {}
    for e in sel:
        if not outbound(e):
            first_probe[e["dest"]] = min(first_probe.get(e["dest"], e["_time"]), e["_time"])
    pairs = {}
    for e in sel:
        if outbound(e):
            k = (e["dest"], e["src"])
            pairs[k] = min(pairs.get(k, e["_time"]), e["_time"])
    probed_targets = len({local for (_, local) in pairs if local in first_probe})
    by_remote = defaultdict(lambda: {"before": 0, "never": 0, "first": None})
    for (remote, local), first_contact in pairs.items():
        fp = first_probe.get(local)
        r = by_remote[remote]
        r["before"] += 1 if fp is not None and first_contact < fp else 0
        r["never"] += 1 if fp is None else 0
        r["first"] = first_contact if r["first"] is None else min(r["first"], first_contact)
    rows = []
    for remote, r in by_remote.items():
        c, n = r["before"], r["never"]
        if c > 0:
            rows.append(dict(suspect=remote, suspect_org="unclassified", suspect_category="unclassified",
                             score=round((c / (c + n)) * (c / probed_targets), 4), contacted_targets=c,
                             probed_targets=probed_targets, never_probed_contacts=n,
                             first_contact=strftime(r["first"])))
    rows.sort(key=lambda r: -r["score"])
    return table(["suspect", "suspect_org", "suspect_category", "score", "contacted_targets",
                  "probed_targets", "never_probed_contacts", "first_contact"], rows)


@panel(HV, "ds_fwd_suspects", '''`ipv6probe_suspects`
    | stats latest(score) AS score latest(contacted_targets) AS contacted_targets latest(probed_targets) AS probed_targets
            latest(never_probed_contacts) AS never_probed_contacts min(first_contact) AS first_contact BY suspect
    | `ipv6probe_classify(suspect,suspect)` | fillnull value="unclassified" suspect_org suspect_category
    | eval first_contact=strftime(first_contact, `ipv6probe_time_format`)
    | table suspect suspect_org suspect_category score contacted_targets probed_targets never_probed_contacts first_contact
    | sort 0 - score''')
def _(ev):
    rows = []
    for (s,), g in group(ev.suspects, "suspect").items():
        last = max(g, key=lambda r: r["_time"])  # latest(): the record with the latest _time
        rows.append(dict(suspect=s, suspect_org="unclassified", suspect_category="unclassified",
                         score=last["score"], contacted_targets=last["contacted_targets"],
                         probed_targets=last["probed_targets"],
                         never_probed_contacts=last["never_probed_contacts"],
                         first_contact=strftime(min(r["first_contact"] for r in g))))
    rows.sort(key=lambda r: -r["score"])
    return table(["suspect", "suspect_org", "suspect_category", "score", "contacted_targets",
                  "probed_targets", "never_probed_contacts", "first_contact"], rows)


@panel(HV, "ds_contacts", '''(`ipv6probe_outbound` dest="$suspect$") OR (`ipv6probe_inbound` dest_pe="true")
    | eval outgoing=if(`ipv6probe_is_outbound`, 1, 0) | eval local=if(outgoing==1, src, dest)
    | eventstats max(eval(if(src_pe=="true" OR dest_pe=="true", 1, 0))) AS temporary BY local | where temporary==1
    | stats min(eval(if(outgoing==1, _time, null()))) AS first_contact
            min(eval(if(outgoing==0, _time, null()))) AS first_probe
            values(eval(if(outgoing==0, src, null()))) AS probed_by BY local
    | where isnotnull(first_contact)
    | eval probed_after_contact=if(isnotnull(first_probe) AND first_probe>first_contact, "yes", "no"),
           lead_days=round((first_probe-first_contact)/86400, 1)
    | sort 0 first_contact
    | eval first_contact=strftime(first_contact, `ipv6probe_time_format`), first_probe=strftime(first_probe, `ipv6probe_time_format`)
    | table local first_contact first_probe probed_after_contact lead_days probed_by''')
def _(ev):
    # $suspect$ is the text input's default, "*": every remote host
    rows = harvest_rows(ev)
    temp = temporary(rows)
    sel = [e for e in rows if (e["src"] if outbound(e) else e["dest"]) in temp]
    rows = []
    for local, g in group([{**e, "local": e["src"] if outbound(e) else e["dest"]} for e in sel], "local").items():
        contacts = [e["_time"] for e in g if outbound(e)]
        probes = [e for e in g if not outbound(e)]
        if not contacts:
            continue
        fc, fp = min(contacts), min((e["_time"] for e in probes), default=None)
        rows.append(dict(local=local[0], first_contact=fc, first_probe=fp,
                         probed_after_contact="yes" if fp is not None and fp > fc else "no",
                         lead_days=round((fp - fc) / 86400, 1) if fp is not None else None,
                         probed_by=values(probes, "src")))
    rows.sort(key=lambda r: r["first_contact"])
    for r in rows:
        r["first_contact"], r["first_probe"] = strftime(r["first_contact"]), strftime(r["first_probe"])
    return table(["local", "first_contact", "first_probe", "probed_after_contact", "lead_days",
                  "probed_by"], rows)


@panel(HV, "ds_pe_chart", '''`ipv6probe_inbound` dest_pe="true" | fillnull value="unclassified" src_org
    | stats dc(dest) AS targets count AS probes BY src src_org | table src targets probes | sort 0 - targets''')
def _(ev):
    pe = fill([e for e in inbound(ev) if e.get("dest_pe") is True], "unclassified", "src_org")
    rows = [dict(src=s, targets=dc(g, "dest"), probes=len(g)) for (s, o), g in group(pe, "src", "src_org").items()]
    rows.sort(key=lambda r: -r["targets"])
    return table(["src", "targets", "probes"], rows)


panel(HV, "ds_pe_probes", PE_PROBES)(pe_probes)

# ----------------------------------------------------------- forwarder health
FH = "ipv6probe_forwarder_health"
COUNTERS = ("lines", "events", "not_firewall", "malformed", "dropped", "output_errors")


def latest_by_host(ev):
    return {h: max(g, key=lambda r: r["_time"]) for (h,), g in group(ev.stats, "host").items()}


@panel(FH, "ds_latest", '''`ipv6probe_stats`
    | stats latest(lines) AS lines latest(events) AS events latest(not_firewall) AS not_firewall
            latest(malformed) AS malformed latest(dropped) AS dropped latest(output_errors) AS output_errors BY host
    | stats sum(lines) AS lines sum(events) AS events sum(not_firewall) AS not_firewall sum(malformed) AS malformed
            sum(dropped) AS dropped sum(output_errors) AS output_errors''')
def _(ev):
    last = latest_by_host(ev).values()
    return one(**{c: sum(r[c] for r in last) for c in COUNTERS})


@panel(FH, "ds_forwarders", '''`ipv6probe_stats`
    | stats latest(_time) AS last_report latest(uptime_s) AS uptime_s latest(lines) AS lines latest(events) AS events
            latest(not_firewall) AS not_firewall latest(malformed) AS malformed latest(cut) AS cut latest(dropped) AS dropped
            latest(queue_depth) AS queue_depth latest(output_errors) AS output_errors BY host
    | eval silent_minutes=round((now()-last_report)/60, 1),
           status=case(silent_minutes>15, "silent", dropped>0, "dropped lines", output_errors>0, "output errors",
                       malformed>0, "malformed lines", true(), "ok")
    | eval last_report=strftime(last_report, `ipv6probe_time_format`)
    | table host status last_report uptime_s lines events not_firewall malformed cut dropped queue_depth output_errors''')
def _(ev):
    rows = []
    for h, r in sorted(latest_by_host(ev).items()):
        silent = round((time.time() - r["_time"]) / 60, 1)
        status = ("silent" if silent > 15 else "dropped lines" if r["dropped"] > 0 else
                  "output errors" if r["output_errors"] > 0 else
                  "malformed lines" if r["malformed"] > 0 else "ok")
        rows.append({**r, "status": status, "last_report": strftime(r["_time"])})
    return table(["host", "status", "last_report", "uptime_s", "lines", "events", "not_firewall",
                  "malformed", "cut", "dropped", "queue_depth", "output_errors"], rows)


@panel(FH, "ds_lines", '''`ipv6probe_stats` | sort 0 host _time
    | streamstats current=f window=1 last(lines) AS p_lines last(events) AS p_events last(not_firewall) AS p_not_firewall
            last(malformed) AS p_malformed BY host
    | eval restarted=if(isnotnull(p_lines) AND lines<p_lines, 1, 0)
    | eval events_delta=if(isnull(p_events) OR restarted==1, events, events-p_events),
           not_firewall_delta=if(isnull(p_not_firewall) OR restarted==1, not_firewall, not_firewall-p_not_firewall),
           malformed_delta=if(isnull(p_malformed) OR restarted==1, malformed, malformed-p_malformed)
    | chart sum(events_delta) AS "firewall events" sum(not_firewall_delta) AS "other lines"
            sum(malformed_delta) AS "malformed lines" OVER _time''')
def _(ev):
    sums = defaultdict(lambda: [0, 0, 0])
    for (h,), g in group(ev.stats, "host").items():
        prev = None
        for r in sorted(g, key=lambda r: r["_time"]):
            restarted = prev is not None and r["lines"] < prev["lines"]
            base = None if prev is None or restarted else prev
            s = sums[r["_time"]]
            for i, c in enumerate(("events", "not_firewall", "malformed")):
                s[i] += r[c] - (base[c] if base else 0)
            prev = r
    rows = [{"_time": iso(t), "firewall events": s[0], "other lines": s[1], "malformed lines": s[2]}
            for t, s in sorted(sums.items())]
    return table(["_time", "firewall events", "other lines", "malformed lines"], rows)


@panel(FH, "ds_tagged", '''`ipv6probe_stats` | stats latest(tagged.*) AS tagged.* BY host
    | untable host tag events | eval tag=replace(tag, "^tagged\\.", "")
    | stats sum(events) AS events BY tag | sort 0 - events''')
def _(ev):
    sums = defaultdict(int)
    for r in latest_by_host(ev).values():
        for k, v in r.items():
            if k.startswith("tagged."):
                sums[k[len("tagged."):]] += v
    rows = sorted(({"tag": k, "events": v} for k, v in sums.items()), key=lambda r: (-r["events"], r["tag"]))
    return table(["tag", "events"], rows)


@panel(FH, "ds_cumulative", "`ipv6probe_stats` | chart max(lines) AS lines OVER _time BY host")
def _(ev):
    hosts = sorted({r["host"] for r in ev.stats})
    by_t = defaultdict(dict)
    for r in ev.stats:
        by_t[r["_time"]][r["host"]] = max(by_t[r["_time"]].get(r["host"], 0), r["lines"])
    return table(["_time"] + hosts, [{"_time": iso(t), **v} for t, v in sorted(by_t.items())])


@panel(FH, "ds_outputs", '''`ipv6probe_stats` | stats latest(output_*_records) AS *_records latest(output_*_errors) AS *_errors BY host
    | untable host counter value | rex field=counter "^(?<output>[a-z]+)_(?<what>records|errors)$"
    | where isnotnull(output) | chart sum(value) OVER output BY what''')
def _(ev):
    import re
    sums = defaultdict(lambda: {"errors": 0, "records": 0})
    for r in latest_by_host(ev).values():
        for k, v in r.items():
            m = re.match(r"^output_([a-z]+)_(records|errors)$", k)
            if m:
                sums[m.group(1)][m.group(2)] += v
    return table(["output", "errors", "records"], [{"output": o, **v} for o, v in sorted(sums.items())])

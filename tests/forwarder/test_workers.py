#!/usr/bin/env python3
"""One worker and four give the same records in the same order.

The lab story (tests/splunk/studio/story.py: temporary addresses, hop-limit
ladders, a sweep, a port scan, a harvester's probes; three weeks of it, with
packets logged twice and lines that are not events) and the benchmark mix
(tests/bench/gen_netfilter.py) go through ipv6probe-forward --stdout
--unparsed=raw with --workers 1 and --workers 4:

  - from a file, with small batches (many batches in flight at once): every
    record, events, unparsed lines, ladder summaries and suspects, the same
    and in the same place;
  - through a pipe written in chunks of random size, so the batches end at
    other lines: the events the same and in the same order, and the ladder
    summaries and suspects the same and in the same order among themselves
    (where they fall between events follows the batches, which a pipe cuts
    as the lines arrive).

packet_id, duplicate_of and ladder_id are keyed by a secret drawn per run,
so each is renumbered by its first appearance: the runs must agree on which
records share an id (and which packet a duplicate points to), not on the
numbers.  Before comparing, the comparison is shown to catch one event
tagged differently and two events swapped.

    test_workers.py FORWARDER
"""

import json
import os
import random
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "splunk", "studio"))
import story  # noqa: E402

GEN = os.path.join(HERE, "..", "bench", "gen_netfilter.py")
ID_SPACES = {"packet_id": "packet", "duplicate_of": "packet", "ladder_id": "ladder"}
SIDE = ("ipv6probe:ladder", "ipv6probe:suspect")


def story_lines():
    """Three weeks of the story, some inbound packets logged by a second
    rule (duplicates), and lines that are no events."""
    out = []
    for week in range(3):
        story.BASE = 1795132800 + week * 7 * 86400
        s = story.Story()
        s.rnd.seed(17 + week)
        out += s.build()
    lines = []
    for i, line in enumerate(out):
        lines.append(line)
        if i % 7 == 3 and "IN-DROP:" in line:
            lines.append(line.replace("IN-DROP:", "IN-LOG:"))
        if i % 97 == 50:
            lines.append(line[:line.index("SRC=") + 9])  # cut inside SRC=: malformed
    return lines


def bench_lines(n):
    text = subprocess.run([sys.executable, GEN, "-n", str(n), "--seed", "16"], check=True,
                          capture_output=True, text=True).stdout
    return text.splitlines()


def run(forwarder, workdir, name, workers, lines, cfg, pipe):
    args = [forwarder, "-c", cfg, "--stdout", "--unparsed=raw", "--workers", str(workers)]
    err_path = os.path.join(workdir, f"{name}-{workers}.err")
    with open(err_path, "w") as err:
        if pipe:
            p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
            data = ("\n".join(lines) + "\n").encode()
            rnd = random.Random(workers)
            import threading
            chunks = []
            t = threading.Thread(target=lambda: chunks.append(p.stdout.read()))
            t.start()
            i = 0
            while i < len(data):
                n = rnd.randrange(1, 9000)
                p.stdin.write(data[i:i + n])
                p.stdin.flush()
                i += n
            p.stdin.close()
            t.join()
            rc = p.wait(timeout=600)
            out = chunks[0]
        else:
            path = os.path.join(workdir, f"{name}.log")
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")
            r = subprocess.run(args + [path], stdout=subprocess.PIPE, stderr=err, timeout=600)
            rc, out = r.returncode, r.stdout
    with open(err_path) as f:
        err_text = f.read()
    if rc != 0:
        sys.exit(f"FAIL: {name} with {workers} workers exited {rc}: {err_text[-2000:]}")
    return [json.loads(l) for l in out.decode().splitlines()], err_text


def renumber(records):
    """The records with every id replaced by the order of its first
    appearance in its space (packet ids and duplicate_of share one)."""
    seen = {"packet": {}, "ladder": {}}

    def walk(v, key=None):
        if isinstance(v, dict):
            return {k: walk(x, k) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        if key in ID_SPACES and isinstance(v, int):
            ids = seen[ID_SPACES[key]]
            return "#%d" % ids.setdefault(v, len(ids))
        return v

    return [json.dumps(walk(r), sort_keys=True) for r in records]


def is_side(r):
    return r.get("sourcetype") in SIDE


def canonical(records, whole):
    """whole: one sequence; else the events and unparsed lines, then the
    side records on their own (ids renumbered across both, events first)."""
    if whole:
        return renumber(records)
    return renumber([r for r in records if not is_side(r)] + [r for r in records if is_side(r)])


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i, x, y
    if len(a) != len(b):
        return min(len(a), len(b)), "(%d records)" % len(a), "(%d records)" % len(b)
    return None


def summary_line(err):
    return [l for l in err.splitlines() if " lines read, " in l]


def check(forwarder, workdir, name, lines, cfg, pipe):
    one, err1 = run(forwarder, workdir, name, 1, lines, cfg, pipe)
    four, err4 = run(forwarder, workdir, name, 4, lines, cfg, pipe)
    kinds = {}
    for r in one:
        k = r.get("sourcetype", "unparsed" if "unparsed" in r else "event")
        kinds[k] = kinds.get(k, 0) + 1
    a, b = canonical(one, not pipe), canonical(four, not pipe)
    d = first_difference(a, b)
    if d:
        i, x, y = d
        sys.exit(f"FAIL: {name}: record {i} differs\n  1 worker:  {x}\n  4 workers: {y}")
    if summary_line(err1) != summary_line(err4) or not summary_line(err1):
        sys.exit(f"FAIL: {name}: counts differ: {summary_line(err1)} {summary_line(err4)}")
    print(f"ok {name}: {len(one)} records the same ({kinds})")
    return one


def self_check(records):
    """The comparison sees one event tagged differently and two swapped."""
    base = canonical(records, True)
    evs = [i for i, r in enumerate(records) if "packet_id" in r and "tags" in r]
    if len(evs) < 2:
        sys.exit("FAIL: no tagged events to check the comparison with")
    changed = [dict(r) for r in records]
    changed[evs[0]]["tags"] = changed[evs[0]]["tags"] + ["x"]
    swapped = list(records)
    i = next(k for k in range(len(records) - 1)
             if "packet_id" in records[k] and "packet_id" in records[k + 1]
             and renumber([records[k]]) != renumber([records[k + 1]]))
    swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    for what, other in (("a changed tag", changed), ("two events swapped", swapped)):
        if first_difference(base, canonical(other, True)) is None:
            sys.exit(f"FAIL: the comparison misses {what}")
    # Two records swapping their packet ids (the grouping changes) is seen too.
    regrouped = [dict(r) for r in records]
    p = [k for k, r in enumerate(records) if "packet_id" in r]
    regrouped[p[0]]["packet_id"], regrouped[p[1]]["packet_id"] = (
        regrouped[p[1]]["packet_id"], regrouped[p[0]]["packet_id"])
    dup = [k for k, r in enumerate(records) if "duplicate_of" in r]
    if dup:
        regrouped[dup[0]]["duplicate_of"] = records[p[0]]["packet_id"] + 1
    if first_difference(base, canonical(regrouped, True)) is None and dup:
        sys.exit("FAIL: the comparison misses a duplicate pointing elsewhere")
    print("ok the comparison catches a changed tag, a swap and a wrong duplicate_of")


def main():
    forwarder = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix=f"v6p-workers-{os.getpid()}-") as wd:
        table = os.path.join(wd, "site-classification.yaml")
        with open(table, "w") as f:
            f.write(story.CLASSIFICATION)
        small = os.path.join(wd, "small.yaml")
        with open(small, "w") as f:
            f.write(f"internal_prefixes:\n  - {story.SITE}\nclassification:\n  tables:\n"
                    f"    - {table}\nparser:\n  max_line: 1024\npipeline:\n  batch_bytes: 4096\n")
        plain = os.path.join(wd, "plain.yaml")
        with open(plain, "w") as f:
            f.write("parser:\n  max_line: 1024\npipeline:\n  batch_bytes: 64KiB\n")
        lab = story_lines()
        recs = check(forwarder, wd, "story", lab, small, False)
        if not any(is_side(r) and r["sourcetype"] == "ipv6probe:ladder" for r in recs) or \
                not any(is_side(r) and r["sourcetype"] == "ipv6probe:suspect" for r in recs) or \
                not any("duplicate_of" in r for r in recs):
            sys.exit("FAIL: the story gave no ladder summary, suspect or duplicate")
        if is_side(recs[-1]) and all(is_side(r) for r in recs[-30:]):
            sys.exit("FAIL: the side records all come at the end: nothing between batches")
        self_check(recs)
        check(forwarder, wd, "story-pipe", lab, small, True)
        if max(len(l) for l in lab) > 1000:
            sys.exit("FAIL: a story line is longer than max_line")
        mix = bench_lines(50000)
        if max(len(l) for l in mix) > 1000:
            sys.exit("FAIL: a benchmark line is longer than max_line")
        check(forwarder, wd, "mix", mix, plain, False)
        check(forwarder, wd, "mix-small-batches", mix, small, False)
        check(forwarder, wd, "mix-pipe", mix, small, True)


if __name__ == "__main__":
    main()

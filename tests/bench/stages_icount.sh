#!/bin/sh
# Instructions per line of each of the forwarder's stages (bench_stages -i
# under callgrind): the steady counterpart of bench_stages' timings on a
# machine too busy for timings to mean much.
#
#   tests/bench/stages_icount.sh BUILD FILE...
#
# Per file: each stage's instructions per line, cumulative and its own (the
# difference with the stage before; "parse" replaces "frame", so its own is
# the body after the framing; "forward" is the whole worker the forwarder's
# way, against "write").  Under valgrind the two loads of the shipped classification take
# about a minute, and 20,000 lines another minute or two per file.
set -eu
[ $# -ge 2 ] || { echo "usage: stages_icount.sh BUILD FILE..." >&2; exit 2; }
build=$(cd "$1" && pwd)
shift
command -v valgrind >/dev/null || { echo "stages_icount: valgrind not found" >&2; exit 1; }
ninja -C "$build" tests/bench/bench_stages >/dev/null
d=$(mktemp -d "${TMPDIR:-/tmp}/v6p-stages.XXXXXX")
trap 'rm -rf "$d"' EXIT
for f in "$@"; do
    rm -f "$d"/cg.*
    valgrind --tool=callgrind --callgrind-out-file="$d/cg" \
        "$build/tests/bench/bench_stages" -i "$f" >/dev/null 2>"$d/log" ||
        { cat "$d/log" >&2; exit 1; }
    lines=$(wc -l <"$f")
    echo "file: $f, $lines lines; instructions per line"
    # Each dump names its stage ("desc: Trigger: Client Request: stage NAME")
    # and carries its count ("summary: N"); dumps are numbered in order.
    i=1
    while [ -f "$d/cg.$i" ]; do
        sed -n 's/^desc: Trigger: Client Request: stage //p; s/^summary: //p' "$d/cg.$i" | paste -sd' '
        i=$((i + 1))
    done | awk -v n="$lines" '
        BEGIN { printf "  %-9s %10s %10s\n", "stage", "cumulative", "this stage" }
        { per = $2 / n
          if ($1 == "forward") { printf "  %-9s %10.0f %10s (%+.0f against write)\n", $1, per, "", per - w; next }
          printf "  %-9s %10.0f %10.0f\n", $1, per, per - prev; prev = per; if ($1 == "write") w = per }'
done

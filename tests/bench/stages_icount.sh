#!/bin/sh
# Instructions per line of each of the forwarder's stages (bench_stages -i
# under callgrind): the steady counterpart of bench_stages' timings on a
# machine too busy for timings to mean much.
#
#   tests/bench/stages_icount.sh BUILD|BENCH_STAGES FILE...
#
# Per file: each stage's instructions per line, cumulative and its own (the
# difference with the stage before; "parse" replaces "frame", so its own is
# the body after the framing; "forward" is the whole worker the forwarder's
# way, against "write").  Under valgrind the two loads of the shipped classification take
# about a minute, and 20,000 lines another minute or two per file.
set -eu
[ $# -ge 2 ] || { echo "usage: stages_icount.sh BUILD|BENCH_STAGES FILE..." >&2; exit 2; }
command -v valgrind >/dev/null || { echo "stages_icount: valgrind not found" >&2; exit 1; }
if [ -f "$1" ]; then
    prog=$1 # a bench_stages built elsewhere (README.md: a tree without it)
else
    ninja -C "$1" tests/bench/bench_stages >/dev/null
    prog=$(cd "$1" && pwd)/tests/bench/bench_stages
fi
shift
d=$(mktemp -d "${TMPDIR:-/tmp}/v6p-stages.XXXXXX")
trap 'rm -rf "$d"' EXIT
for f in "$@"; do
    rm -f "$d"/cg.*
    valgrind --tool=callgrind --callgrind-out-file="$d/cg" \
        "$prog" -i "$f" >/dev/null 2>"$d/log" ||
        { cat "$d/log" >&2; exit 1; }
    lines=$(wc -l <"$f")
    echo "file: $f, $lines lines; per line"
    # Each dump names its stage ("desc: Trigger: Client Request: stage NAME")
    # and carries its count ("summary: N"); dumps are numbered in order.
    i=1
    while [ -f "$d/cg.$i" ]; do
        sed -n 's/^desc: Trigger: Client Request: stage //p; s/^summary: //p' \
            "$d/cg.$i" | paste -sd' '
        i=$((i + 1))
    done | awk -v n="$lines" '
        BEGIN { printf "  %-9s %12s %12s\n", "stage", "instructions", "this stage" }
        { ir = $NF / n
          if ($1 == "forward") {
              printf "  %-9s %12.0f %12s   the forwarder'"'"'s way, against write\n", $1, ir, sprintf("(%+.0f)", ir - w)
              next }
          printf "  %-9s %12.0f %12.0f\n", $1, ir, ir - prev; prev = ir; if ($1 == "write") w = ir }'
done

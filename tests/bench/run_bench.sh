#!/bin/sh
# The speed benchmark: ipv6probe's parse and parse + JSON against syslog-ng's
# kv-parser() with JSON output, on the same generated file.
#
#   tests/bench/run_bench.sh [--build DIR | --bench-parse PATH] [--lines N]
#                            [--runs N] [--cpu N] [--no-syslog-ng]
#
# The file (1,000,000 lines by default) is generated once and kept in
# $V6P_BENCH_CACHE (default ${TMPDIR:-/tmp}/ipv6probe-bench), keyed by the
# generator's text, so a second run measures straight away.  Everything runs
# pinned to one core (--cpu, default 1) with the file in the page cache.
# syslog-ng runs through sng_rate.sh (its configs and how it is measured are
# described there).
#
# Build DIR as a release with link-time optimization, which lets the field
# writer's and the framing's small functions be inlined into the parser
# (about 5% here; the figures in README.md say which build gave them):
#
#   meson setup DIR --buildtype=release -Db_lto=true
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build="$top/build"
bench_parse=
lines=1000000
runs=5
cpu=1
with_sng=1
seed=6

while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --bench-parse) bench_parse=$2; shift 2 ;;
    --lines) lines=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --no-syslog-ng) with_sng=0; shift ;;
    -h|--help) sed -n "2,16p" "$0"; exit 0 ;;
    *) echo "run_bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

if [ -z "$bench_parse" ]; then
    ninja -C "$build" tests/bench/bench_parse >/dev/null
    bench_parse="$build/tests/bench/bench_parse"
    opts="$build/meson-info/intro-buildoptions.json"
    if [ -f "$opts" ] && ! python3 -c 'import json, sys
o = {x["name"]: x["value"] for x in json.load(open(sys.argv[1]))}
sys.exit(0 if o.get("b_lto") and o.get("buildtype") == "release" else 1)' "$opts"; then
        echo "note: $build is not a release build with -Db_lto=true (see the top of $0)" >&2
    fi
fi

pin=
if command -v taskset >/dev/null 2>&1 && taskset -c "$cpu" true 2>/dev/null; then
    pin="taskset -c $cpu"
else
    echo "note: cannot pin to CPU $cpu; running unpinned" >&2
fi

cache=${V6P_BENCH_CACHE:-${TMPDIR:-/tmp}/ipv6probe-bench}
mkdir -p "$cache"
key=$(cat "$here/gen_netfilter.py" | cksum | cut -d' ' -f1)
data="$cache/netfilter-$lines-s$seed-$key.log"
if [ ! -s "$data" ]; then
    echo "generating $lines lines into $data"
    python3 "$here/gen_netfilter.py" -n "$lines" --seed "$seed" -o "$data.tmp"
    mv "$data.tmp" "$data"
fi
cat "$data" >/dev/null # into the page cache

echo "== ipv6probe (bench_parse, pinned to CPU $cpu)"
out=$($pin "$bench_parse" -r "$runs" "$data")
echo "$out"
rate_of() { echo "$out" | sed -n "s/^$1: \([0-9,]*\) lines.*/\1/p" | tr -d ,; }
parse_rate=$(rate_of parse-only)
json_rate=$(rate_of parse+json)

# run_sng NAME: one pass of the file through syslog-ng (sng_rate.sh); sets
# sng_rate (lines per CPU-second).
run_sng() {
    sng_out=$("$here/sng_rate.sh" $cpu_opt "$1" "$data")
    echo "$sng_out"
    sng_rate=$(echo "$sng_out" | sed -n 's/.* \([0-9]*\) lines per CPU-second.*/\1/p')
}

sng_rate=
sng_plain=
if [ "$with_sng" = 1 ] && command -v syslog-ng >/dev/null 2>&1; then
    echo "== syslog-ng $(syslog-ng --version | sed -n 's/^Installer-Version: //p') (syslog-parser + kv-parser -> format-json, pinned to CPU $cpu)"
    cpu_opt=
    [ -n "$pin" ] && cpu_opt="--cpu $cpu"
    # plain: the file source's defaults and the whole rfc5424 scope, MESSAGE
    # included.
    run_sng plain
    sng_plain=$sng_rate
    # tuned: large fetches and windows, and no MESSAGE (ours carries no raw
    # line either).  The target is checked against this, the faster one.
    run_sng tuned
fi

echo "== summary"
check() { # label value target
    if [ "$2" -ge "$3" ]; then echo "$1: met"; else echo "$1: NOT met"; fi
}
# Thousands separators without depending on the locale.
fmt() { echo "$1" | awk '{ s = sprintf("%d", $1); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } print s o }'; }
echo "parse-only: $(fmt "$parse_rate") lines/s (median of $runs); target >= 3,000,000: $(check x "$parse_rate" 3000000 | cut -d' ' -f2-)"
echo "parse+json: $(fmt "$json_rate") lines/s (median of $runs); target >= 1,000,000: $(check x "$json_rate" 1000000 | cut -d' ' -f2-)"
if [ -n "$sng_rate" ]; then
    # bench_parse reports lines per CPU-second of its one thread.
    ratio=$(echo "$json_rate $sng_rate" | awk '{ printf "%.1f", $1 / $2 }')
    ratio_plain=$(echo "$json_rate $sng_plain" | awk '{ printf "%.1f", $1 / $2 }')
    met=$(echo "$ratio" | awk '{ print ($1 >= 20) ? "met" : "NOT met" }')
    echo "syslog-ng: $(fmt "$sng_rate") lines per CPU-second tuned, $(fmt "$sng_plain") plain"
    echo "ratio parse+json / syslog-ng tuned (lines per CPU-second): ${ratio}x; target >= 20x: $met"
    echo "ratio parse+json / syslog-ng plain (lines per CPU-second): ${ratio_plain}x"
fi

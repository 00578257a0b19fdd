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
# syslog-ng runs in the foreground with its own config, persist file, pid
# file and control socket in a scratch directory, so a system syslog-ng (or
# rsyslog) is not touched; its CPU time is read from /proc when its output
# holds every line, then it is stopped.
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

# run_sng NAME SOURCE_OPTIONS TEMPLATE: one pass of the file through
# syslog-ng; sets sng_rate (lines per CPU-second).
run_sng() {
    d="$work/$1"
    mkdir -p "$d"
    cat >"$d/sng.conf" <<EOF
@version: 3.38
options {
    stats-level(0); stats-freq(0);
    use-dns(no); use-fqdn(no); dns-cache(no);
    keep-hostname(yes); chain-hostnames(no);
    log-fifo-size(100000);
};
source s_in { file("$data" flags(no-parse) $2); };
parser p_kv {
    syslog-parser();
    kv-parser(prefix(".kv."));
};
destination d_out { file("$d/out.json" template("$3\n") flush-lines(1000)); };
log { source(s_in); parser(p_kv); destination(d_out); flags(flow-control); };
EOF
    t0=$(date +%s.%N)
    $pin syslog-ng -F --no-caps -f "$d/sng.conf" --persist-file="$d/sng.persist" \
        --pidfile="$d/sng.pid" --control="$d/sng.ctl" >"$d/sng.log" 2>&1 &
    sng_pid=$!
    got=0
    while :; do
        sleep 1
        if ! kill -0 "$sng_pid" 2>/dev/null; then
            echo "syslog-ng stopped early:" >&2
            cat "$d/sng.log" >&2
            exit 1
        fi
        [ -f "$d/out.json" ] && got=$(wc -l <"$d/out.json")
        [ "$got" -ge "$want" ] && break
    done
    t1=$(date +%s.%N)
    # utime and stime (fields 14 and 15, clock ticks) cover every thread.
    ticks=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$sng_pid/stat")
    kill "$sng_pid"
    wait "$sng_pid" 2>/dev/null || true
    sng_pid=
    cpu_s=$(echo "$ticks $hz" | awk '{ printf "%.2f", $1 / $2 }')
    sng_rate=$(echo "$want $ticks $hz" | awk '{ printf "%.0f", $1 / ($2 / $3) }')
    wall=$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')
    echo "syslog-ng ($1): $want lines in $wall s wall (polled each second), $cpu_s CPU s, $sng_rate lines per CPU-second"
    echo "syslog-ng ($1) first event: $(head -n 1 "$d/out.json" | cut -c1-300)"
    rm -f "$d/out.json"
}

sng_rate=
sng_plain=
if [ "$with_sng" = 1 ] && command -v syslog-ng >/dev/null 2>&1; then
    echo "== syslog-ng $(syslog-ng --version | sed -n 's/^Installer-Version: //p') (syslog-parser + kv-parser -> format-json, pinned to CPU $cpu)"
    work=$(mktemp -d "${TMPDIR:-/tmp}/v6p-sng.XXXXXX")
    trap 'if [ -n "${sng_pid:-}" ]; then kill "$sng_pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT INT TERM
    want=$(wc -l <"$data")
    hz=$(getconf CLK_TCK)
    # plain: the file source's defaults and the whole rfc5424 scope, MESSAGE
    # included.
    run_sng plain "" '$(format-json --scope rfc5424 --key .kv.*)'
    sng_plain=$sng_rate
    # tuned: large fetches and windows, and no MESSAGE (ours carries no raw
    # line either).  The target is checked against this, the faster one.
    run_sng tuned "follow-freq(1) log-fetch-limit(1000) log-iw-size(100000)" \
        '$(format-json --scope rfc5424 --exclude MESSAGE --key .kv.*)'
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

#!/bin/sh
# Instructions executed by each benchmark (callgrind's Ir), for comparing two
# builds on a machine too busy for timings to mean anything: the count does
# not move with load.  Build both the same way (release + LTO), then
#
#   tests/bench/icount.sh BUILD_A > a.txt;  tests/bench/icount.sh BUILD_B > b.txt
#   paste a.txt b.txt | awk '{printf "%-16s %+.2f%%\n", $1, ($4-$2)*100/$2}'
#
# Each line: benchmark name, instructions.  The input is 50,000 generated
# netfilter lines (gen_netfilter.py, seed 7), made once under
# $V6P_BENCH_CACHE (default ${TMPDIR:-/tmp}/ipv6probe-bench).
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
command -v valgrind >/dev/null || { echo "icount: valgrind not found" >&2; exit 1; }
cache=${V6P_BENCH_CACHE:-${TMPDIR:-/tmp}/ipv6probe-bench}
mkdir -p "$cache"
input="$cache/icount-nf50k.log"
[ -f "$input" ] || python3 "$here/gen_netfilter.py" -n 50000 --seed 7 -o "$input"
ninja -C "$build" tests/bench/bench_parse tests/bench/bench_pipeline tests/bench/bench_taggers \
  tests/bench/bench_addr forwarder/ipv6probe-forward >/dev/null
out=$(mktemp)
trap 'rm -f "$out"' EXIT
ir() { # name program args...
  name=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1
  printf '%s %s\n' "$name" "$(sed -n 's/^summary: //p' "$out")"
}
ir bench_parse "$build/tests/bench/bench_parse" -r 1 "$input"
ir bench_pipeline "$build/tests/bench/bench_pipeline" -m full "$input"
ir bench_taggers "$build/tests/bench/bench_taggers" -r 1 -n 50000
ir bench_addr "$build/tests/bench/bench_addr" -r 1 -n 200000
ir forward_stdout "$build/forwarder/ipv6probe-forward" --stdout "$input"

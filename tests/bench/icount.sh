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
#
# The first five lines keep their names and meaning from release to release.
# After them, the whole forwarder (`--stdout FILE`, start-up included, like
# forward_stdout) on the worst-case files of 50,000 lines, seed 7:
# forward_flood (`--mix flood`: every source new), forward_sweep (`--mix
# sweep`: every destination new in one /48), forward_random (`--mix random`:
# both random in 2000::/3); and forward_startup, the forwarder on an empty
# file: start-up alone, mostly loading the shipped classification table.
# Instructions per line are (forward_X - forward_startup) / 50,000; they go
# to standard error at the end, so the standard output stays two columns.
set -eu
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
command -v valgrind >/dev/null || { echo "icount: valgrind not found" >&2; exit 1; }
cache=${V6P_BENCH_CACHE:-${TMPDIR:-/tmp}/ipv6probe-bench}
mkdir -p "$cache"
input="$cache/icount-nf50k.log"
[ -f "$input" ] || python3 "$here/gen_netfilter.py" -n 50000 --seed 7 -o "$input"
# The worst-case files carry the generator's checksum in their name: a mix
# that changes makes a new file.
key=$(cksum <"$here/gen_netfilter.py" | cut -d' ' -f1)
for mix in flood sweep random; do
    f="$cache/icount-nf50k-$mix-$key.log"
    [ -f "$f" ] || python3 "$here/gen_netfilter.py" -n 50000 --seed 7 --mix "$mix" -o "$f"
done
empty="$cache/icount-empty.log"
: >"$empty"
ninja -C "$build" tests/bench/bench_parse tests/bench/bench_pipeline tests/bench/bench_taggers \
  tests/bench/bench_addr forwarder/ipv6probe-forward >/dev/null
out=$(mktemp)
counts=$(mktemp)
trap 'rm -f "$out" "$counts"' EXIT
ir() { # name program args...
  name=$1; shift
  valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>&1
  printf '%s %s\n' "$name" "$(sed -n 's/^summary: //p' "$out")" | tee -a "$counts"
}
ir bench_parse "$build/tests/bench/bench_parse" -r 1 "$input"
ir bench_pipeline "$build/tests/bench/bench_pipeline" -m full "$input"
ir bench_taggers "$build/tests/bench/bench_taggers" -r 1 -n 50000
ir bench_addr "$build/tests/bench/bench_addr" -r 1 -n 200000
ir forward_stdout "$build/forwarder/ipv6probe-forward" --stdout "$input"
fwd="$build/forwarder/ipv6probe-forward"
for mix in flood sweep random; do
  ir "forward_$mix" "$fwd" --stdout "$cache/icount-nf50k-$mix-$key.log"
done
ir forward_startup "$fwd" --stdout "$empty"
awk '$1 == "forward_startup" { s = $2 } { n[$1] = $2 }
  END { for (k in n) if (k ~ /^forward_/ && k != "forward_startup")
          printf "%s: %.0f instructions per line after start-up\n", k, (n[k] - s) / 50000 }' \
  "$counts" | sort >&2

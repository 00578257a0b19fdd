#!/bin/sh
# syslog-ng's lines per CPU-second on a file of syslog lines, parsed as the
# benchmarks compare against: syslog-parser() and kv-parser() into a JSON
# file.  run_bench.sh and bench_forward.py both call this.
#
#   tests/bench/sng_rate.sh [--cpu N] plain|tuned FILE
#
# syslog-ng runs in the foreground with its own config, persist file, pid
# file and control socket in a scratch directory, so a system syslog-ng (or
# rsyslog) is not touched; `flags(flow-control)` so that no line is dropped.
# When its output holds every line of FILE, its user + system CPU time (every
# thread) is read from /proc/PID/stat and its peak RSS from /proc/PID/status,
# then it is stopped.
#   plain: the file source's defaults, the whole rfc5424 scope with MESSAGE;
#   tuned: large fetches and windows, and no MESSAGE (ipv6probe's events
#          carry no raw line either); the figures are compared against this.
# Prints two lines:
#   syslog-ng (NAME): L lines in W s wall (polled each second), C CPU s, R lines per CPU-second, peak RSS K kB
#   syslog-ng (NAME) first event: ...
# Exits 77 when syslog-ng is not installed, 1 when it stops early.
set -eu

pin=
if [ "${1:-}" = --cpu ]; then
    if command -v taskset >/dev/null 2>&1 && taskset -c "$2" true 2>/dev/null; then
        pin="taskset -c $2"
    else
        echo "note: cannot pin to CPU $2; running unpinned" >&2
    fi
    shift 2
fi
[ $# -eq 2 ] || { echo "usage: sng_rate.sh [--cpu N] plain|tuned FILE" >&2; exit 2; }
name=$1
data=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
case "$name" in
plain)
    src_opts=
    template='$(format-json --scope rfc5424 --key .kv.*)' ;;
tuned)
    src_opts='follow-freq(1) log-fetch-limit(1000) log-iw-size(100000)'
    template='$(format-json --scope rfc5424 --exclude MESSAGE --key .kv.*)' ;;
*) echo "sng_rate.sh: plain or tuned, not $name" >&2; exit 2 ;;
esac
command -v syslog-ng >/dev/null 2>&1 || { echo "SKIP: syslog-ng not installed" >&2; exit 77; }

d=$(mktemp -d "${TMPDIR:-/tmp}/v6p-sng.XXXXXX")
sng_pid=
trap 'if [ -n "$sng_pid" ]; then kill "$sng_pid" 2>/dev/null || true; fi; rm -rf "$d"' EXIT
trap 'exit 1' INT TERM
want=$(wc -l <"$data")
hz=$(getconf CLK_TCK)
cat >"$d/sng.conf" <<EOC
@version: 3.38
options {
    stats-level(0); stats-freq(0);
    use-dns(no); use-fqdn(no); dns-cache(no);
    keep-hostname(yes); chain-hostnames(no);
    log-fifo-size(100000);
};
source s_in { file("$data" flags(no-parse) $src_opts); };
parser p_kv {
    syslog-parser();
    kv-parser(prefix(".kv."));
};
destination d_out { file("$d/out.json" template("$template\n") flush-lines(1000)); };
log { source(s_in); parser(p_kv); destination(d_out); flags(flow-control); };
EOC
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
rss=$(awk '/^VmHWM:/ { print $2 }' "/proc/$sng_pid/status")
kill "$sng_pid"
wait "$sng_pid" 2>/dev/null || true
sng_pid=
cpu_s=$(echo "$ticks $hz" | awk '{ printf "%.2f", $1 / $2 }')
rate=$(echo "$want $ticks $hz" | awk '{ printf "%.0f", $1 / ($2 / $3) }')
wall=$(echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }')
echo "syslog-ng ($name): $want lines in $wall s wall (polled each second), $cpu_s CPU s, $rate lines per CPU-second, peak RSS $rss kB"
echo "syslog-ng ($name) first event: $(head -n 1 "$d/out.json" | cut -c1-300)"

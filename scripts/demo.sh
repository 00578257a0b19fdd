#!/usr/bin/env bash
# Build ipv6probe (installing missing Debian build packages first), then:
#  1. run the forwarder over the bundled sample logs in examples/logs/,
#     printing one tagged JSON event per firewall line;
#  2. post the same logs to HTTP Event Collector: a strict HEC receiver of the
#     test suite stands in for Splunk on loopback (gzip, indexer acks), and
#     the demo shows what arrived there.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
log=$(mktemp)

# Runs a step quietly; when it fails, says which and shows its output.
step() { # "what" command...
  local what=$1
  shift
  echo "== $what" >&2
  if ! "$@" >"$log" 2>&1; then
    echo "demo: FAILED: $what" >&2
    echo "demo: the command was: $*" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
}

if [ "$(id -u)" = 0 ]; then
  step "installing the build packages (scripts/deps.sh --build-only)" \
    "$here/scripts/deps.sh" --build-only
elif command -v sudo >/dev/null 2>&1; then
  step "installing the build packages (sudo scripts/deps.sh --build-only)" \
    sudo "$here/scripts/deps.sh" --build-only
else
  step "checking the build packages (run as root to install them)" \
    "$here/scripts/deps.sh" --build-only
fi
if [ ! -f build/build.ninja ]; then
  # The test suite needs more packages (scripts/deps.sh); the demo does not.
  step "configuring (meson setup build)" meson setup build
fi
step "building (ninja -C build)" ninja -C build
rm -f "$log"
fwd=build/forwarder/ipv6probe-forward
logs=(examples/logs/*.log)
# The kmsg sample was captured on a host that booted at this time; its
# records carry uptime stamps.
boot=--boot-time=1795712341

echo "== 1. ipv6probe-forward --stdout ${logs[*]}" >&2
"$fwd" --stdout "$boot" "${logs[@]}" || { echo "demo: FAILED: the forwarder (above)" >&2; exit 1; }

echo >&2
echo "== 2. the same logs posted to HEC (a strict receiver on 127.0.0.1)" >&2
work=$(mktemp -d)
trap 'kill "${recv_pid:-}" 2>/dev/null; rm -rf "$work"' EXIT
token=00000000-0000-4000-8000-0000000000d1
printf '%s\n' "$token" >"$work/token"
python3 tests/forwarder/hec/hec_receiver.py --port 0 --port-file "$work/port" \
  --token "$token:ack" --out "$work/received.jsonl" >"$work/receiver.log" 2>&1 &
recv_pid=$!
for _ in $(seq 100); do [ -s "$work/port" ] && break; sleep 0.1; done
if [ ! -s "$work/port" ]; then
  echo "demo: FAILED: the HEC receiver (tests/forwarder/hec/hec_receiver.py) did not start:" >&2
  cat "$work/receiver.log" >&2
  exit 1
fi
cat >"$work/forward.yaml" <<YAML
outputs:
  hec:
    endpoints: [http://127.0.0.1:$(cat "$work/port")]
    token_file: $work/token
    gzip: 6
    acks: {enabled: true, timeout_ms: 60000}
    spool: {dir: $work/spool}
    index: firewall
YAML
"$fwd" -c "$work/forward.yaml" "$boot" "${logs[@]}" ||
  { echo "demo: FAILED: the forwarder posting to HEC (above)" >&2; exit 1; }
python3 - "$work/received.jsonl" <<'PY'
import collections, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
by_type = collections.Counter(r["envelope"].get("sourcetype") for r in rows)
print(f"received by the HEC receiver: {len(rows)} events")
for st, n in sorted(by_type.items()):
    print(f"  {st}: {n}")
first = next(r for r in rows if r["envelope"].get("sourcetype") == "ipv6probe:event")
print("one of them, as Splunk would index it:")
print(json.dumps(first["envelope"], indent=1)[:1500])
PY

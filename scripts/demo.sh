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
"$here/scripts/deps.sh" --build-only
if [ ! -f build/build.ninja ]; then
  meson setup build >/dev/null
fi
ninja -C build >/dev/null
fwd=build/forwarder/ipv6probe-forward
logs=(examples/logs/*.log)
# The kmsg sample was captured on a host that booted at this time; its
# records carry uptime stamps.
boot=--boot-time=1795712341

echo "== 1. ipv6probe-forward --stdout ${logs[*]}" >&2
"$fwd" --stdout "$boot" "${logs[@]}"

echo >&2
echo "== 2. the same logs posted to HEC (a strict receiver on 127.0.0.1)" >&2
work=$(mktemp -d)
trap 'kill "${recv_pid:-}" 2>/dev/null; rm -rf "$work"' EXIT
token=00000000-0000-4000-8000-0000000000d1
printf '%s\n' "$token" >"$work/token"
python3 tests/hec/hec_receiver.py --port 0 --port-file "$work/port" \
  --token "$token:ack" --out "$work/received.jsonl" >/dev/null 2>&1 &
recv_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
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
"$fwd" -c "$work/forward.yaml" "$boot" "${logs[@]}"
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

#!/usr/bin/env bash
# Build ipv6probe (installing missing Debian build packages first) and run the
# forwarder over the bundled sample logs in examples/logs/, printing one tagged
# JSON event per firewall line and the forwarder's counts.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
"$here/scripts/deps.sh" --build-only
if [ ! -f build/build.ninja ]; then
  meson setup build -Dtests=false >/dev/null
fi
ninja -C build >/dev/null
logs=(examples/logs/*.log)
echo "== ipv6probe-forward --stdout ${logs[*]}" >&2
# The kmsg sample was captured on a host that booted at this time; its
# records carry uptime stamps.
build/forwarder/ipv6probe-forward --stdout --boot-time=1795712341 "${logs[@]}"

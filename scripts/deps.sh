#!/usr/bin/env bash
# Install what ipv6probe needs to build and test on Debian 12 (idempotent).
# Run as root.  Set V6P_SKIP_DEPS=1 to skip (e.g. on a machine already set up).
set -euo pipefail
[ "${V6P_SKIP_DEPS:-0}" = 1 ] && exit 0
here=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs=(meson ninja-build pkg-config gcc libc6-dev libyajl-dev libcurl4-openssl-dev
  libpcre2-dev libyaml-dev zlib1g-dev libmaxminddb-dev python3)
test_pkgs=(libcmocka-dev clang libclang-rt-14-dev python3 python3-scapy python3-yaml tcpdump
  iptables nftables iproute2 iputils-ping radvd ipv6toolkit syslog-ng-core procps
  netcat-openbsd openssl libmaxmind-db-writer-perl build-essential dpkg-dev debhelper lintian
  abigail-tools)

want=("${build_pkgs[@]}")
[ "${1:-}" = --build-only ] || want+=("${test_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages: ${missing[*]} (run as root to install them)" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ "${1:-}" = --build-only ] && exit 0

# Test-only extras kept beside their tests.
for extra in "$here"/scripts/deps-*.sh; do
  [ -x "$extra" ] && "$extra"
done

# Splunk's own HEC client, for checking the test receiver against it.
if command -v npm >/dev/null 2>&1 && [ -f "$here/tests/forwarder/hec/package-lock.json" ] &&
  [ ! -d "$here/tests/forwarder/hec/node_modules/splunk-logging" ]; then
  (cd "$here/tests/forwarder/hec" && npm ci --no-audit --no-fund --silent) ||
    echo "deps: npm ci in tests/forwarder/hec failed; the splunk-logging check will skip" >&2
fi
exit 0

#!/usr/bin/env bash
# Firewall front-ends whose log prefixes the parser reads (tests/lab/
# test_frontends.py runs them in network namespaces).  Installed disabled:
# Debian enables neither ufw nor shorewall at install time.
set -euo pipefail
[ "${V6P_SKIP_DEPS:-0}" = 1 ] && exit 0
pkgs=(ufw shorewall shorewall6)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps-frontends: missing ${missing[*]} (run as root); their test will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
  echo "deps-frontends: could not install ${missing[*]}; their test will skip" >&2
exit 0

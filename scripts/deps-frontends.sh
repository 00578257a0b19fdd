#!/usr/bin/env bash
# Firewall front-ends whose log prefixes the parser reads (tests/lab/
# test_frontends.py runs them in network namespaces).  Installed disabled:
# Debian enables neither ufw nor shorewall at install time.
set -euo pipefail
[ "${V6P_SKIP_DEPS:-0}" = 1 ] && exit 0
. "$(dirname "$0")/apt-missing.sh"
apt_missing deps-frontends "their test will skip" optional ufw shorewall shorewall6

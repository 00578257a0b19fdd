#!/usr/bin/env bash
# The static analysis and memory checking tests (tests/static/): cppcheck,
# clang-tidy, valgrind.  Idempotent; run by scripts/deps.sh.
set -euo pipefail
pkgs=(cppcheck clang-tidy valgrind)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "deps-static: missing ${missing[*]}; the static tests will skip" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }

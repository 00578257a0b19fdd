#!/usr/bin/env bash
# Write the ABI baseline of the shared library: an abidw dump of the public
# interface (the functions the headers mark V6P_API and the types they reach),
# kept as libipv6probe/abi/<soname>.abi and compared with every build by the
# api-abi test.
#
# Run it when the soname moves: after an incompatible change (a function
# removed or changed, a member moved), bump the major version in meson.build,
# rebuild, run this and keep the new file beside the old one.  Compatible
# changes (new functions, members appended to size-tagged structs, a new
# event field taken from the reserved tail) need no new baseline.
#
# usage: scripts/abi-baseline.sh [BUILD_DIR]   (default: build)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
lib="$build/libipv6probe/libipv6probe.so"
command -v abidw >/dev/null || { echo "abi-baseline: abidw not found (apt install abigail-tools)" >&2; exit 1; }
[ -e "$lib" ] || { echo "abi-baseline: $lib not built" >&2; exit 1; }
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\].*/\1/p')
[ -n "$soname" ] || { echo "abi-baseline: $lib has no soname" >&2; exit 1; }
out="$here/libipv6probe/abi/$soname.abi"
abidw --no-corpus-path --no-comp-dir-path --short-locs --drop-private-types \
  --headers-dir "$here/libipv6probe/include/ipv6probe" \
  --header-file "$build/libipv6probe/version.h" \
  --out-file "$out" "$lib"
echo "abi-baseline: wrote $out"

#!/bin/sh
# Installs what tests/splunk/test_studio.py needs to draw the Splunk app's
# Dashboard Studio dashboards, on Debian 12 (run as root; idempotent):
#   - chromium, nodejs and npm from the Debian archive;
#   - Splunk's dashboard framework and the test tools from npm
#     (tests/splunk/studio/package-lock.json), installed outside the clone
#     under $IPV6PROBE_CACHE/studio-<lockfile hash>/node_modules, so repeated
#     CI runs reuse them and a changed lockfile gets a fresh install.
# Nothing here ships in the app.  When something cannot be installed (no root,
# no network), it says so and the test skips saying what is missing.
#   IPV6PROBE_CACHE  cache root (default /var/cache/ipv6probe)
set -u

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${IPV6PROBE_CACHE:-/var/cache/ipv6probe}
lock="$here/tests/splunk/studio/package-lock.json"
export DEBIAN_FRONTEND=noninteractive

need=""
for p in chromium nodejs npm; do
    case $p in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "deps-studio: missing$need (run as root); the dashboard rendering test will skip" >&2
    else
        # shellcheck disable=SC2086
        { apt-get install -y -qq --no-install-recommends $need >/dev/null 2>&1 ||
            { apt-get update -qq && apt-get install -y -qq --no-install-recommends $need >/dev/null; }; } ||
            echo "deps-studio: could not install$need; the dashboard rendering test will skip" >&2
    fi
fi

command -v npm >/dev/null 2>&1 || exit 0
key=$(sha256sum "$lock" | cut -c1-16)
dest="$cache/studio-$key"
[ -f "$dest/node_modules/.package-lock.json" ] && exit 0

mkdir -p "$cache" || { echo "deps-studio: cannot create $cache; the rendering test will skip" >&2; exit 0; }
tmp=$(mktemp -d "$cache/.studio-XXXXXX") || exit 0
chmod 755 "$tmp"
cp "$here/tests/splunk/studio/package.json" "$lock" "$tmp/"
if (cd "$tmp" && npm ci --legacy-peer-deps --no-audit --no-fund --loglevel=error >/dev/null); then
    # the newest install replaces older ones (each is about 500 MB)
    for old in "$cache"/studio-*; do
        [ -d "$old" ] && rm -rf "$old"
    done
    mv "$tmp" "$dest"
else
    echo "deps-studio: npm ci failed (no registry?); the dashboard rendering test will skip" >&2
    rm -rf "$tmp"
fi
exit 0

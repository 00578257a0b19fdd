#!/bin/sh
# Installs what the forwarder's daemon tests need (tests/forwarder), on Debian 12:
#   - syslog-ng-core, from the archive as usual;
#   - rsyslog, which conflicts with syslog-ng-core as a package, so its .deb
#     is unpacked (not installed) under RSYSLOG_ROOT and run from there; its
#     libraries install without conflict.
# Idempotent: what is there already is left alone.  Run as root.
#   RSYSLOG_ROOT  where to unpack rsyslog (default /opt/ipv6probe-test/rsyslog)
set -eu

RSYSLOG_ROOT=${RSYSLOG_ROOT:-/opt/ipv6probe-test/rsyslog}
export DEBIAN_FRONTEND=noninteractive

need=""
for p in syslog-ng-core liblognorm5 libestr0 libfastjson4 python3; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
    apt-get update -qq || true
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need
fi

if [ ! -x "$RSYSLOG_ROOT/usr/sbin/rsyslogd" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    chmod 755 "$tmp"   # apt's download user must be able to write here
    (cd "$tmp" && apt-get download rsyslog >/dev/null 2>&1) || {
        apt-get update -qq || true
        (cd "$tmp" && apt-get download rsyslog)
    }
    mkdir -p "$RSYSLOG_ROOT"
    dpkg -x "$tmp"/rsyslog_*.deb "$RSYSLOG_ROOT"
fi
"$RSYSLOG_ROOT/usr/sbin/rsyslogd" -v | head -1
command -v syslog-ng >/dev/null && syslog-ng --version | head -1

# Sourced by the scripts/deps-*.sh that install a test's Debian packages.
#
#   apt_missing WHO WHAT-SKIPS required|optional PKG...
#
# Installs those of PKG that are not installed.  When that cannot be done
# (not root, apt fails) it says which test will skip; `required` then fails,
# `optional` goes on.
apt_missing() {
  local who=$1 skips=$2 need=$3 p
  shift 3
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "$who: missing ${missing[*]} (run as root); $skips" >&2
    return 0
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null && return 0
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null &&
    return 0
  echo "$who: could not install ${missing[*]}; $skips" >&2
  [ "$need" = optional ]
}

#!/usr/bin/env bash
# Build ipv6probe and run the whole test suite three ways:
#   1. a release-like build with warnings as errors,
#   2. the same suite built with AddressSanitizer + UndefinedBehaviorSanitizer,
#   3. the libFuzzer targets (clang) for a bounded time each from their seeds.
# Ends with the line "N passed, N failed" (skipped tests are counted apart).
# Run as root for the tests that make network namespaces; they skip otherwise.
#
#   V6P_SKIP_DEPS=1     do not install Debian packages
#   V6P_FUZZ_SECONDS=N  seconds for the parse call's fuzz target (default 30; a third of it for
#                       each other target; tests/fuzz/run-long for long runs)
#   V6P_ONLY=plain      run only the plain build (quick local check)
set -uo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
out=${V6P_BUILD_ROOT:-$here}
passed=0 failed=0 skipped=0

"$here/scripts/deps.sh" || { echo "deps failed"; echo "0 passed, 1 failed"; exit 1; }

count_log() { # testlog.json -> adds to the totals, lists failures
  local log=$1 p f s
  read -r p f s < <(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
for line in open(sys.argv[1]):
    r = json.loads(line)["result"]
    if r in ("OK", "EXPECTEDFAIL"): p += 1
    elif r == "SKIP": s += 1
    else: f += 1
print(p, f, s)
PY
)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  python3 - "$log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["result"] not in ("OK", "EXPECTEDFAIL", "SKIP"):
        print(f"  FAILED: {r['name']} ({r['result']})")
PY
}

run_suite() { # name builddir meson-setup-args...
  local name=$1 dir=$2; shift 2
  echo "=== $name build"
  if ! meson setup --wipe "$dir" "$@" >"$dir.setup.log" 2>&1 &&
    ! meson setup "$dir" "$@" >"$dir.setup.log" 2>&1; then
    cat "$dir.setup.log"; failed=$((failed + 1)); return
  fi
  if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
    tail -50 "$dir.build.log"; failed=$((failed + 1)); return
  fi
  echo "=== $name tests"
  meson test -C "$dir" --print-errorlogs --num-processes 2 >"$dir.test.log" 2>&1
  grep -E '^ *[0-9]+/[0-9]+ ' "$dir.test.log" || tail -40 "$dir.test.log"
  count_log "$dir/meson-logs/testlog.json"
}

run_suite plain "$out/build-ci" -Dwerror_strict=true -Dbuildtype=debugoptimized

if [ "${V6P_ONLY:-}" != plain ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:halt_on_error=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    run_suite "asan+ubsan" "$out/build-asan" -Db_sanitize=address,undefined -Db_lundef=false \
    -Dbuildtype=debug

  echo "=== fuzz build (clang, libFuzzer)"
  fdir="$out/build-fuzz"
  if CC=clang meson setup --wipe "$fdir" -Dfuzzing=true -Db_sanitize=address,undefined \
    -Db_lundef=false -Dbuildtype=debugoptimized >"$fdir.setup.log" 2>&1 ||
    CC=clang meson setup "$fdir" -Dfuzzing=true -Db_sanitize=address,undefined \
      -Db_lundef=false -Dbuildtype=debugoptimized >"$fdir.setup.log" 2>&1; then
    ninja -C "$fdir" >"$fdir.build.log" 2>&1 || { tail -30 "$fdir.build.log"; failed=$((failed + 1)); }
    for fz in "$fdir"/tests/fuzz/fuzz_*; do
      [ -f "$fz" ] && [ -x "$fz" ] || continue
      name=$(basename "$fz")
      case "$name" in
        fuzz_parse) seeds="$here/tests/fuzz/seeds" ;;
        fuzz_pflog | fuzz_filterlog) seeds="$here/tests/fuzz/seeds/pf" ;;
        *) seeds="$here/tests/fuzz/seeds/${name#fuzz_}" ;;
      esac
      secs=${V6P_FUZZ_SECONDS:-30}
      [ "$name" = fuzz_parse ] || secs=$(( (secs + 2) / 3 ))
      work=$(mktemp -d)
      # Seeds are read from every subfolder; new inputs go to a scratch dir.
      seed_dirs=$(find "$seeds" -type d 2>/dev/null)
      if "$fz" -max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "$work" $seed_dirs >"$fdir.$name.log" 2>&1; then
        echo "  $name: ok ($(grep -m1 -o 'stat::number_of_executed_units: [0-9]*' "$fdir.$name.log" | awk '{print $2}') runs in ${secs}s)"
        passed=$((passed + 1))
      else
        echo "  $name: FAILED"; tail -40 "$fdir.$name.log"; failed=$((failed + 1))
      fi
      rm -rf "$work"
    done
  else
    cat "$fdir.setup.log"; failed=$((failed + 1))
  fi
fi

echo "($skipped skipped)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

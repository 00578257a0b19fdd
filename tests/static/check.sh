#!/usr/bin/env bash
# Static analysis and memory checks of the C code, one per call:
#   check.sh cppcheck   SOURCE_ROOT BUILD_ROOT
#   check.sh clang-tidy SOURCE_ROOT BUILD_ROOT   (the checks in .clang-tidy)
#   check.sh valgrind   SOURCE_ROOT BUILD_ROOT   (memcheck over the C unit tests)
# Exits 77 (skipped) when the tool is not installed.
set -uo pipefail
what=$1 src=$2 build=$3
need() { command -v "$1" >/dev/null 2>&1 || { echo "SKIP: $1 is not installed"; exit 77; }; }
sources() { ls "$src"/libipv6probe/src/*.c "$src"/forwarder/*.c "$src"/forwarder/hec/*.c; }

case "$what" in
cppcheck)
  need cppcheck
  # warning + portability: real defects, not style.  Every file, both
  # halves of each #ifdef the build uses.
  exec cppcheck --enable=warning,portability --inline-suppr --error-exitcode=1 -q -j2 \
    -D_GNU_SOURCE --suppress=missingIncludeSystem \
    -I "$src/libipv6probe/include" -I "$src/libipv6probe/src" -I "$src/forwarder" -I "$src/forwarder/hec" \
    -I "$build/libipv6probe/include" $(sources)
  ;;
clang-tidy)
  need clang-tidy
  [ -f "$build/compile_commands.json" ] || { echo "SKIP: no compile_commands.json"; exit 77; }
  out=$(sources | xargs -P2 -n6 clang-tidy -p "$build" --quiet 2>&1)
  rc=$?
  if [ $rc -ne 0 ] || grep -qE '(warning|error):' <<<"$out"; then
    grep -E '(warning|error):' <<<"$out" | sort -u
    exit 1
  fi
  echo "clang-tidy: $(sources | wc -l) files clean"
  ;;
valgrind)
  need valgrind
  # The C unit tests (cmocka) of the build under memcheck: no invalid
  # access, no uninitialized use, no definite or indirect leak.  What CI can
  # afford is about a minute of CPU: the tests that replay floods of events
  # (test_pe, test_batch, test_classify, test_harvest: 30-80 s each under
  # valgrind, 3.5 minutes together) run only with V6P_VALGRIND_ALL=1;
  # test_memory never, since it measures RSS, which valgrind changes.
  slow=" test_pe test_batch test_classify test_harvest "
  failed=0 n=0
  for t in $(find "$build/tests" -maxdepth 4 -type f -name 'test_*' -perm -u+x | sort); do
    name=$(basename "$t")
    [ "$name" = test_memory ] && continue
    [ "${V6P_VALGRIND_ALL:-0}" != 1 ] && [[ $slow == *" $name "* ]] && continue
    n=$((n + 1))
    log=$(mktemp)
    if (cd "$(dirname "$t")" && valgrind -q --leak-check=full \
      --errors-for-leak-kinds=definite,indirect --error-exitcode=99 "./$(basename "$t")") \
      >"$log" 2>&1; then
      echo "ok: $(basename "$t")"
    else
      echo "FAILED: $(basename "$t")"
      tail -40 "$log"
      failed=$((failed + 1))
    fi
    rm -f "$log"
  done
  echo "valgrind: $n unit tests, $failed failed"
  [ $failed -eq 0 ] && [ $n -gt 0 ]
  ;;
*)
  echo "usage: check.sh cppcheck|clang-tidy|valgrind SOURCE_ROOT BUILD_ROOT" >&2
  exit 2
  ;;
esac

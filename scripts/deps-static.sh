#!/usr/bin/env bash
# The static analysis and memory checking tests (tests/static/): cppcheck,
# clang-tidy, valgrind.  Idempotent; run by scripts/deps.sh.
set -euo pipefail
. "$(dirname "$0")/apt-missing.sh"
apt_missing deps-static "the static tests will skip" required cppcheck clang-tidy valgrind

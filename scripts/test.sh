#!/usr/bin/env bash
# Installs the packages, builds with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/),
# and runs every test suite with CTest: unit, storage contract (SQLite and a throwaway PostgreSQL
# server that a CTest fixture starts through scripts/pg-test-server.sh) and end-to-end. Then builds
# the libFuzzer harnesses (build-fuzz/, clang) and runs their CTest tests: each replays its seed
# corpus and fuzzes for 20 seconds.
#
#   bash scripts/test.sh [extra ctest arguments, e.g. -R 'contract:' or -L ...]
#
# Without arguments both stages run. Arguments go to one stage: to the fuzz stage when they
# mention "fuzz" (-R '^fuzz:json', -L fuzz), else to the sanitizer stage.
#
# Exit code: 0 only when every stage built and every test passed. The full CTest output is kept in
# build-asan/ctest.log and build-fuzz/ctest.log. CAREHUB_TEST_PG_URL=postgresql://... uses an
# existing server instead.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

run_asan=1
run_fuzz=1
if (($# > 0)); then
  if [[ "$*" == *fuzz* ]]; then run_asan=0; else run_fuzz=0; fi
fi

# Leaks fail the test that leaked; the first UB report stops the process with a stack.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

bash scripts/install-deps.sh

# Runs ctest in build dir $1 with the rest as arguments, logging to $1/ctest.log; sets rc.
rc=0
run_ctest() {
  local dir=$1 status
  shift
  echo "test: ctest --test-dir $dir --output-on-failure -j2 --timeout 300 $*"
  set +e
  ctest --test-dir "$dir" --output-on-failure -j2 --timeout 300 "$@" </dev/null 2>&1 |
    tee "$dir/ctest.log"
  status=${PIPESTATUS[0]}
  set -e
  ((status == 0)) || rc=$status
  logs+=("$dir/ctest.log")
}

logs=()
if ((run_asan)); then
  bash scripts/build.sh --sanitize
  run_ctest build-asan "$@"
fi
if ((run_fuzz)); then
  bash scripts/build.sh --fuzz
  run_ctest build-fuzz "$@"
fi

# With --output-on-failure the summary can be far above the end of a long failure dump.
echo
echo "==================== test summary ===================="
for log in "${logs[@]}"; do
  echo "--- $log"
  awk '/tests passed|tests failed out of|The following tests|Total Test time|^[[:space:]]+[0-9]+ - /' "$log"
done
echo "ctest exit code: $rc"
exit "$rc"

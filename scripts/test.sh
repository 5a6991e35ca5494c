#!/usr/bin/env bash
# Installs the packages, builds with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/),
# and runs every test suite with CTest: unit, storage contract (SQLite and a throwaway PostgreSQL
# server that a CTest fixture starts through scripts/pg-test-server.sh) and end-to-end.
#
#   bash scripts/test.sh [extra ctest arguments, e.g. -R 'contract:' or -L ...]
#
# Exit code: ctest's (0 when every test passed). The full CTest output is kept in
# build-asan/ctest.log. CAREHUB_TEST_PG_URL=postgresql://... uses an existing server instead.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

# Leaks fail the test that leaked; the first UB report stops the process with a stack.
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

bash scripts/install-deps.sh
bash scripts/build.sh --sanitize

log=$root/build-asan/ctest.log
echo "test: ctest --test-dir build-asan --output-on-failure -j2 --timeout 300 $*"
set +e
ctest --test-dir build-asan --output-on-failure -j2 --timeout 300 "$@" </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e

# With --output-on-failure the summary can be far above the end of a long failure dump.
echo
echo "==================== test summary ===================="
awk '/tests passed|tests failed out of|The following tests|Total Test time|^[[:space:]]+[0-9]+ - /' "$log"
echo "ctest exit code: $rc (full log: $log)"
exit "$rc"

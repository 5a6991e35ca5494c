#!/usr/bin/env bash
# The medical case page with 200 documents and a 1,000-entry timeline, loaded in Debian's headless
# Chromium against carehub on SQLite on loopback (tests/browser's harness starts both):
#
#   bash bench/web/case.sh
#
# Prints the time from navigationStart to the page's carehub:case-interactive mark over LOADS warm
# and LOADS cold loads, beside two peers from the same run: the page's own data calls fetched
# directly, and a page with no script. Target: interactive <= 1 s (PASS/MISS, never fails the
# run). Environment: CAREHUB_BIN (use this binary, skip the build), LOADS (10), DOCUMENTS (200),
# TIMELINE (1000), CHROMIUM (default /usr/bin/chromium).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"

install_tools node=nodejs npm=npm chromium=chromium
[[ -d $bench_root/tests/browser/node_modules/playwright-core ]] ||
  die "tests/browser's packages are missing: bash scripts/install-deps.sh (npm ci there)"
bin=$(carehub_binary)
CAREHUB_BINARY=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
export CAREHUB_BINARY
exec node "$here/case.mjs"

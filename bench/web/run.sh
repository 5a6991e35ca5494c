#!/usr/bin/env bash
# Web console benchmark: what the console costs a browser, against carehub on SQLite on loopback
# and Debian's headless Chromium (tests/browser's harness starts both).
#
#   bash bench/web/run.sh
#
# Prints
#   1. the JS and CSS the console's first page loads, raw and gzip, fetched from the server with
#      and without Accept-Encoding: gzip (cross-checked with the build's web-dist/sizes.json),
#      next to a React 18 + react-dom hello world bundled by the same esbuild (target: console JS
#      <= 100 KiB gzip);
#   2. with >= 10,000 open potential matches (febrl_clean.csv imported through the API, plus
#      generated people while short), the review screen's time from navigationStart to the
#      `carehub:review-interactive` mark, domInteractive, the cookie refresh and the review call's
#      own timing, over LOADS warm and LOADS cold loads, and the API calls it makes to get there,
#      next to the same JSON fetched directly with a bearer token (target: interactive <= 1 s);
#   3. the match queue's time to its first rows and its API calls (target: no call per row).
# Targets are printed PASS/MISS and never fail the run; errors (the server, the import, a page
# that never becomes interactive, an uncaught error or a 5xx in a page) do.
#
# Environment: CAREHUB_BIN (use this binary, skip the build), LOADS (default 10), WANTED (open
# potential matches, default 10000), POTENTIAL / AUTO (the config's thresholds, default 0.5 / 1.0),
# CAREHUB_SHARED (default: ../shared beside the repository), SIZES_JSON (default: web-dist/
# sizes.json beside the binary), CHROMIUM (default /usr/bin/chromium), BENCH_JSON=FILE (also
# the figures and every load's timings as JSON).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"

install_tools node=nodejs npm=npm chromium=chromium
[[ -d $bench_root/tests/browser/node_modules/playwright-core ]] ||
  die "tests/browser's packages are missing: bash scripts/install-deps.sh (npm ci there)"
# The peer's packages, pinned by package-lock.json; installed again only when the lock changed.
if [[ ! $here/node_modules/.package-lock.json -nt $here/package-lock.json ]]; then
  log "npm ci --prefix bench/web"
  npm ci --prefix "$here" --no-audit --no-fund >&2
fi
bin=$(carehub_binary)
CAREHUB_BINARY=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
export CAREHUB_BINARY
exec node "$here/bench.mjs"

#!/usr/bin/env bash
# From a fresh Debian 12 root shell to a running server:
#   installs the packages, builds the release binary, applies migrations, serves.
#
#   bash scripts/serve.sh [--config FILE] [more carehub serve options]
#
# With no arguments carehub uses its embedded defaults: SQLite at ./data/carehub.db, blobs under
# ./data/blobs, HTTP on 127.0.0.1:8000 (relative to the repository root, where this script runs).
# Arguments go to `carehub serve`; a --config FILE among them is also given to `carehub migrate`
# (CAREHUB_CONFIG_FILE and CAREHUB_* overrides in the environment reach both anyway).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/install-deps.sh
bash scripts/build.sh carehub

config_args=()
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --config) config_args=(--config "${args[i + 1]:-}") ;;
    --config=*) config_args=("${args[i]}") ;;
  esac
done

./build/carehub migrate "${config_args[@]}"
echo "serve: starting carehub (Ctrl-C or SIGTERM stops it)"
exec ./build/carehub serve "$@"

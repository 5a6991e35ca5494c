#!/usr/bin/env bash
# A throwaway OpenID provider for the OIDC tests (tests/oidc/provider.mjs, the npm package
# oidc-provider), on a free 127.0.0.1 port.
#
#   scripts/oidc-test-provider.sh start DIR   start it; DIR/url gets the issuer http://127.0.0.1:PORT,
#                                              DIR/pid its process id, DIR/log its output
#   scripts/oidc-test-provider.sh stop DIR    stop it and remove DIR
#   scripts/oidc-test-provider.sh rotate DIR  new signing keys (new kids) from now on; prints them
#
# `start` returns once the discovery document answers. The provider's packages come from
# `npm ci --prefix tests/oidc` (scripts/install-deps.sh runs it); nothing is downloaded here.
set -euo pipefail

die() {
  echo "oidc-test-provider: $*" >&2
  exit 1
}

[[ $# -eq 2 && ($1 == start || $1 == stop || $1 == rotate) ]] || {
  echo "usage: $0 start|stop|rotate DIR" >&2
  exit 2
}
action=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
provider_dir=$root/tests/oidc

# free_port comes from scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# True while the process in DIR/pid is our node provider (not a recycled pid).
provider_running() {
  [[ -f $dir/pid ]] || return 1
  local pid
  pid=$(<"$dir/pid")
  [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'provider.mjs'
}

stop_provider() {
  if provider_running; then
    local pid
    pid=$(<"$dir/pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
      provider_running || break
      sleep 0.1
    done
    if provider_running; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$dir/pid" "$dir/url"
}

answers() {
  curl -fsS --max-time 2 "$1/.well-known/openid-configuration" >/dev/null 2>&1
}

case $action in
  stop)
    stop_provider
    rm -rf "$dir"
    echo "oidc-test-provider: stopped"
    exit 0
    ;;
  rotate)
    [[ -f $dir/url ]] || die "no provider started in $dir"
    curl -fsS --max-time 10 -X POST "$(<"$dir/url")/admin/rotate"
    echo
    exit 0
    ;;
esac

# start
command -v node >/dev/null || die "node is not installed; run scripts/install-deps.sh"
[[ -d $provider_dir/node_modules/oidc-provider ]] ||
  die "tests/oidc/node_modules is missing; run scripts/install-deps.sh (npm ci --prefix tests/oidc)"
stop_provider # idempotent: a leftover provider from an earlier run is replaced

for attempt in 1 2 3; do
  port=$(free_port)
  url="http://127.0.0.1:$port"
  node "$provider_dir/provider.mjs" "$port" >"$dir/log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$dir/pid"
  for _ in $(seq 100); do
    if answers "$url"; then
      printf '%s\n' "$url" >"$dir/url"
      echo "oidc-test-provider: running at $url (pid $pid, log $dir/log)"
      exit 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "oidc-test-provider: start on port $port failed (attempt $attempt)" >&2
  stop_provider
done
tail -n 20 "$dir/log" >&2 || true
die "could not start the provider; see $dir/log"

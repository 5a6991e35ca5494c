# Shell functions shared by the benchmark scripts (bench/*/run.sh). Source it after `set -euo pipefail`:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
#
# It defines functions only, plus bench_root (the repository) and bench_pids (processes to stop on exit).
# shellcheck shell=bash

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_pids=()

log() { echo "bench: $*" >&2; }
# Inside a config's "server" object: benchmarks measure throughput, not the per-address limits
# (server.rate_limits), which a single load generator on loopback would otherwise hit.
# shellcheck disable=SC2034
no_rate_limits='"rate_limits": { "authentication_per_minute": 0, "writes_per_minute": 0, "reads_per_minute": 0, "uploads_per_minute": 0, "streams_per_minute": 0 }'
die() {
  log "$*"
  exit 1
}

# wrk -d accepts 10s / 2m / 1h; every wrk call gets a hard bound a little above that.
duration_seconds() {
  local d=$1
  case "$d" in
    *h) echo $((${d%h} * 3600)) ;;
    *m) echo $((${d%m} * 60)) ;;
    *s) echo "${d%s}" ;;
    *) echo "$d" ;;
  esac
}

# Checks DURATION-style $1 and prints the matching hard bound (seconds) for `timeout wrk`.
wrk_bound_for() {
  [[ $(duration_seconds "$1") =~ ^[0-9]+$ ]] || die "DURATION must look like 10s, 2m or 1h"
  echo $(($(duration_seconds "$1") + 30))
}

# install_tools COMMAND=PACKAGE...: apt-get installs the packages whose command is missing.
install_tools() {
  local missing=() pair
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null || [[ -x /usr/sbin/${pair%%=*} ]] || missing+=("${pair#*=}")
  done
  ((${#missing[@]} == 0)) || install_packages "${missing[@]}"
}

# install_packages PACKAGE...: apt-get installs those not installed (for packages without a command).
install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing ${missing[*]}"
  local sudo=()
  if ((EUID != 0)); then
    command -v sudo >/dev/null || die "need root (or sudo) to install ${missing[*]}"
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update </dev/null
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends \
    "${missing[@]}" </dev/null
}

# free_port comes from scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

wait_http() { # url pid
  local i
  for ((i = 0; i < 100; i++)); do
    curl -fsS -o /dev/null --max-time 1 "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# Prints the carehub binary to use: CAREHUB_BIN, else the release build (built now if needed).
carehub_binary() {
  local bin
  if [[ -n ${CAREHUB_BIN:-} ]]; then
    bin=$CAREHUB_BIN
  else
    bash "$bench_root/scripts/build.sh" carehub >&2
    bin=$bench_root/build/carehub
  fi
  [[ -x $bin ]] || die "no carehub binary at $bin"
  echo "$bin"
}

# SIGTERM, up to 5 s to exit, then SIGKILL.
stop_process() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

# track_pid PID: stopped on exit. untrack_pid PID: the script has stopped and reaped it itself.
track_pid() { bench_pids+=("$1"); }
untrack_pid() {
  local kept=() p
  for p in "${bench_pids[@]}"; do [[ $p == "$1" ]] || kept+=("$p"); done
  bench_pids=("${kept[@]}")
}

# Creates the temp dir (global `tmp`) and the traps that stop tracked processes and remove it.
bench_tmp_and_traps() {
  tmp=$(mktemp -d /tmp/carehub-bench.XXXXXX)
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench_cleanup() {
  local rc=$? pid
  for pid in "${bench_pids[@]}"; do stop_process "$pid"; done
  wait 2>/dev/null || true
  if [[ ${KEEP_TMP:-} == 1 ]]; then
    log "kept $tmp"
  else
    rm -rf "$tmp"
  fi
  exit "$rc"
}

# start_carehub BIN CONFIG PORT: migrate_carehub, then serve_carehub.
start_carehub() {
  migrate_carehub "$1" "$2"
  serve_carehub "$@"
}

migrate_carehub() { # bin config
  "$1" --config "$2" migrate >"$tmp/migrate.log" 2>&1 ||
    { cat "$tmp/migrate.log" >&2; die "carehub migrate failed"; }
}

# serve_carehub BIN CONFIG PORT: `serve` in the background (global carehub_pid, logs in
# $tmp/carehub.log), then waits for /healthz.
serve_carehub() {
  "$1" --config "$2" serve 2>"$tmp/carehub.log" &
  carehub_pid=$!
  track_pid "$carehub_pid"
  wait_http "http://127.0.0.1:$3/healthz" "$carehub_pid" ||
    { tail -n 20 "$tmp/carehub.log" >&2; die "carehub did not start"; }
}

carehub_alive_or_die() {
  kill -0 "$carehub_pid" 2>/dev/null || { tail -n 20 "$tmp/carehub.log" >&2; die "carehub died"; }
}

# Stops carehub the way an operator would; a clean exit is part of the result.
stop_carehub_and_report() {
  kill -TERM "$carehub_pid"
  local rc=0
  wait "$carehub_pid" || rc=$?
  untrack_pid "$carehub_pid"
  carehub_pid=""
  echo "carehub exit status after SIGTERM: $rc"
  if grep -q '"level":"error"' "$tmp/carehub.log"; then
    echo "carehub logged errors during the run:"
    grep '"level":"error"' "$tmp/carehub.log" | head -n 5
  fi
}

# bootstrap_admin BIN CONFIG: `carehub bootstrap` of bench@clinic.example with a random password
# (global `admin_password`, also in $tmp/password). Before serve.
bootstrap_admin() {
  admin_password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$admin_password" >"$tmp/password"
  "$1" --config "$2" bootstrap --admin-email bench@clinic.example \
    --password-file "$tmp/password" >"$tmp/bootstrap.log" 2>&1 || die "bootstrap failed"
}

# admin_token BASE_URL: an access token of the bootstrapped admin (after serve).
admin_token() {
  curl -fsS -H 'Content-Type: application/json' \
    --data "{\"email\":\"bench@clinic.example\",\"password\":\"$admin_password\"}" \
    "$1/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# nginx as the peer of the HTTP benchmarks: its scratch folders under $tmp/nginx and the 20-byte
# static file both serve, then the lines every such nginx.conf's http block starts with (no access
# log, every temp path in the scratch folder).
nginx_scratch() {
  mkdir -p "$tmp/nginx/www" "$tmp/nginx/temp"
  printf 'hello from nginx!!\n' >"$tmp/nginx/www/static.txt"
}
# Starts nginx with $tmp/nginx/nginx.conf (nginx_pid, tracked for the exit trap); the caller
# waits for it to answer.
nginx_start() {
  "$nginx_bin" -p "$tmp/nginx/" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" &
  nginx_pid=$!
  track_pid "$nginx_pid"
}
nginx_http_basics() {
  cat <<EOF
  access_log off;
  client_body_temp_path $tmp/nginx/temp/body;
  proxy_temp_path $tmp/nginx/temp/proxy;
  fastcgi_temp_path $tmp/nginx/temp/fastcgi;
  uwsgi_temp_path $tmp/nginx/temp/uwsgi;
  scgi_temp_path $tmp/nginx/temp/scgi;
  default_type text/plain;
EOF
}

# For benchmarks whose peer has no bind-address option (Orthanc): the script runs again inside a
# new network namespace where only loopback exists. Outside, loopback_netns_reexec SCRIPT ARGS...
# finds the binary as it is (CAREHUB_BIN, else build/carehub; none when skip_carehub=1: never built
# here) and re-executes; inside (CAREHUB_BENCH_NETNS set), loopback_netns_enter brings lo up, checks
# nothing else is there, and sets bin to a copy of the binary in $tmp (after bench_tmp_and_traps),
# so a rebuild during the run changes nothing mid-way.
loopback_netns_reexec() {
  local script=$1
  shift
  local binary=""
  if [[ ${skip_carehub:-0} != 1 ]]; then
    binary=${CAREHUB_BIN:-$bench_root/build/carehub}
    [[ -x $binary ]] || die "no carehub binary at $binary (bash scripts/build.sh carehub, or set CAREHUB_BIN)"
  fi
  local unshare_flags=(-n)
  ((EUID == 0)) || unshare_flags=(-r -n) # a user namespace gives the right to create the netns
  exec unshare "${unshare_flags[@]}" -- env CAREHUB_BENCH_NETNS=1 CAREHUB_BIN="$binary" \
    bash "$script" "$@"
}

loopback_netns_enter() {
  ip link set lo up
  [[ $(ip -o link show | grep -cv ': lo:') == 0 ]] || die "the namespace has more than loopback"
  bin=""
  if [[ -n ${CAREHUB_BIN:-} ]]; then
    bin=$tmp/carehub
    cp "$CAREHUB_BIN" "$bin"
  fi
}

# merge_result OUT_JSON KEY=VALUE... (VALUE is JSON): adds fields to a result file.
merge_result() {
  local out=$1
  shift
  /usr/bin/python3 - "$out" "$@" <<'PY'
import json, sys
path = sys.argv[1]
try:
    doc = json.load(open(path))
except FileNotFoundError:
    doc = {}
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    doc[k] = json.loads(v)
json.dump(doc, open(path, "w"))
PY
}

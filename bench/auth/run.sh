#!/usr/bin/env bash
# Auth benchmark: authenticated reads and logins against carehub on SQLite, on loopback, driven by wrk.
#
#   bash bench/auth/run.sh
#
# Measures requests/s and latency percentiles (p50/p90/p99) of
#   healthz  GET /healthz                 64 connections (the reference from the same run)
#   me       GET /api/v1/auth/me          64 connections, a valid access token: signature check
#                                         plus one row read
#   login    POST /api/v1/auth/login      LOGIN_CONNECTIONS (default 8): one argon2id verification
#                                         at the default cost (19 MiB, t=2) plus a session written
# plus carehub's resident memory when idle and after the load, then prints the table, the
# /me to /healthz ratio against the target (authenticated reads >= 50% of /healthz; printed as
# PASS/MISS, never failing the run) and logins/s.
#
# Environment: DURATION (wrk -d, default 10s), CONNECTIONS (default 64), LOGIN_CONNECTIONS
# (default 8), CAREHUB_BIN (use this binary, skip the build), KEEP_TMP=1 (keep the temp dir with
# config, logs and raw wrk output), BENCH_JSON=FILE (also write results as JSON).
# Any CAREHUB_* variable (e.g. CAREHUB_SERVER__IO_THREADS=1) reaches the server; do not use it to
# lower auth.password_* if the login figure is meant to reflect production cost.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
duration=${DURATION:-10s}
connections=${CONNECTIONS:-64}
login_connections=${LOGIN_CONNECTIONS:-8}
wrk_bound=$(wrk_bound_for "$duration")
[[ $connections =~ ^[1-9][0-9]*$ && $login_connections =~ ^[1-9][0-9]*$ ]] ||
  die "CONNECTIONS and LOGIN_CONNECTIONS must be positive integers"

install_tools wrk=wrk curl=curl
bin=$(carehub_binary)

bench_tmp_and_traps
carehub_pid=""

# carehub: SQLite and signing keys in the temp dir, no access lines (they are info). The login
# limits are raised to their maxima so that one client address hammering the login route with the
# right password is measured, not throttled; argon2id keeps its defaults (production cost).
# The access token outlives the run.
carehub_port=$(free_port)
token_ttl=$(($(duration_seconds "$duration") + 600))
if ((token_ttl < 900)); then token_ttl=900; fi
if ((token_ttl > 86400)); then token_ttl=86400; fi
cat >"$tmp/carehub.json" <<EOF
{
  "server": { "host": "127.0.0.1", "port": $carehub_port, $no_rate_limits },
  "database": { "url": "sqlite://$tmp/carehub.db" },
  "blob": { "path": "$tmp/blobs" },
  "log": { "level": "warn" },
  "auth": {
    "keys_dir": "$tmp/keys",
    "access_token_ttl_s": $token_ttl,
    "login_rate_per_minute": 100000,
    "lockout_failures": 1000
  }
}
EOF

email=bench@clinic.example
password=bench-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n') # 38 chars, no JSON escaping needed
(umask 077 && printf '%s\n' "$password" >"$tmp/password")
login_body="{\"email\":\"$email\",\"password\":\"$password\"}"
cat >"$tmp/login.lua" <<EOF
wrk.method = "POST"
wrk.body = '$login_body'
wrk.headers["Content-Type"] = "application/json"
EOF

migrate_carehub "$bin" "$tmp/carehub.json"
"$bin" --config "$tmp/carehub.json" bootstrap --admin-email "$email" --password-file "$tmp/password" \
  >"$tmp/bootstrap.log" 2>&1 || { cat "$tmp/bootstrap.log" >&2; die "carehub bootstrap failed"; }
serve_carehub "$bin" "$tmp/carehub.json" "$carehub_port"
base=http://127.0.0.1:$carehub_port

curl -fsS --max-time 10 -H 'Content-Type: application/json' --data "$login_body" \
  "$base/api/v1/auth/login" >"$tmp/login.json" || die "POST /api/v1/auth/login failed"
token=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["access_token"])' \
  "$tmp/login.json") || die "no access_token in the login response: $(head -c 300 "$tmp/login.json")"
auth_header="Authorization: Bearer $token"
curl -fsS -o /dev/null --max-time 10 -H "$auth_header" "$base/api/v1/auth/me" ||
  die "GET /api/v1/auth/me with the access token failed"
# The hash parameters actually stored, so the report shows the cost the login figure paid.
hash_params=$(python3 -c 'import sqlite3, sys
h = sqlite3.connect(sys.argv[1]).execute(
    "SELECT password_hash FROM users WHERE email = ?", (sys.argv[2],)).fetchone()[0]
print(",".join(h.split("$")[3:4]) or "?")' "$tmp/carehub.db" "$email") || hash_params="?"
sleep 1
idle_rss=$(rss_kb "$carehub_pid")

log "carehub $("$bin" version 2>/dev/null | head -n 1) on :$carehub_port"
log "duration $duration per run; $connections connections (/healthz, /me), $login_connections (login)"
# warm-up: caches, connection pools, page faults, argon2 arenas
timeout 20 wrk -t2 -c16 -d1s "$base/healthz" >/dev/null
timeout 20 wrk -t2 -c16 -d1s -H "$auth_header" "$base/api/v1/auth/me" >/dev/null
timeout 20 wrk -t1 -c2 -d1s -s "$tmp/login.lua" "$base/api/v1/auth/login" >/dev/null

run_wrk() { # name connections wrk-args...
  local name=$1 c=$2 threads
  shift 2
  threads=$((c < 2 ? c : 2))
  log "wrk -t$threads -c$c -d$duration --latency $name"
  timeout "$wrk_bound" wrk -t"$threads" -c"$c" -d"$duration" --latency "$@" \
    >"$tmp/wrk-$name.txt" 2>&1 || log "wrk exited non-zero for $name"
  carehub_alive_or_die
}
run_wrk healthz "$connections" "$base/healthz"
run_wrk me "$connections" -H "$auth_header" "$base/api/v1/auth/me"
run_wrk login "$login_connections" -s "$tmp/login.lua" "$base/api/v1/auth/login"
sleep 1
loaded_rss=$(rss_kb "$carehub_pid")
peak_rss=$(hwm_kb "$carehub_pid")

python3 "$here/report.py" --dir "$tmp" --duration "$duration" --connections "$connections" \
  --login-connections "$login_connections" --hash-params "$hash_params" \
  --idle-rss-kb "$idle_rss" --loaded-rss-kb "$loaded_rss" --peak-rss-kb "$peak_rss" \
  ${BENCH_JSON:+--json "$BENCH_JSON"}

stop_carehub_and_report

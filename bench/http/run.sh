#!/usr/bin/env bash
# HTTP benchmark: carehub against nginx serving a small static file, both on loopback, driven by wrk.
#
#   bash bench/http/run.sh
#
# Measures requests/s and latency percentiles (p50/p90/p99) at 1, 64 and 256 connections for
#   nginx   GET /static.txt            (20-byte file; the reference)
#   healthz GET /healthz               (carehub, no database)
#   row     GET /api/v1/diag/rows/1    (carehub, one row read from SQLite; diag module on)
# plus carehub's resident memory when idle and after the load, then prints the table, the
# carehub/nginx ratio for /healthz and the targets (printed, never failing the run).
#
# Environment: DURATION (wrk -d, default 10s), CONNECTIONS (default "1 64 256"),
# NGINX_WORKERS (default 2), CAREHUB_BIN (use this binary, skip the build), KEEP_TMP=1 (keep the
# temp dir with configs, logs and raw wrk output), BENCH_JSON=FILE (also write results as JSON).
# Any CAREHUB_* variable (e.g. CAREHUB_SERVER__IO_THREADS=1) reaches the server.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
duration=${DURATION:-10s}
connections=${CONNECTIONS:-1 64 256}
nginx_workers=${NGINX_WORKERS:-2}
wrk_bound=$(wrk_bound_for "$duration")

install_tools wrk=wrk nginx=nginx-light curl=curl
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
bin=$(carehub_binary)

bench_tmp_and_traps
carehub_pid=""
nginx_pid=""

# carehub: SQLite in the temp dir, diag routes on, no access lines (they are info).
carehub_port=$(free_port)
cat >"$tmp/carehub.json" <<EOF
{
  "server": { "host": "127.0.0.1", "port": $carehub_port, $no_rate_limits },
  "database": { "url": "sqlite://$tmp/carehub.db" },
  "blob": { "path": "$tmp/blobs" },
  "log": { "level": "warn" },
  "diag": { "enabled": true }
}
EOF
start_carehub "$bin" "$tmp/carehub.json" "$carehub_port"
base=http://127.0.0.1:$carehub_port
curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' --data '{"value":"benchmark row"}' \
  "$base/api/v1/diag/rows/1" || die "seeding /api/v1/diag/rows/1 failed (is the diag module built in?)"
curl -fsS -o /dev/null "$base/api/v1/diag/rows/1" || die "GET /api/v1/diag/rows/1 failed"
sleep 1
idle_rss=$(rss_kb "$carehub_pid")

# nginx: its own prefix, config, pid and temp paths in the temp dir; foreground master we own.
nginx_port=$(free_port)
nginx_scratch
{
  ((EUID == 0)) && echo "user root;" # workers must read the root-owned 0700 temp dir
  cat <<EOF
worker_processes $nginx_workers;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 4096; }
http {
$(nginx_http_basics)
  server {
    listen 127.0.0.1:$nginx_port;
    root $tmp/nginx/www;
  }
}
EOF
} >"$tmp/nginx/nginx.conf"
nginx_start
wait_http "http://127.0.0.1:$nginx_port/static.txt" "$nginx_pid" ||
  { cat "$tmp/nginx/error.log" >&2; die "nginx did not start"; }

declare -A urls=(
  [nginx]="http://127.0.0.1:$nginx_port/static.txt"
  [healthz]="$base/healthz"
  [row]="$base/api/v1/diag/rows/1"
)
targets=(nginx healthz row)

log "carehub $("$bin" version 2>/dev/null | head -n 1) on :$carehub_port, nginx on :$nginx_port"
log "duration $duration per run, connections: $connections"
for t in "${targets[@]}"; do # warm-up: caches, connection pools, page faults
  timeout 20 wrk -t2 -c16 -d1s "${urls[$t]}" >/dev/null
done
for c in $connections; do
  threads=$((c < 2 ? c : 2))
  for t in "${targets[@]}"; do
    log "wrk -t$threads -c$c -d$duration --latency $t"
    timeout "$wrk_bound" wrk -t"$threads" -c"$c" -d"$duration" --latency "${urls[$t]}" \
      >"$tmp/wrk-$t-$c.txt" 2>&1 || log "wrk exited non-zero for $t at $c connections"
    carehub_alive_or_die
  done
done
sleep 1
loaded_rss=$(rss_kb "$carehub_pid")
peak_rss=$(hwm_kb "$carehub_pid")

python3 "$here/report.py" --dir "$tmp" --targets "${targets[*]}" --connections "$connections" \
  --duration "$duration" --idle-rss-kb "$idle_rss" --loaded-rss-kb "$loaded_rss" \
  --peak-rss-kb "$peak_rss" --nginx-workers "$nginx_workers" ${BENCH_JSON:+--json "$BENCH_JSON"}

stop_carehub_and_report

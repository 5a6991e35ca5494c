#!/usr/bin/env bash
# TLS benchmark: carehub over HTTPS against nginx serving a small static file over HTTPS, both on
# loopback, with the same certificate (one ECDSA P-256 self-signed certificate made here) and the
# same protocol and suite (TLS 1.3, TLS_AES_128_GCM_SHA256, X25519).
#
#   CAREHUB_BIN=/path/to/carehub bash bench/http/tls.sh
#
# Measures, for both servers:
#   1. keep-alive requests/s: wrk -t2 -c64 on https://…/healthz (carehub) and /static.txt (nginx)
#   2. connections/s:
#      - full handshakes: openssl s_time -new (no session reuse), HANDSHAKE_CLIENTS processes at
#        once, each one connection at a time: handshake, `GET path HTTP/1.0`, the response, close
#      - resumed handshakes: wrk -t2 -c64 -H 'Connection: close'; wrk resumes the session of a
#        connection's previous TLS connection (TLS 1.3 ticket), so these are mostly resumptions
#   3. memory per idle TLS connection: idle_tls.py holds CONNECTIONS_IDLE connections, each after a
#      handshake and one keep-alive GET, and (RSS with them - RSS before) / CONNECTIONS_IDLE is
#      reported: carehub's VmRSS, the sum of the nginx workers' VmRSS
# then prints the carehub/nginx ratios and the targets (PASS/MISS lines, never failing the run):
# each rate at least 0.8x nginx's, at most 40 KiB per idle TLS connection for carehub.
#
# Pinning: carehub has no cipher settings (TLS 1.2/1.3, its own suite list in server preference
# order, TLS_AES_128_GCM_SHA256 first); nginx is pinned to TLSv1.3 and that suite. Of the clients,
# s_time is pinned (-tls1_3 -ciphersuites), Python's is pinned to TLS 1.3, wrk cannot be (it offers
# OpenSSL's defaults), so the servers choose; what each negotiates is checked with openssl s_client
# and printed. Both servers allow up to ~1M requests on a keep-alive connection.
#
# Environment: DURATION (wrk -d and s_time -time, default 10s), CONNECTIONS_IDLE (default 1000),
# HANDSHAKE_CLIENTS (parallel s_time processes, default 2), NGINX_WORKERS (default 2),
# CAREHUB_BIN (use this binary, skip the build), KEEP_TMP=1 (keep the temp dir with the
# certificate, configs, logs and raw wrk/s_time output).
# Any CAREHUB_* variable (e.g. CAREHUB_SERVER__IO_THREADS=1) reaches the server.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
duration=${DURATION:-10s}
idle_n=${CONNECTIONS_IDLE:-1000}
handshake_clients=${HANDSHAKE_CLIENTS:-2}
nginx_workers=${NGINX_WORKERS:-2}
wrk_bound=$(wrk_bound_for "$duration")
seconds=$(duration_seconds "$duration")
[[ $idle_n =~ ^[1-9][0-9]*$ ]] || die "CONNECTIONS_IDLE must be a positive number"
[[ $handshake_clients =~ ^[1-9][0-9]*$ ]] || die "HANDSHAKE_CLIENTS must be a positive number"
suite=TLS_AES_128_GCM_SHA256

install_tools wrk=wrk nginx=nginx-light curl=curl python3=python3 openssl=openssl
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
bin=$(carehub_binary)

# Descriptors: the held connections, on both ends, plus the load's.
fds_needed=$((idle_n + 1024))
if [[ $(ulimit -n) != unlimited ]] && (($(ulimit -n) < fds_needed)); then
  ulimit -n "$fds_needed" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
  [[ $(ulimit -n) == unlimited ]] || (($(ulimit -n) >= fds_needed)) ||
    die "need $fds_needed file descriptors (ulimit -n), the hard limit is $(ulimit -Hn)"
fi

bench_tmp_and_traps
carehub_pid=""
nginx_pid=""

# The certificate both servers use.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 >"$tmp/openssl-req.log" 2>&1 ||
  { cat "$tmp/openssl-req.log" >&2; die "openssl could not make the certificate"; }

wait_https() { # url pid
  local i
  for ((i = 0; i < 100; i++)); do
    curl -fsS -o /dev/null --max-time 1 --cacert "$tmp/cert.pem" "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# carehub: as bench/http/run.sh's (SQLite in the temp dir, warn), plus HTTPS; keep-alive limits as
# nginx's below; room for the held connections (past 3/4 of max_connections it evicts idle ones).
carehub_port=$(free_port)
cat >"$tmp/carehub.json" <<EOF
{
  "server": {
    "host": "127.0.0.1", "port": $carehub_port, $no_rate_limits,
    "upload_dir": "$tmp/uploads",
    "idle_timeout_ms": 600000, "max_requests_per_connection": 1000000,
    "max_connections": $((idle_n * 2 > 10000 ? idle_n * 2 : 10000)),
    "tls": { "cert_file": "$tmp/cert.pem", "key_file": "$tmp/key.pem" }
  },
  "database": { "url": "sqlite://$tmp/carehub.db" },
  "blob": { "path": "$tmp/blobs" },
  "log": { "level": "warn" }
}
EOF
migrate_carehub "$bin" "$tmp/carehub.json"
# serve_carehub's wait is on plain http://; the same steps, waiting on https://.
"$bin" --config "$tmp/carehub.json" serve 2>"$tmp/carehub.log" &
carehub_pid=$!
track_pid "$carehub_pid"
wait_https "https://127.0.0.1:$carehub_port/healthz" "$carehub_pid" ||
  { tail -n 20 "$tmp/carehub.log" >&2; die "carehub did not start with HTTPS"; }

# nginx: its own prefix, config, pid and temp paths in the temp dir; foreground master we own.
nginx_port=$(free_port)
nginx_scratch
{
  ((EUID == 0)) && echo "user root;" # workers must read the root-owned 0700 temp dir
  cat <<EOF
worker_processes $nginx_workers;
worker_rlimit_nofile $((fds_needed + 1024));
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections $((fds_needed > 4096 ? fds_needed : 4096)); }
http {
$(nginx_http_basics)
  keepalive_requests 1000000;
  keepalive_timeout 600s;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    root $tmp/nginx/www;
    ssl_certificate $tmp/cert.pem;
    ssl_certificate_key $tmp/key.pem;
    ssl_protocols TLSv1.3;
    ssl_conf_command Ciphersuites $suite;
    ssl_ecdh_curve X25519:prime256v1:secp384r1;
    ssl_prefer_server_ciphers on;
    ssl_session_cache shared:SSL:10m;
  }
}
EOF
} >"$tmp/nginx/nginx.conf"
nginx_start
wait_https "https://127.0.0.1:$nginx_port/static.txt" "$nginx_pid" ||
  { cat "$tmp/nginx/error.log" >&2; die "nginx did not start with HTTPS"; }

declare -A ports=([carehub]=$carehub_port [nginx]=$nginx_port)
declare -A paths=([carehub]=/healthz [nginx]=/static.txt)
servers=(carehub nginx)
log "carehub $("$bin" version 2>/dev/null | head -n 1) on :$carehub_port, nginx on :$nginx_port"

nginx_rss_kb() { # the workers' VmRSS, summed
  local sum=0 n=0 p kids
  read -ra kids < <(cat /proc/"$nginx_pid"/task/*/children)
  for p in "${kids[@]}"; do
    sum=$((sum + $(rss_kb "$p"))) n=$((n + 1))
  done
  ((n == nginx_workers)) || log "warning: $n nginx workers found, $nginx_workers expected"
  echo "$sum"
}
server_rss_kb() { if [[ $1 == carehub ]]; then rss_kb "$carehub_pid"; else nginx_rss_kb; fi; }

# s_client NAME FILE HTTP-VERSION [OPTION...]: one verified TLS connection and a GET (HTTP/1.0
# as s_time sends it, or HTTP/1.1 with Host and Connection: close); the transcript in FILE.
s_client() {
  local name=$1 out=$2 request="GET ${paths[$1]} HTTP/$3\r\n"
  [[ $3 == 1.0 ]] || request+='Host: 127.0.0.1\r\nConnection: close\r\n'
  shift 3
  printf '%b\r\n' "$request" |
    timeout 10 openssl s_client -connect "127.0.0.1:${ports[$name]}" -CAfile "$tmp/cert.pem" \
      -verify_ip 127.0.0.1 -verify_return_error -ign_eof "$@" >"$out" 2>&1 || true
}
# "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519 (HTTP 200, certificate verified)" from a transcript.
negotiated() {
  awk '/^ *Protocol *:/ {p = $3} /^ *Cipher *:/ {c = $3} /^Server Temp Key:/ {k = $4; sub(/,$/, "", k)}
       /^HTTP\/1\.[01] / {s = $2} /Verify return code: 0 /{v = 1}
       END {printf "%s %s %s (HTTP %s, certificate %s)", p ? p : "?", c ? c : "?", k ? k : "?",
            s ? s : "none", v ? "verified" : "NOT verified"}' "$1"
}

# What each client negotiates with each server, and whether a session resumes (wrk's reconnects).
declare -A offer_default offer_pinned resumes
for s in "${servers[@]}"; do
  s_client "$s" "$tmp/s_client-$s-default.txt" 1.1 -sess_out "$tmp/session-$s.pem"
  offer_default[$s]=$(negotiated "$tmp/s_client-$s-default.txt")
  s_client "$s" "$tmp/s_client-$s-pinned.txt" 1.0 -tls1_3 -ciphersuites "$suite"
  offer_pinned[$s]=$(negotiated "$tmp/s_client-$s-pinned.txt")
  resumes[$s]=no
  if [[ -s $tmp/session-$s.pem ]]; then
    s_client "$s" "$tmp/s_client-$s-resumed.txt" 1.1 -sess_in "$tmp/session-$s.pem"
    grep -q '^Reused, ' "$tmp/s_client-$s-resumed.txt" && resumes[$s]=yes
  fi
done

# 3 (measured first, before the load has grown the servers' heaps): memory per idle connection.
for s in "${servers[@]}"; do # a little warm-up: the first TLS connections' one-time allocations
  for _ in 1 2 3 4 5; do
    curl -fsS -o /dev/null --cacert "$tmp/cert.pem" "https://127.0.0.1:${ports[$s]}${paths[$s]}"
  done
done
declare -A idle_kib idle_line idle_held
for s in "${servers[@]}"; do
  sleep 1
  before=$(server_rss_kb "$s")
  log "idle: $idle_n TLS connections to $s"
  python3 "$here/idle_tls.py" --port "${ports[$s]}" --path "${paths[$s]}" --count "$idle_n" \
    --cafile "$tmp/cert.pem" >"$tmp/idle-$s.txt" 2>"$tmp/idle-$s.err" &
  idle_pid=$!
  track_pid "$idle_pid"
  for ((i = 0; i < 1200 + idle_n / 5; i++)); do # 0.1 s each: 2 min, plus 2 s a thousand
    grep -q '^ready' "$tmp/idle-$s.txt" && break
    kill -0 "$idle_pid" 2>/dev/null || break
    sleep 0.1
  done
  if grep -q '^ready' "$tmp/idle-$s.txt"; then
    sleep 1
    after=$(server_rss_kb "$s")
    kill -USR1 "$idle_pid"
    wait "$idle_pid" || log "idle_tls.py exited non-zero for $s"
    idle_kib[$s]=$(awk -v a="$after" -v b="$before" -v n="$idle_n" 'BEGIN {printf "%.1f", (a - b) / n}')
    idle_line[$s]=$(sed -n 's/^ready opened=[0-9]* //p' "$tmp/idle-$s.txt")
    idle_held[$s]=$(sed -n 's/^held=//p' "$tmp/idle-$s.txt")
    log "idle $s: RSS $before -> $after KiB, held ${idle_held[$s]}"
  else
    stop_process "$idle_pid"
    wait "$idle_pid" 2>/dev/null || true
    log "idle_tls.py did not open its connections to $s: $(tail -n 3 "$tmp/idle-$s.err")"
    idle_kib[$s]=n/a idle_line[$s]=n/a idle_held[$s]=n/a
  fi
  untrack_pid "$idle_pid"
  carehub_alive_or_die
done

# wrk_rate FILE: requests/s, or n/a.
wrk_rate() { awk '/^Requests\/sec:/ {print $2; found = 1} END {if (!found) print "n/a"}' "$1"; }
wrk_errors() { grep -E '^ *(Socket errors|Non-2xx)' "$1" | tr -s ' ' | paste -sd ';' - || true; }

# 1. keep-alive requests/s, 2b. reconnects (wrk, Connection: close).
declare -A keepalive reconnect
for s in "${servers[@]}"; do # warm-up: caches, page faults
  timeout 20 wrk -t2 -c16 -d1s "https://127.0.0.1:${ports[$s]}${paths[$s]}" >/dev/null 2>&1 || true
done
for s in "${servers[@]}"; do
  url="https://127.0.0.1:${ports[$s]}${paths[$s]}"
  log "wrk -t2 -c64 -d$duration $s (keep-alive)"
  timeout "$wrk_bound" wrk -t2 -c64 -d"$duration" "$url" >"$tmp/wrk-keepalive-$s.txt" 2>&1 ||
    log "wrk exited non-zero for $s (keep-alive)"
  keepalive[$s]=$(wrk_rate "$tmp/wrk-keepalive-$s.txt")
  carehub_alive_or_die
done
for s in "${servers[@]}"; do
  url="https://127.0.0.1:${ports[$s]}${paths[$s]}"
  log "wrk -t2 -c64 -d$duration -H 'Connection: close' $s"
  timeout "$wrk_bound" wrk -t2 -c64 -d"$duration" -H 'Connection: close' "$url" \
    >"$tmp/wrk-close-$s.txt" 2>&1 || log "wrk exited non-zero for $s (Connection: close)"
  reconnect[$s]=$(wrk_rate "$tmp/wrk-close-$s.txt")
  carehub_alive_or_die
  sleep 2 # let the closed connections' state settle before the next run
done

# 2a. full handshakes/s: HANDSHAKE_CLIENTS s_time processes at once, connections / wall time.
declare -A full
for s in "${servers[@]}"; do
  log "openssl s_time -new -time $seconds x$handshake_clients $s"
  start_ns=$(date +%s%N)
  st_pids=()
  for ((k = 0; k < handshake_clients; k++)); do
    timeout "$wrk_bound" openssl s_time -new -connect "127.0.0.1:${ports[$s]}" -tls1_3 \
      -ciphersuites "$suite" -www "${paths[$s]}" -time "$seconds" >"$tmp/s_time-$s-$k.txt" 2>&1 &
    st_pids+=($!)
  done
  for p in "${st_pids[@]}"; do wait "$p" || log "s_time exited non-zero for $s"; done
  end_ns=$(date +%s%N)
  total=$(cat "$tmp"/s_time-"$s"-*.txt | awk '/connections in .* real seconds/ {n += $1} END {print n + 0}')
  full[$s]=$(awk -v n="$total" -v ns=$((end_ns - start_ns)) 'BEGIN {if (n > 0) printf "%.1f", n / (ns / 1e9); else print "n/a"}')
  carehub_alive_or_die
  sleep 2
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a"}'; }
# target LABEL VALUE OP LIMIT: PASS when VALUE OP LIMIT holds (ge or le), MISS otherwise or n/a.
target() {
  local ok
  ok=$(awk -v v="$2" -v op="$3" -v l="$4" 'BEGIN {
    if (v !~ /^-?[0-9.]+$/) {print 0; exit}
    print (op == "ge" ? v + 0 >= l + 0 : v + 0 <= l + 0) }')
  if ((ok)); then echo "PASS $1"; else echo "MISS $1"; fi
}

ka_ratio=$(ratio "${keepalive[carehub]}" "${keepalive[nginx]}")
full_ratio=$(ratio "${full[carehub]}" "${full[nginx]}")
re_ratio=$(ratio "${reconnect[carehub]}" "${reconnect[nginx]}")
cat <<EOF

TLS benchmark, loopback, duration $duration per run, $(nproc) cores, nginx $nginx_workers workers
carehub $("$bin" version 2>/dev/null | head -n 1); $("$nginx_bin" -v 2>&1); $(openssl version)
certificate: ECDSA P-256, self-signed, SAN IP:127.0.0.1 (the same file for both)

negotiated (openssl s_client):
  carehub, client's default offer (as wrk's): ${offer_default[carehub]}
  nginx,   client's default offer (as wrk's): ${offer_default[nginx]}
  carehub, client pinned (-tls1_3 -ciphersuites $suite), HTTP/1.0 GET as s_time's:
    ${offer_pinned[carehub]}
  nginx,   client pinned (-tls1_3 -ciphersuites $suite), HTTP/1.0 GET as s_time's:
    ${offer_pinned[nginx]}
  session resumption (ticket offered again): carehub ${resumes[carehub]}, nginx ${resumes[nginx]}

1. keep-alive requests/s (wrk -t2 -c64 -d$duration, OpenSSL's default client offer)
  carehub GET /healthz      ${keepalive[carehub]}  $(wrk_errors "$tmp/wrk-keepalive-carehub.txt")
  nginx   GET /static.txt   ${keepalive[nginx]}  $(wrk_errors "$tmp/wrk-keepalive-nginx.txt")
  ratio carehub/nginx       $ka_ratio

2. new TLS connections/s
  full handshakes (openssl s_time -new -tls1_3 -ciphersuites $suite -www PATH -time $seconds,
  $handshake_clients processes at once; each: handshake, GET PATH HTTP/1.0, response, close)
    carehub                 ${full[carehub]}
    nginx                   ${full[nginx]}
    ratio carehub/nginx     $full_ratio
  resumed handshakes (wrk -t2 -c64 -d$duration -H 'Connection: close', a request per connection;
  wrk offers each connection's previous session again, so nearly all are TLS 1.3 resumptions)
    carehub                 ${reconnect[carehub]}  $(wrk_errors "$tmp/wrk-close-carehub.txt")
    nginx                   ${reconnect[nginx]}  $(wrk_errors "$tmp/wrk-close-nginx.txt")
    ratio carehub/nginx     $re_ratio

3. memory per idle TLS connection ($idle_n connections, each after a handshake and one keep-alive
   GET; (RSS held - RSS before) / $idle_n; carehub's VmRSS, nginx's workers' VmRSS summed)
  carehub                   ${idle_kib[carehub]} KiB  (${idle_line[carehub]}; held ${idle_held[carehub]})
  nginx                     ${idle_kib[nginx]} KiB  (${idle_line[nginx]}; held ${idle_held[nginx]})

targets:
$(target "keep-alive requests/s carehub/nginx = $ka_ratio (at least 0.80)" "$ka_ratio" ge 0.80)
$(target "full handshakes/s carehub/nginx = $full_ratio (at least 0.80)" "$full_ratio" ge 0.80)
$(target "resumed handshakes/s carehub/nginx = $re_ratio (at least 0.80)" "$re_ratio" ge 0.80)
$(target "idle TLS connection carehub = ${idle_kib[carehub]} KiB (at most 40)" "${idle_kib[carehub]}" le 40)
EOF

stop_carehub_and_report

#!/usr/bin/env bash
# Notification streams benchmark: CONNECTIONS (default 10,000) WebSocket connections on loopback to
# one carehub process, one per user, then a publisher sending RATE (default 1,000) notifications/s
# for DURATION_S seconds (default 20) to random users through the core's publisher (the diag route: each is
# committed, then delivered). Prints connections held, delivery latency p50/p99 from the
# publisher's send to the client's receipt (an upper bound of commit-to-receipt: it includes the
# publish request itself), notifications delivered/s, and carehub's RSS per connection (its VmRSS
# with every connection open, minus before, over the connections), against the targets: all held
# at <= 20 KiB each; p99 <= 50 ms at 1,000/s (PASS/MISS; the run never fails on them).
#
#   bash bench/notify/run.sh
#   CONNECTIONS=2000 DURATION_S=10 bash bench/notify/run.sh     # a quick look
#
# Environment: CONNECTIONS, RATE, DURATION_S, PUBLISHERS (publishing connections, default 4),
# CAREHUB_BIN (skip the build), KEEP_TMP=1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
connections=${CONNECTIONS:-10000}
rate=${RATE:-1000}
seconds=${DURATION_S:-20}
publishers=${PUBLISHERS:-4}

install_tools curl=curl python3=python3 g++=g++
install_packages libboost1.81-dev
bin=$(carehub_binary)
bench_tmp_and_traps
# Each side holds a descriptor per connection: the soft limit goes up to what the hard one allows.
want_fds=$((connections + 1024))
ulimit -n "$want_fds" 2>/dev/null || ulimit -n "$(ulimit -Hn)"
(($(ulimit -n) >= want_fds)) || die "open files limited to $(ulimit -n); $want_fds needed"

log "building the load client (bench/notify/ws_load.cpp)"
g++ -O2 -std=c++20 "$here/ws_load.cpp" -o "$tmp/ws_load" -lpthread

port=$(free_port)
cat >"$tmp/carehub.json" <<JSON
{
  "server": { "host": "127.0.0.1", "port": $port, "max_connections": $((connections + 1000)), $no_rate_limits },
  "database": { "url": "sqlite://$tmp/carehub.db" },
  "blob": { "path": "$tmp/blobs" },
  "log": { "level": "warn" },
  "diag": { "enabled": true },
  "notify": { "push_provider": "none" },
  "auth": { "keys_dir": "$tmp/keys", "password_memory_kib": 8192, "password_iterations": 1,
            "login_rate_per_minute": 100000, "access_token_ttl_s": 3600 }
}
JSON
cd "$tmp"
migrate_carehub "$bin" "$tmp/carehub.json"
bootstrap_admin "$bin" "$tmp/carehub.json"
serve_carehub "$bin" "$tmp/carehub.json" "$port"
base=http://127.0.0.1:$port
admin=$(admin_token "$base")
log "creating and signing in $connections users"
python3 "$here/users.py" "$base" "$admin" "$connections" "$tmp/tokens"
rss_before=$(rss_kb "$carehub_pid")

log "opening $connections WebSocket connections"
coproc LOAD { "$tmp/ws_load" "$port" "$tmp/tokens" "$rate" "$seconds" "$publishers"; }
read -r held_line <&"${LOAD[0]}"
rss_held=$(rss_kb "$carehub_pid")
log "held: $held_line; carehub RSS ${rss_before} -> ${rss_held} KiB; publishing $rate/s for ${seconds}s"
echo go >&"${LOAD[1]}"
read -r done_line <&"${LOAD[0]}"
wait "$LOAD_PID" || true
carehub_alive_or_die
rss_after=$(rss_kb "$carehub_pid")

python3 - "$held_line" "$done_line" "$rss_before" "$rss_held" "$rss_after" "$connections" "$rate" <<'PY'
import json, sys
held, done = json.loads(sys.argv[1]), json.loads(sys.argv[2])
before, with_all, after = (int(x) for x in sys.argv[3:6])
wanted, rate = int(sys.argv[6]), float(sys.argv[7])
per_conn = (with_all - before) / max(1, held["connections"])
print(f"\nconnections: {held['connections']} of {wanted} held (failed {held['failed']}, "
      f"opened in {held['ramp_seconds']:.1f} s; {done['closed_early']} closed early)")
print(f"carehub RSS: {before / 1024:.1f} MiB before, {with_all / 1024:.1f} MiB with all open "
      f"({per_conn:.1f} KiB per connection), {after / 1024:.1f} MiB after publishing")
print(f"published {done['published']} ({done['publish_errors']} errors) at {rate:.0f}/s for "
      f"{done['seconds']} s; received {done['received']} ({done['delivered_per_s']:.0f}/s)")
print(f"latency send -> receipt: p50 {done['latency_ms_p50']:.2f} ms, p99 "
      f"{done['latency_ms_p99']:.2f} ms, max {done['latency_ms_max']:.2f} ms")
def line(ok, what, value):
    print(f"  [{'PASS' if ok else 'MISS'}] {what:<48} {value}")
print("\ntargets:")
line(held["connections"] >= wanted and done["closed_early"] == 0, f"{wanted} connections held",
     held["connections"])
line(per_conn <= 20, "<= 20 KiB RSS per connection", f"{per_conn:.1f} KiB")
line(done["latency_ms_p99"] <= 50 and done["received"] >= done["published"] > 0,
     f"p99 <= 50 ms at {rate:.0f}/s, every one received", f"{done['latency_ms_p99']:.2f} ms")
PY

#!/usr/bin/env bash
# Contact tracing benchmark, on SQLite: USERS (default 1,000,000) registered app users, then an
# infected user uploads MEETINGS (5,000) meetings with CONTACTS (2,000) distinct contacts through a
# medical code. Prints the time from sending the accept to the last exposure committed (target:
# <= 2 s) and to the last alert written, then ACCEPTS (200) accepts of ACCEPT_MEETINGS (100)
# meetings each from THREADS (4) clients: accepts/s. PASS/MISS against the target; the run never
# fails on it.
#
#   bash bench/tracing/run.sh
#   USERS=100000 bash bench/tracing/run.sh     # a quick look
#
# The users go straight into the database (populate.py: an account and a tracing profile each,
# tokens derived as carehub derives them); signing up a million users through argon2id would
# measure password hashing, not tracing. Environment: USERS, MEETINGS, CONTACTS, ACCEPTS,
# ACCEPT_MEETINGS, THREADS, CAREHUB_BIN (skip the build), KEEP_TMP=1.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
users=${USERS:-1000000}
meetings=${MEETINGS:-5000}
contacts=${CONTACTS:-2000}
accepts=${ACCEPTS:-200}
accept_meetings=${ACCEPT_MEETINGS:-100}
threads=${THREADS:-4}

install_tools curl=curl python3=python3
bin=$(carehub_binary)
bench_tmp_and_traps
port=$(free_port)
cat >"$tmp/carehub.json" <<JSON
{
  "server": { "host": "127.0.0.1", "port": $port, $no_rate_limits },
  "database": { "url": "sqlite://$tmp/carehub.db" },
  "blob": { "path": "$tmp/blobs" },
  "log": { "level": "warn" },
  "notify": { "push_provider": "none" },
  "jobs": { "poll_interval_ms": 100 },
  "tracing": { "accepts_per_hour": 1000000, "codes_per_hour": 1000000 },
  "auth": { "keys_dir": "$tmp/keys", "password_memory_kib": 8192, "password_iterations": 1,
            "login_rate_per_minute": 100000, "access_token_ttl_s": 3600 }
}
JSON
cd "$tmp"
migrate_carehub "$bin" "$tmp/carehub.json"
bootstrap_admin "$bin" "$tmp/carehub.json"
log "adding $users registered users"
started=$(date +%s)
python3 "$here/populate.py" "$tmp/carehub.db" "$users" "$tmp/tokens"
log "added in $(($(date +%s) - started)) s"
serve_carehub "$bin" "$tmp/carehub.json" "$port"
base=http://127.0.0.1:$port
admin=$(admin_token "$base")
log "accept with $meetings meetings ($contacts contacts), then $accepts accepts of $accept_meetings"
figures=$(python3 "$here/load.py" "$base" "$admin" "$tmp/carehub.db" "$tmp/tokens" "$meetings" \
  "$contacts" "$accepts" "$accept_meetings" "$threads")
carehub_alive_or_die
python3 - "$figures" "$users" <<'PY'
import json, sys
f, users = json.loads(sys.argv[1]), int(sys.argv[2])
target = 2000
print(f"users registered:                         {users:,}")
print(f"meetings uploaded / distinct contacts:    {f['meetings']:,} / {f['contacts']:,}")
print(f"accept answered in:                       {f['accept_answer_ms']:.0f} ms")
print(f"accept -> last exposure committed (seen):  {f['to_last_exposure_committed_ms']:.0f} ms "
      f"(target <= {target} ms: {'PASS' if f['to_last_exposure_committed_ms'] <= target else 'MISS'})")
print(f"accept -> last alert written:             {f['to_last_alert_written_ms']:.0f} ms ({f['alerts']:,} alerts)")
print(f"accepts/s ({f['accept_meetings']} meetings each, {f['threads']} clients): {f['accepts_per_s']}")
PY
stop_carehub_and_report

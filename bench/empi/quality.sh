#!/usr/bin/env bash
# EMPI quality benchmark: FEBRL datasets imported through the API, matched with parameters learnt
# without labels and the same settings for every dataset, scored against the truth.
#
#   bash bench/empi/quality.sh
#
# For each dataset (../shared/data/empi/febrl_clean.csv as shipped, and FEBRL dataset2 converted
# by febrl_to_tuva.py) on a fresh SQLite database: bootstrap an admin, POST /api/v1/config, POST
# the CSV to /api/v1/person-records/import, poll /api/v1/jobs/{id}, POST /api/v1/person-records/
# export, then print pairwise precision, recall and F1 (records whose source_person_id share the
# rec-N number are one person) against the target F1 >= 0.95, with the import's wall time and
# carehub's peak RSS. PASS/MISS is printed, the run never fails on a MISS.
#
# Environment: CAREHUB_BIN (skip the build), KEEP_TMP=1, DATASETS (space-separated CSV paths in
# the import format, instead of the two), POTENTIAL / AUTO (thresholds, default 0.5 / 0.9),
# REALTIME_COUNT=N (after each import, N real-time searches through realtime.py).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
data_dir=$(cd "$bench_root/../shared/data/empi" 2>/dev/null && pwd) ||
  die "../shared/data/empi not found beside the repository"
potential=${POTENTIAL:-0.5}
automatic=${AUTO:-0.9}

install_tools curl=curl python3=python3
bin=$(carehub_binary)
bench_tmp_and_traps

if [[ -n ${DATASETS:-} ]]; then
  read -r -a datasets <<<"$DATASETS"
else
  python3 "$here/febrl_to_tuva.py" "$data_dir/febrl_dataset2.csv" "$tmp/febrl_dataset2.csv" febrl2
  datasets=("$data_dir/febrl_clean.csv" "$tmp/febrl_dataset2.csv")
fi

results=()
realtime=()
for dataset in "${datasets[@]}"; do
  name=$(basename "$dataset" .csv)
  run="$tmp/$name"
  mkdir -p "$run"
  port=$(free_port)
  cat >"$run/carehub.json" <<JSON
{
  "server": { "host": "127.0.0.1", "port": $port, $no_rate_limits },
  "database": { "url": "sqlite://$run/carehub.db" },
  "blob": { "path": "$run/blobs" },
  "log": { "level": "warn" },
  "auth": { "keys_dir": "$run/keys", "password_memory_kib": 8192, "password_iterations": 1 }
}
JSON
  password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" >"$run/password"
  cd "$run"  # relative defaults (server.upload_dir) land in the run's directory
  migrate_carehub "$bin" "$run/carehub.json"
  "$bin" --config "$run/carehub.json" bootstrap --admin-email bench@clinic.example \
    --password-file "$run/password" >"$run/bootstrap.log" 2>&1 || die "bootstrap failed"
  serve_carehub "$bin" "$run/carehub.json" "$port"
  base=http://127.0.0.1:$port
  token=$(curl -fsS -H 'Content-Type: application/json' \
    --data "{\"email\":\"bench@clinic.example\",\"password\":\"$password\"}" "$base/api/v1/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  auth="Authorization: Bearer $token"
  config_id=$(curl -fsS -H "$auth" -H 'Content-Type: application/json' \
    --data "{\"potential_match_threshold\":$potential,\"auto_match_threshold\":$automatic}" \
    "$base/api/v1/config" | python3 -c 'import json,sys; print(json.load(sys.stdin)["config_id"])')
  started=$(date +%s.%N)
  job_id=$(curl -fsS -H "$auth" -F "config_id=$config_id" -F "file=@$dataset;type=text/csv" \
    "$base/api/v1/person-records/import" | python3 -c 'import json,sys; print(json.load(sys.stdin)["job_id"])')
  log "$name: import job $job_id"
  state=""
  for _ in $(seq 3600); do
    curl -fsS -H "$auth" "$base/api/v1/jobs/$job_id" >"$run/job.json"
    state=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["state"])' "$run/job.json")
    [[ $state == succeeded || $state == dead || $state == cancelled ]] && break
    carehub_alive_or_die
    sleep 0.2
  done
  finished=$(date +%s.%N)
  [[ $state == succeeded ]] || { cat "$run/job.json" >&2; die "$name: import job ended $state"; }
  curl -fsS -X POST -H "$auth" "$base/api/v1/person-records/export" >"$run/crosswalk.csv"
  peak=$(hwm_kb "$carehub_pid")
  if [[ -n ${REALTIME_COUNT:-} ]]; then
    realtime+=("$name: $(python3 "$here/realtime.py" "$base" "$token" "$dataset" "$REALTIME_COUNT")")
  fi
  stop_process "$carehub_pid"
  untrack_pid "$carehub_pid"
  results+=("$(python3 "$here/score.py" "$run/crosswalk.csv" "$run/job.json" "$name" \
    "$(python3 -c "print(round($finished - $started, 2))")" "$peak")")
done

printf '\n%-22s %8s %9s %9s %7s %8s %9s %9s\n' dataset records precision recall F1 seconds "peak MB" target
for r in "${results[@]}"; do echo "$r"; done
for r in "${realtime[@]}"; do echo "$r"; done

#!/usr/bin/env bash
# DICOM ingest benchmark: carehub against Orthanc, in one run, on the same N distinct synthetic
# CT instances (gen.py: pydicom, 512x512 16-bit, ~0.5 MB each, 100 per study in 2 series).
#
#   bash bench/dicom/run.sh                  # N=1000 PRELOAD=100000
#   PRELOAD=5000 bash bench/dicom/run.sh     # quick look
#
# Scenarios, each on a fresh, empty server (own data directory, started for it, stopped after):
#   (a) plain POST of each instance (carehub: POST /api/v1/dicom/instances; Orthanc: POST
#       /instances) over 1 and over 4 keep-alive connections (ingest.py);
#   (b) STOW-RS, POST /dicom-web/studies, multipart/related batches of 50, 4 connections;
#   (c) C-STORE: DCMTK storescu, one association, all N files, TCP_NODELAY=1 on both sides;
#   (d) carehub (Orthanc too if SKIP_ORTHANC_PRELOAD=0): PRELOAD further distinct small instances (~15 KB each) sent by STOW-RS over 4
#       connections (its time is printed), then (a) with 4 connections on the N again, compared
#       with (a) on the empty index.
# Every answer is checked (ingest.py) and afterwards QIDO-RS must list exactly the N instances
# (verify.py); a figure with failures is marked invalid. Printed: instances/s per scenario for both
# servers, the ratio carehub/Orthanc, the client's CPU time, each server's peak RSS (VmHWM), then
# the targets with [PASS]/[MISS]: >= 5x Orthanc on (a) and (b), >= 2x on (c), (d) within 20% of
# the empty-index rate. A MISS never fails the run. "Stored" is durable on both sides: carehub
# answers after its commit; Orthanc keeps its defaults (SyncStorageArea true, SQLite index).
#
# Everything runs in a private network namespace (the script re-executes itself under
# `unshare -n` and brings `lo` up), because Orthanc has no bind-address option: only loopback
# exists there. Missing Debian packages (orthanc, orthanc-dicomweb, dcmtk, python3-pydicom, curl,
# iproute2) are installed with apt-get first. pydicom runs under /usr/bin/python3.
#
# Environment: N (instances, default 1000), PRELOAD (default 100000; 0 skips (d)), CAREHUB_BIN
# (default build/carehub, used as it is: this script does not build it), KEEP_TMP=1 (keep the temp dir), SKIP_CAREHUB=1 / SKIP_ORTHANC=1 (one side
# only), SKIP_ORTHANC_PRELOAD=0 (also run (d) on Orthanc; slow), CONNECTIONS_STOW (default 4),
# SCENARIOS (a subset of "post1 post4 stow50 storescu", for a look at one), REPEAT (default 1:
# each measurement made that many times, each on a fresh server; the median rate is shown),
# DURABILITY_PROBE=0 (skip the probe below).
#
# Last, the floor: the corpus written by a bare loop, each file new, fdatasynced with its directory,
# by 1 and 4 writers; the report sets each target's rate against it (what durability alone allows).
#
# Durability probe (not timed): on a fresh server of each kind, 20 instances POSTed on one
# connection under `strace -f -c`; the fsync/fdatasync/... calls per acknowledged instance are
# printed, and carehub's must be >= 1 for "stored" to mean durable (Orthanc's defaults give one
# fdatasync per stored file, none per instance for its SQLite index).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
py=/usr/bin/python3 # Debian's python3: the one with python3-pydicom
n=${N:-1000}
preload=${PRELOAD:-100000}
stow_connections=${CONNECTIONS_STOW:-4}
repeat=${REPEAT:-1}
skip_carehub=${SKIP_CAREHUB:-0}
skip_orthanc=${SKIP_ORTHANC:-0}
skip_orthanc_preload=${SKIP_ORTHANC_PRELOAD:-1}
dicomweb_plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
[[ $n =~ ^[0-9]+$ && $n -ge 50 ]] || die "N must be a number >= 50"
[[ $preload =~ ^[0-9]+$ ]] || die "PRELOAD must be a number"
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a number >= 1"

# --- outside: install, find the binary, re-execute in a network namespace with only loopback -------
if [[ -z ${CAREHUB_BENCH_NETNS:-} ]]; then
  install_tools curl=curl python3=python3 storescu=dcmtk Orthanc=orthanc ip=iproute2 unshare=util-linux \
    strace=strace
  install_packages orthanc-dicomweb python3-pydicom
  [[ -e $dicomweb_plugin ]] || die "no DICOMweb plugin at $dicomweb_plugin"
  $py -c 'import pydicom' 2>/dev/null || die "$py cannot import pydicom"
  loopback_netns_reexec "${BASH_SOURCE[0]}" "$@"
fi

# --- inside the namespace -------------------------------------------------------------------------
export TCP_NODELAY=1 # read by DCMTK: storescu and the C-STORE listeners of Orthanc and carehub
bench_tmp_and_traps
loopback_netns_enter
results=$tmp/results
mkdir -p "$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

log "generating $n synthetic instances"
gen_start=$(date +%s.%N)
$py "$here/gen.py" corpus "$tmp/corpus" "$n"
sync # the corpus' dirty pages would otherwise be written back during the first measurement
log "generated in $(awk -v a="$gen_start" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s," \
  "$(du -sm "$tmp/corpus" | cut -f1) MB"

json_field() { # file key
  $py -c 'import json,sys; v=json.load(open(sys.argv[1]))[sys.argv[2]]; print(v)' "$1" "$2"
}

# --- Orthanc --------------------------------------------------------------------------------------
orthanc_pid=""
start_orthanc() { # run_dir: globals orthanc_http, orthanc_dicom, orthanc_pid
  local run=$1
  orthanc_http=$(free_port)
  orthanc_dicom=$(free_port)
  mkdir -p "$run/storage"
  cat >"$run/orthanc.json" <<JSON
{
  "Name": "bench",
  "StorageDirectory": "$run/storage",
  "IndexDirectory": "$run/storage",
  "HttpPort": $orthanc_http,
  "DicomPort": $orthanc_dicom,
  "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "Plugins": ["$dicomweb_plugin"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" }
}
JSON
  Orthanc "$run/orthanc.json" >"$run/orthanc.log" 2>&1 &
  orthanc_pid=$!
  track_pid "$orthanc_pid"
  wait_http "http://127.0.0.1:$orthanc_http/system" "$orthanc_pid" ||
    { tail -n 20 "$run/orthanc.log" >&2; die "Orthanc did not start"; }
}

stop_orthanc() {
  stop_process "$orthanc_pid"
  wait "$orthanc_pid" 2>/dev/null || true
  untrack_pid "$orthanc_pid"
  orthanc_pid=""
}

orthanc_versions() {
  local port=$1
  printf 'Orthanc %s, DICOMweb plugin %s' \
    "$(curl -fsS "http://127.0.0.1:$port/system" | $py -c 'import json,sys; print(json.load(sys.stdin)["Version"])')" \
    "$(curl -fsS "http://127.0.0.1:$port/plugins/dicom-web" | $py -c 'import json,sys; print(json.load(sys.stdin)["Version"])')"
}

orthanc_count() { # null if Orthanc does not answer
  curl -fsS "http://127.0.0.1:$orthanc_http/statistics" 2>/dev/null |
    $py -c 'import json,sys; print(json.load(sys.stdin)["CountInstances"])' 2>/dev/null || echo null
}

# --- carehub --------------------------------------------------------------------------------------
start_carehub_run() { # run_dir: globals carehub_http, carehub_dicom, carehub_pid, token
  local run=$1 password access
  carehub_http=$(free_port)
  carehub_dicom=$(free_port)
  mkdir -p "$run"
  cat >"$run/carehub.json" <<JSON
{
  "server": { "host": "127.0.0.1", "port": $carehub_http, $no_rate_limits },
  "database": { "url": "sqlite://$run/carehub.db" },
  "blob": { "path": "$run/blobs" },
  "log": { "level": "warn" },
  "auth": { "keys_dir": "$run/keys", "password_memory_kib": 8192, "password_iterations": 1 },
  "dicom": { "dimse_port": $carehub_dicom, "ae_title": "CAREHUB",
             "allowed_callers": ["BENCHSCU=bench-modality"] }
}
JSON
  password="bench-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
  printf '%s\n' "$password" >"$run/password"
  cd "$run" # relative defaults (server.upload_dir) land in the run's directory
  migrate_carehub "$bin" "$run/carehub.json"
  "$bin" --config "$run/carehub.json" bootstrap --admin-email bench@clinic.example \
    --password-file "$run/password" >"$run/bootstrap.log" 2>&1 ||
    { cat "$run/bootstrap.log" >&2; die "carehub bootstrap failed"; }
  serve_carehub "$bin" "$run/carehub.json" "$carehub_http"
  cd "$tmp"
  access=$(curl -fsS -H 'Content-Type: application/json' \
    --data "{\"email\":\"bench@clinic.example\",\"password\":\"$password\"}" \
    "http://127.0.0.1:$carehub_http/api/v1/auth/login" |
    $py -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  token=$(curl -fsS -H "Authorization: Bearer $access" -H 'Content-Type: application/json' \
    --data '{"name":"bench","scopes":["dicom:write","dicom:read"]}' \
    "http://127.0.0.1:$carehub_http/api/v1/tokens" |
    $py -c 'import json,sys; print(json.load(sys.stdin)["token"])')
}

stop_carehub_run() { # run_dir
  if kill -0 "$carehub_pid" 2>/dev/null; then
    stop_carehub_and_report >"$1/stop.txt"
  else
    local rc=0
    wait "$carehub_pid" || rc=$?
    untrack_pid "$carehub_pid"
    echo "carehub died during the run (exit status $rc)" >"$1/stop.txt"
    tail -n 5 "$tmp/carehub.log" >&2
  fi
  cp "$tmp/carehub.log" "$1/carehub.log"
}

# settle: dirty pages written, and the inodes the last cleanup freed past ext4's recently-deleted
# window. Without a journal (as on this machine's disk) ext4 will not reuse an inode freed in the
# last 5 s (300 s while its inode table block is dirty), and every new file scans past each such
# inode: right after `rm -rf` of 1,000 files, creating a file cost 1.2 ms, a third of an instance.
# Both servers create a file per instance; each gets the same settled disk.
settle() {
  sync
  sleep 6
}

# --- one scenario ---------------------------------------------------------------------------------
# measure SERVER SCENARIO K: fresh server, ingest, verify, stop; writes $results/SERVER.SCENARIO.K.json
measure() {
  local server=$1 scenario=$2 run=$tmp/run-$1-$2-$3 out=$results/$1.$2.$3.json base pid tok="" aet dport
  local preload_for=0
  [[ $scenario == post4_preloaded ]] && preload_for=$preload
  log "$server: $scenario (#$3)"
  settle
  if [[ $server == orthanc ]]; then
    start_orthanc "$run"
    base=http://127.0.0.1:$orthanc_http pid=$orthanc_pid aet=ORTHANC dport=$orthanc_dicom
  else
    start_carehub_run "$run"
    base=http://127.0.0.1:$carehub_http pid=$carehub_pid tok=$token aet=CAREHUB dport=$carehub_dicom
  fi
  local auth=()
  [[ -n $tok ]] && auth=(--token "$tok")
  if ((preload_for > 0)); then
    $py "$here/ingest.py" --server "$server" --base "$base" --mode stow --batch 50 \
      --connections "$stow_connections" "${auth[@]}" --preload "$preload_for" >"$run/preload.json"
    log "$server: preloaded $(json_field "$run/preload.json" ok) of $preload_for in" \
      "$(json_field "$run/preload.json" seconds) s ($(json_field "$run/preload.json" rate)/s," \
      "failed $(json_field "$run/preload.json" failed))"
    merge_result "$out" "preload=$(cat "$run/preload.json")"
    sync
  fi
  case $scenario in
    post1 | post4 | post4_preloaded)
      local c=1
      [[ $scenario == post1 ]] || c=4
      $py "$here/ingest.py" --server "$server" --base "$base" --mode post --connections "$c" \
        "${auth[@]}" --corpus "$tmp/corpus" >"$run/ingest.json"
      ;;
    stow50)
      $py "$here/ingest.py" --server "$server" --base "$base" --mode stow --batch 50 \
        --connections "$stow_connections" "${auth[@]}" --corpus "$tmp/corpus" >"$run/ingest.json"
      ;;
    storescu)
      $py "$here/scu.py" "$tmp/corpus" BENCHSCU "$aet" 127.0.0.1 "$dport" "$run/storescu.log" \
        >"$run/ingest.json"
      ;;
  esac
  merge_result "$out" "ingest=$(cat "$run/ingest.json")" "peak_rss_kb=$(hwm_kb "$pid" 2>/dev/null || echo 0)"
  local verified
  verified=$($py "$here/verify.py" "$base" "$tmp/corpus" "$tok" || true)
  merge_result "$out" "verify=${verified:-null}"
  if [[ $server == orthanc ]]; then
    merge_result "$out" "server_count=$(orthanc_count)"
    [[ -s $tmp/orthanc_version ]] || orthanc_versions "$orthanc_http" >"$tmp/orthanc_version"
    stop_orthanc
  else
    stop_carehub_run "$run"
    merge_result "$out" "stop=$($py -c 'import json,sys; print(json.dumps(open(sys.argv[1]).read()))' "$run/stop.txt")"
  fi
  log "$server: $scenario: $(cat "$run/ingest.json")"
  log "$server: $scenario: verify $verified"
  [[ ${KEEP_TMP:-} == 1 ]] || rm -rf "$run/storage" "$run/blobs"
}

# durability_probe SERVER: fresh server under `strace -f -c`, the first 20 instances POSTed on one
# connection; writes the count of sync calls (fsync, fdatasync, ...) to $results/SERVER.syncs.json.
# Not timed: strace slows every system call.
durability_probe() {
  local server=$1 run=$tmp/run-$1-syncs probe=$tmp/probe base pid tok="" spid f
  log "$server: durability probe"
  if [[ ! -d $probe ]]; then
    mkdir -p "$probe"
    head -n 20 "$tmp/corpus/manifest.tsv" >"$probe/manifest.tsv"
    while IFS=$'\t' read -r f _; do ln -s "$tmp/corpus/$f" "$probe/$f"; done <"$probe/manifest.tsv"
  fi
  if [[ $server == orthanc ]]; then
    start_orthanc "$run"
    base=http://127.0.0.1:$orthanc_http pid=$orthanc_pid
  else
    start_carehub_run "$run"
    base=http://127.0.0.1:$carehub_http pid=$carehub_pid tok=$token
  fi
  local auth=()
  [[ -n $tok ]] && auth=(--token "$tok")
  strace -f -qq -c -e trace=fsync,fdatasync,sync_file_range,syncfs,sync,msync \
    -o "$run/strace.txt" -p "$pid" &
  spid=$!
  sleep 1 # attached to every thread
  $py "$here/ingest.py" --server "$server" --base "$base" --mode post --connections 1 "${auth[@]}" \
    --corpus "$probe" >"$run/ingest.json"
  sleep 0.5
  kill -INT "$spid"
  wait "$spid" || true
  $py - "$run/strace.txt" "$run/ingest.json" >"$results/$server.syncs.json" <<'PY'
import json, sys
calls = {}
for line in open(sys.argv[1]):
    cols = line.split()
    if len(cols) >= 5 and cols[-1] != "total" and cols[3].isdigit():
        calls[cols[-1]] = int(cols[3])
print(json.dumps({"calls": calls, "ingest": json.load(open(sys.argv[2]))}))
PY
  log "$server: durability probe: $(cat "$results/$server.syncs.json")"
  if [[ $server == orthanc ]]; then stop_orthanc; else stop_carehub_run "$run"; fi
  [[ ${KEEP_TMP:-} == 1 ]] || rm -rf "$run/storage" "$run/blobs"
}

# sync_latency: what durable writes cost on the filesystem both servers store to, so the report can
# say how fast any store that syncs before it answers could go: one fsync of an appended page (an
# index commit), and the "floor": the corpus' own files written each to a new file, fdatasynced,
# its directory fsynced, by 1 and by 4 writers at once. No HTTP, no parsing, no index: a store
# that keeps a file per instance and answers only once it is durable cannot beat it.
sync_latency() {
  settle
  $py - "$tmp/sync-probe" "$tmp/corpus" >"$results/sync_latency.json" <<'PY'
import json, os, sys, threading, time
d, corpus = sys.argv[1], sys.argv[2]
os.makedirs(d, exist_ok=True)
n = 200
fd = os.open(os.path.join(d, "append"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
t = time.perf_counter()
for _ in range(n):
    os.write(fd, b"x" * 4096)
    os.fsync(fd)
append_ms = (time.perf_counter() - t) / n * 1000
os.close(fd)
names = sorted(f for f in os.listdir(corpus) if f.endswith(".dcm"))[:400]
blobs = [open(os.path.join(corpus, f), "rb").read() for f in names]

def floor(writers):
    def work(j):
        sub = os.path.join(d, f"w{writers}-{j}")
        os.makedirs(sub)
        dfd = os.open(sub, os.O_RDONLY)
        for i in range(j, len(blobs), writers):
            f = os.open(os.path.join(sub, str(i)), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(f, blobs[i])
            os.fdatasync(f)
            os.close(f)
            os.fsync(dfd)
        os.close(dfd)
    threads = [threading.Thread(target=work, args=(j,)) for j in range(writers)]
    t = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return round(len(blobs) / (time.perf_counter() - t), 1)

print(json.dumps({"fsync_append_ms": round(append_ms, 3), "floor_1_writer": floor(1),
                  "floor_4_writers": floor(4), "floor_files": len(blobs)}))
PY
  rm -rf "$tmp/sync-probe"
  log "sync latency: $(cat "$results/sync_latency.json")"
}

read -r -a scenarios <<<"${SCENARIOS:-post1 post4 stow50 storescu}"
servers=()
[[ $skip_orthanc == 1 ]] || servers+=(orthanc)
[[ $skip_carehub == 1 ]] || servers+=(carehub)
# the servers take turns, scenario by scenario, so that a slow spell of the disk hits both
for s in "${scenarios[@]}"; do
  for k in $(seq "$repeat"); do
    for server in "${servers[@]}"; do measure "$server" "$s" "$k"; done
  done
done
if [[ ${DURABILITY_PROBE:-1} == 1 ]]; then
  for server in "${servers[@]}"; do durability_probe "$server"; done
fi
if ((preload > 0)); then
  for k in $(seq "$repeat"); do
    [[ $skip_orthanc == 1 || $skip_orthanc_preload != 0 ]] || measure orthanc post4_preloaded "$k"
    [[ $skip_carehub == 1 ]] || measure carehub post4_preloaded "$k"
  done
fi

echo
echo "DICOM ingest, $n distinct instances ($(du -sm "$tmp/corpus" | cut -f1) MB), loopback only (private network namespace), $(nproc) CPUs"
[[ -s $tmp/orthanc_version ]] && echo "$(cat "$tmp/orthanc_version") (Debian packages; defaults: SyncStorageArea true, SQLite index)"
[[ $skip_carehub == 1 ]] || echo "carehub: ${CAREHUB_BIN:-} ($("$bin" version 2>&1 | head -n 1))"
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes the figures noisy)"
sync_latency
$py "$here/report.py" "$results" "$n" "$preload"

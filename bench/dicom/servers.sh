# Shared by render.sh and qr.sh (sourced after bench/lib.sh, inside the network namespace, with
# $tmp, $py and $bin set): one Orthanc and one carehub, each started and stopped on data kept in
# $tmp from one start to the next, and the result files' helpers.
#
# Before sourcing, a script may set orthanc_extra_json (more top-level members of Orthanc's
# configuration, e.g. '"DicomModalities": {...},') and carehub_dicom_json (carehub's dicom section).

# settle: dirty pages written, and ext4's recently-freed inodes past their window (see run.sh).
settle() {
  sync
  sleep 6
}

# finish_phase SERVER PHASE OUT PID: the server's peak RSS and how it ended, into OUT; stopped.
finish_phase() {
  local server=$1 what=$2 out=$3 pid=$4
  merge_result "$out" "peak_rss_kb=$(hwm_kb "$pid" 2>/dev/null || echo 0)"
  if [[ $server == orthanc ]]; then # not in $(...): wait needs the process to be the shell's child
    stop_orthanc >"$tmp/stop.txt"
  else
    stop_carehub_run "$what" >"$tmp/stop.txt"
  fi
  merge_result "$out" "stop=$(json_string <"$tmp/stop.txt")"
}

json_string() { $py -c 'import json,sys; print(json.dumps(sys.stdin.read()))'; }

# --- Orthanc (as run.sh configures it; the data directory is kept from one start to the next) ----
orthanc_pid=""
orthanc_run=$tmp/run-orthanc
start_orthanc() { # globals orthanc_http, orthanc_dicom, orthanc_pid
  orthanc_http=$(free_port)
  orthanc_dicom=$(free_port)
  mkdir -p "$orthanc_run/storage"
  cat >"$orthanc_run/orthanc.json" <<JSON
{
  "Name": "bench",
  "StorageDirectory": "$orthanc_run/storage",
  "IndexDirectory": "$orthanc_run/storage",
  "HttpPort": $orthanc_http,
  "DicomPort": $orthanc_dicom,
  "DicomAet": "ORTHANC",
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "Plugins": ["$dicomweb_plugin"],
  ${orthanc_extra_json:-}
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/" }
}
JSON
  Orthanc "$orthanc_run/orthanc.json" >>"$orthanc_run/orthanc.log" 2>&1 &
  orthanc_pid=$!
  track_pid "$orthanc_pid"
  wait_http "http://127.0.0.1:$orthanc_http/system" "$orthanc_pid" ||
    { tail -n 20 "$orthanc_run/orthanc.log" >&2; die "Orthanc did not start"; }
}

stop_orthanc() { # prints what became of the process
  if kill -0 "$orthanc_pid" 2>/dev/null; then
    stop_process "$orthanc_pid"
    wait "$orthanc_pid" 2>/dev/null || true
    echo "stopped"
  else
    local rc=0
    wait "$orthanc_pid" || rc=$?
    echo "Orthanc died during the run (exit status $rc)"
  fi
  untrack_pid "$orthanc_pid"
  orthanc_pid=""
}

orthanc_versions() {
  local port=$1
  printf 'Orthanc %s, DICOMweb plugin %s' \
    "$(curl -fsS "http://127.0.0.1:$port/system" | $py -c 'import json,sys; print(json.load(sys.stdin)["Version"])')" \
    "$(curl -fsS "http://127.0.0.1:$port/plugins/dicom-web" | $py -c 'import json,sys; print(json.load(sys.stdin)["Version"])')"
}

# --- carehub (as run.sh configures it; signed in to as the bootstrapped admin) --------------------
carehub_run=$tmp/run-carehub
setup_carehub() { # config, migrate, bootstrap: once, before the first start
  carehub_http=$(free_port)
  local dicom=${carehub_dicom_json:-}
  [[ -n $dicom ]] || dicom="{ \"dimse_port\": $(free_port), \"ae_title\": \"CAREHUB\" }"
  mkdir -p "$carehub_run"
  cat >"$carehub_run/carehub.json" <<JSON
{
  "server": { "host": "127.0.0.1", "port": $carehub_http, $no_rate_limits },
  "database": { "url": "sqlite://$carehub_run/carehub.db" },
  "blob": { "path": "$carehub_run/blobs" },
  "log": { "level": "warn" },
  "auth": { "keys_dir": "$carehub_run/keys", "password_memory_kib": 8192, "password_iterations": 1 },
  "dicom": $dicom
}
JSON
  cd "$carehub_run" # relative defaults (server.upload_dir) land in the run's directory
  migrate_carehub "$bin" "$carehub_run/carehub.json"
  bootstrap_admin "$bin" "$carehub_run/carehub.json"
  cd "$tmp"
}

start_carehub_run() { # globals carehub_pid, token (a fresh access token of the admin)
  cd "$carehub_run"
  serve_carehub "$bin" "$carehub_run/carehub.json" "$carehub_http"
  cd "$tmp"
  token=$(admin_token "http://127.0.0.1:$carehub_http")
  [[ -n $token ]] || die "carehub: no access token"
}

stop_carehub_run() { # phase: prints what became of the process, keeps its log
  if kill -0 "$carehub_pid" 2>/dev/null; then
    stop_carehub_and_report
  else
    local rc=0
    wait "$carehub_pid" || rc=$?
    untrack_pid "$carehub_pid"
    echo "carehub died during the run (exit status $rc)"
    tail -n 5 "$tmp/carehub.log" >&2
  fi
  cp "$tmp/carehub.log" "$carehub_run/carehub.$1.log"
}


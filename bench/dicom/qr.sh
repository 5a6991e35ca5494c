#!/usr/bin/env bash
# DICOM query/retrieve benchmark: carehub against Orthanc, in one run, with DCMTK's own clients.
#
#   bash bench/dicom/qr.sh                    # 10,000 studies; a study of 300 instances
#   STUDIES=1000 N=30 bash bench/dicom/qr.sh  # quick look
#
# Data, the same on both servers, sent by storescu over one association each (scu.py; not judged):
#   - STUDIES one-instance studies (qr.py studies: 16x16 CT, one patient each, dates over ten
#     years), for C-FIND;
#   - one study of N instances (render.py corpus: 512x512 16-bit CT, ~0.5 MB each), for C-GET.
# Then each server is started afresh for each measurement (nothing of the upload kept in its
# memory; the files stay in the OS page cache), the servers taking turns as in run.sh:
#   (1) C-FIND: findscu, Study Root, STUDY level, universal matching, asking for nine study
#       attributes (qr.py FIND_KEYS), every answer written (-X, to /dev/shm) and counted; REPEAT
#       runs, each one association. Valid only if every run got exactly STUDIES + 1 answers (the
#       C-GET study is a study too).
#   (2) C-GET: getscu of the N-instance study into an empty directory (/dev/shm); REPEAT runs.
#       Valid only if every run received N files. Twice, on the same server start: with getscu's
#       defaults, then with a lean client (+B --max-pdu 131072: files written as received, the
#       largest PDU it takes). With its defaults getscu's own CPU time bounds the run for a fast
#       server, which the printed client CPU seconds show; the lean client measures the servers.
# Printed: median and best wall seconds per run, answers (or instances) per second, the ratio
# carehub/Orthanc, each server's peak RSS (VmHWM) in that phase, the median CPU seconds (user +
# system) per run of the server and of the client (where the time goes), then the targets with
# [PASS]/[MISS]: C-FIND and C-GET at least 2x Orthanc's rate. A MISS never fails the run.
#
# Everything runs in a private network namespace with only loopback (as render.sh does: Orthanc
# has no bind-address option). Missing Debian packages (orthanc, orthanc-dicomweb, dcmtk,
# python3-pydicom, python3-numpy, curl, iproute2) are installed with apt-get first.
#
# Environment: STUDIES (default 10000), N (default 300), REPEAT (default 5), CAREHUB_BIN (default
# build/carehub, used as it is), KEEP_TMP=1, SKIP_CAREHUB=1 / SKIP_ORTHANC=1 (one side only).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
py=/usr/bin/python3 # Debian's python3: the one with python3-pydicom
n_studies=${STUDIES:-10000}
n=${N:-300}
repeat=${REPEAT:-5}
skip_carehub=${SKIP_CAREHUB:-0}
skip_orthanc=${SKIP_ORTHANC:-0}
dicomweb_plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
[[ $n_studies =~ ^[1-9][0-9]*$ ]] || die "STUDIES must be a number >= 1"
[[ $n =~ ^[0-9]+$ && $n -ge 2 ]] || die "N must be a number >= 2"
[[ $repeat =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a number >= 1"

# --- outside: install, find the binary, re-execute in a network namespace with only loopback -------
if [[ -z ${CAREHUB_BENCH_NETNS:-} ]]; then
  install_tools curl=curl python3=python3 Orthanc=orthanc findscu=dcmtk ip=iproute2 \
    unshare=util-linux
  install_packages orthanc-dicomweb python3-pydicom python3-numpy
  $py -c 'import pydicom, numpy' 2>/dev/null || die "$py cannot import pydicom and numpy"
  loopback_netns_reexec "${BASH_SOURCE[0]}" "$@"
fi

# --- inside the namespace -------------------------------------------------------------------------
bench_tmp_and_traps
loopback_netns_enter
export TCP_NODELAY=1 # read by DCMTK: the clients and both servers' listeners
results=$tmp/results
mkdir -p "$results"
# The clients write what they receive to memory (tmpfs): on a disk, findscu's 10,000 small files
# cost it seconds of system time, noise the same for both servers that hides their difference.
scratch=/dev/shm
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

log "generating $n_studies one-instance studies and one study of $n instances"
$py "$here/qr.py" studies "$tmp/studies" "$n_studies"
$py "$here/render.py" corpus "$tmp/study" "$n"
study_uid=$(head -n 1 "$tmp/study/manifest.tsv" | cut -f2)
sync
log "generated, $(du -sm "$tmp/studies" | cut -f1) + $(du -sm "$tmp/study" | cut -f1) MB"

# Both servers answer query/retrieve from the AE title BENCHSCU (Orthanc: a known modality).
orthanc_extra_json='"DicomModalities": { "bench": ["BENCHSCU", "127.0.0.1", 11112] },'
carehub_dicom=$(free_port)
carehub_dicom_json="{ \"dimse_port\": $carehub_dicom, \"ae_title\": \"CAREHUB\",
  \"allowed_callers\": [\"BENCHSCU=bench\"], \"max_associations\": 4 }"
# shellcheck source=bench/dicom/servers.sh
source "$here/servers.sh"

# phase SERVER load|find|get: starts the server (fresh for load, else on the loaded data), does
# the phase, records the peak RSS and how the server ended; $results/SERVER.PHASE.json
phase() {
  local server=$1 what=$2 out=$results/$1.$2.json pid port aec
  log "$server: $what"
  if [[ $server == orthanc ]]; then
    start_orthanc
    pid=$orthanc_pid port=$orthanc_dicom aec=ORTHANC
    [[ -s $tmp/orthanc_version ]] || orthanc_versions "$orthanc_http" >"$tmp/orthanc_version"
  else
    [[ $what != load ]] || setup_carehub
    start_carehub_run
    pid=$carehub_pid port=$carehub_dicom aec=CAREHUB
  fi
  case $what in
    load)
      local a b
      a=$($py "$here/scu.py" "$tmp/studies" BENCHSCU "$aec" 127.0.0.1 "$port" "$tmp/$server.load1.log")
      b=$($py "$here/scu.py" "$tmp/study" BENCHSCU "$aec" 127.0.0.1 "$port" "$tmp/$server.load2.log")
      log "$server: loaded: $a $b"
      merge_result "$out" "studies=$a" "study=$b"
      ;;
    find)
      $py "$here/qr.py" find --port "$port" --aec "$aec" --repeat "$repeat" \
        --expect $((n_studies + 1)) --scratch "$scratch" --server-pid "$pid" >"$out" ||
        echo '{"runs": []}' >"$out"
      log "$server: find: $($py -c 'import json,sys; print([r["seconds"] for r in json.load(open(sys.argv[1]))["runs"]])' "$out")"
      ;;
    get)
      $py "$here/qr.py" get --port "$port" --aec "$aec" --repeat "$repeat" --study "$study_uid" \
        --expect "$n" --scratch "$scratch" --server-pid "$pid" >"$out" ||
        echo '{"runs": []}' >"$out"
      log "$server: get: $($py -c 'import json,sys; print([r["seconds"] for r in json.load(open(sys.argv[1]))["runs"]])' "$out")"
      $py "$here/qr.py" get --lean --port "$port" --aec "$aec" --repeat "$repeat" \
        --study "$study_uid" --expect "$n" --scratch "$scratch" --server-pid "$pid" \
        >"$results/$server.getlean.json" || echo '{"runs": []}' >"$results/$server.getlean.json"
      log "$server: get, lean client: $($py -c 'import json,sys; print([r["seconds"] for r in json.load(open(sys.argv[1]))["runs"]])' "$results/$server.getlean.json")"
      ;;
  esac
  finish_phase "$server" "$what" "$out" "$pid"
}

servers=()
[[ $skip_orthanc == 1 ]] || servers+=(orthanc)
[[ $skip_carehub == 1 ]] || servers+=(carehub)
for what in load find get; do
  [[ $what == load ]] || settle
  for server in "${servers[@]}"; do phase "$server" "$what"; done
done

echo
echo "DICOM query/retrieve: $n_studies one-instance studies and one study of $n instances (512x512 16-bit CT), loopback only (private network namespace), $(nproc) CPUs"
[[ -s $tmp/orthanc_version ]] && echo "$(cat "$tmp/orthanc_version") (Debian packages; defaults but the BENCHSCU modality)"
[[ $skip_carehub == 1 ]] || echo "carehub: ${CAREHUB_BIN:-} ($("$bin" version 2>&1 | head -n 1)), SQLite"
echo "clients: DCMTK $(findscu --version 2>&1 | head -n 1 | sed "s/^\$dcmtk: findscu v\([^ ]*\).*/\1/") findscu and getscu"
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes the figures noisy)"
$py "$here/qr.py" report "$results" "$((n_studies + 1))" "$n"

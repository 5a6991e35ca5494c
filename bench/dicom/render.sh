#!/usr/bin/env bash
# DICOM rendering benchmark: carehub against Orthanc, in one run, on one synthetic CT study of N
# instances (render.py corpus: gen.py's phantom, 512x512 16-bit, ~0.5 MB each, one series, every
# slice's pixels different).
#
#   bash bench/dicom/render.sh               # N=300
#   N=30 bash bench/dicom/render.sh          # quick look
#
# Both servers get the same study by plain POST (carehub: POST /api/v1/dicom/instances; Orthanc:
# POST /instances; ingest.py, 2 connections; not judged), checked by QIDO-RS page by page
# (render.py verify: verify.py's check, but a series of 300 outgrows carehub's default page of
# 100); then each is stopped and, for each of the two measurements below, started again on that
# data (a fresh process: nothing of the upload or of the other measurement kept in its memory; the
# files are in the OS page cache, which is left alone). The servers take turns, as in run.sh.
#   (1) A rendered frame as JPEG (Accept: image/jpeg; each server's defaults: its JPEG quality, the
#       file's window, 512x512 out; the corpus carries a soft-tissue window, 40/400, as a scanner
#       writes one: without it Orthanc draws a near-black frame): carehub GET /dicom-web/studies/
#       {study}/series/{series}/instances/{sop}/rendered, Orthanc GET /instances/{id}/frames/0/
#       rendered.
#       "cold": each of the N instances requested once, the first requests after the start;
#       "cached": the middle instance WARMUP times (not timed), then CACHED times.
#   (2) The study's thumbnail: carehub GET /dicom-web/studies/{study}/thumbnail (the first request
#       renders it and keeps it in the blob store: "first"; the following read it back). Orthanc
#       has no study thumbnail; the closest is GET /instances/{id}/preview of the same middle
#       instance (full size, drawn each time). The first request's time, then the p50/p99 of
#       THUMBNAIL_REPEAT more.
# One keep-alive connection per server, requests one after the other (render.py); carehub is
# signed in to as the bootstrapped admin (Authorization: Bearer, its access token). Every answer
# must be HTTP 200, image/jpeg, a non-empty body starting with FF D8; failures are counted and a
# figure with any is marked invalid. Printed: p50/p99 latency and requests/s per mode for both
# servers and the ratio carehub/Orthanc, the thumbnail figures, each server's peak RSS (VmHWM) per
# phase, then the targets with [PASS]/[MISS]: carehub's rendered frame p99 <= 10 ms (cold and
# cached each), carehub's rendered frames/s >= 2x Orthanc's (cold and cached each). A MISS never
# fails the run.
#
# Everything runs in a private network namespace (the script re-executes itself under
# `unshare -n` and brings `lo` up), because Orthanc has no bind-address option: only loopback
# exists there. Missing Debian packages (orthanc, orthanc-dicomweb, python3-pydicom, python3-numpy,
# curl, iproute2) are installed with apt-get first. pydicom runs under /usr/bin/python3.
#
# Environment: N (instances in the study, default 300), CACHED (default 300), WARMUP (default 20),
# THUMBNAIL_REPEAT (default 100), CAREHUB_BIN (default build/carehub, used as it is: this script
# does not build it), KEEP_TMP=1 (keep the temp dir), SKIP_CAREHUB=1 / SKIP_ORTHANC=1 (one side
# only).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/../lib.sh"
py=/usr/bin/python3 # Debian's python3: the one with python3-pydicom
n=${N:-300}
cached=${CACHED:-300}
warmup=${WARMUP:-20}
thumbnail_repeat=${THUMBNAIL_REPEAT:-100}
skip_carehub=${SKIP_CAREHUB:-0}
skip_orthanc=${SKIP_ORTHANC:-0}
dicomweb_plugin=/usr/share/orthanc/plugins/libOrthancDicomWeb.so
[[ $n =~ ^[0-9]+$ && $n -ge 2 ]] || die "N must be a number >= 2"
[[ $cached =~ ^[1-9][0-9]*$ ]] || die "CACHED must be a number >= 1"
[[ $warmup =~ ^[0-9]+$ ]] || die "WARMUP must be a number"
[[ $thumbnail_repeat =~ ^[1-9][0-9]*$ ]] || die "THUMBNAIL_REPEAT must be a number >= 1"

# --- outside: install, find the binary, re-execute in a network namespace with only loopback -------
if [[ -z ${CAREHUB_BENCH_NETNS:-} ]]; then
  install_tools curl=curl python3=python3 Orthanc=orthanc ip=iproute2 unshare=util-linux
  install_packages orthanc-dicomweb python3-pydicom python3-numpy
  [[ -e $dicomweb_plugin ]] || die "no DICOMweb plugin at $dicomweb_plugin"
  $py -c 'import pydicom, numpy' 2>/dev/null || die "$py cannot import pydicom and numpy"
  loopback_netns_reexec "${BASH_SOURCE[0]}" "$@"
fi

# --- inside the namespace -------------------------------------------------------------------------
bench_tmp_and_traps
loopback_netns_enter
results=$tmp/results
mkdir -p "$results"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

log "generating one study of $n synthetic instances"
$py "$here/render.py" corpus "$tmp/corpus" "$n"
sync # the corpus' dirty pages would otherwise be written back during a measurement
log "generated, $(du -sm "$tmp/corpus" | cut -f1) MB"

# shellcheck source=bench/dicom/servers.sh
source "$here/servers.sh"

# --- one phase on one server ----------------------------------------------------------------------
# phase SERVER upload|frames|thumbnail: starts the server (fresh for upload, else on the uploaded
# data), does the phase, records the peak RSS and how the server ended; $results/SERVER.PHASE.json
phase() {
  local server=$1 what=$2 out=$results/$1.$2.json base pid tok=""
  log "$server: $what"
  if [[ $server == orthanc ]]; then
    start_orthanc
    base=http://127.0.0.1:$orthanc_http pid=$orthanc_pid
    [[ -s $tmp/orthanc_version ]] || orthanc_versions "$orthanc_http" >"$tmp/orthanc_version"
  else
    [[ $what != upload ]] || setup_carehub
    start_carehub_run
    base=http://127.0.0.1:$carehub_http pid=$carehub_pid tok=$token
  fi
  local auth=()
  [[ -n $tok ]] && auth=(--token "$tok")
  case $what in
    upload)
      $py "$here/ingest.py" --server "$server" --base "$base" --mode post --connections 2 \
        "${auth[@]}" --corpus "$tmp/corpus" >"$tmp/phase.json" || echo '{}' >"$tmp/phase.json"
      merge_result "$out" "ingest=$(cat "$tmp/phase.json")"
      log "$server: upload: $(cat "$tmp/phase.json")"
      local verified
      verified=$($py "$here/render.py" verify "$base" "$tmp/corpus" "$tok" || true)
      merge_result "$out" "verify=${verified:-null}"
      log "$server: upload: verify $verified"
      ;;
    frames)
      if ! $py "$here/render.py" frames --server "$server" --base "$base" "${auth[@]}" \
        --corpus "$tmp/corpus" --cached "$cached" --warmup "$warmup" >"$tmp/phase.json"; then
        echo '{"error": "render.py frames failed"}' >"$tmp/phase.json"
      fi
      ;;
    thumbnail)
      if ! $py "$here/render.py" thumbnail --server "$server" --base "$base" "${auth[@]}" \
        --corpus "$tmp/corpus" --repeat "$thumbnail_repeat" >"$tmp/phase.json"; then
        echo '{"error": "render.py thumbnail failed"}' >"$tmp/phase.json"
      fi
      ;;
  esac
  if [[ $what != upload ]]; then
    $py - "$tmp/phase.json" "$out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
json.dump(doc, open(sys.argv[2], "w"))
PY
    log "$server: $what: $(cat "$tmp/phase.json")"
  fi
  finish_phase "$server" "$what" "$out" "$pid"
}

servers=()
[[ $skip_orthanc == 1 ]] || servers+=(orthanc)
[[ $skip_carehub == 1 ]] || servers+=(carehub)
for what in upload frames thumbnail; do
  [[ $what == upload ]] || settle
  for server in "${servers[@]}"; do phase "$server" "$what"; done
done

echo
echo "DICOM rendering, one study of $n instances (512x512 16-bit CT, $(du -sm "$tmp/corpus" | cut -f1) MB), loopback only (private network namespace), $(nproc) CPUs"
[[ -s $tmp/orthanc_version ]] && echo "$(cat "$tmp/orthanc_version") (Debian packages; defaults)"
[[ $skip_carehub == 1 ]] || echo "carehub: ${CAREHUB_BIN:-} ($("$bin" version 2>&1 | head -n 1))"
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes the figures noisy)"
$py "$here/render.py" report "$results" "$n"

#!/usr/bin/env bash
# Fuzzing campaign: every libFuzzer harness in fuzz/ for MINUTES each (default 30), JOBS at a time
# (default 2, one per core), then a table per harness: CPU-minutes spent, executions,
# executions/s, coverage (libFuzzer's cov: edges, ft: features), corpus size and the crashes found.
#
#   bash bench/fuzz/run.sh [MINUTES]
#
# Builds build-fuzz/ first (scripts/build.sh --fuzz: nothing to do when it is up to date). Each
# harness runs in libFuzzer's fork mode with crashes, timeouts and out-of-memory ignored, so one
# finding does not end its run; every finding is written to build-fuzz/fuzz/artifacts/<name>/
# (crash-*, leak-*, timeout-*, oom-*), which this script empties first. Inputs that reach new
# coverage accumulate in build-fuzz/fuzz/corpus/<name> across runs (the committed seeds in
# fuzz/corpus/<name> are only read). Logs: build-fuzz/fuzz/logs/<name>.log.
#
# Environment: JOBS (harnesses at once, default 2), HARNESSES ("json csv": a subset),
# FUZZ_ARGS (more libFuzzer flags, e.g. "-max_len=65536").
# Reproduce a finding: build-fuzz/fuzz/<name>_fuzz build-fuzz/fuzz/artifacts/<name>/crash-...
# Exit code: 0 when no harness found anything, 1 when one did, 2 on a usage or build error.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

minutes=${1:-30}
[[ $minutes =~ ^[0-9]+$ && $minutes -gt 0 ]] || {
  echo "usage: bash bench/fuzz/run.sh [MINUTES]   (whole minutes per harness, default 30)" >&2
  exit 2
}
jobs=${JOBS:-2}
seconds=$((minutes * 60))

bash "$root/scripts/build.sh" --fuzz >&2 || exit 2

out=$root/build-fuzz/fuzz
if [[ -n ${HARNESSES:-} ]]; then
  read -r -a names <<<"$HARNESSES"
else
  names=()
  for bin in "$out"/*_fuzz; do
    names+=("$(basename "${bin%_fuzz}")")
  done
fi
mkdir -p "$out/logs"

# One harness for the whole budget; its log is the parent's (the jobs' own logs are in its
# temp dir). ASan's leak check runs in every job.
fuzz_one() {
  local name=$1 dict=() extra=()
  [[ -x $out/${name}_fuzz ]] || {
    echo "no harness $out/${name}_fuzz" >"$out/logs/$name.log"
    return 0
  }
  [[ -f $root/fuzz/$name.dict ]] && dict=("-dict=$root/fuzz/$name.dict")
  # shellcheck disable=SC2206 # FUZZ_ARGS is deliberately word-split
  [[ -n ${FUZZ_ARGS:-} ]] && extra=(${FUZZ_ARGS})
  rm -rf "$out/artifacts/$name"
  mkdir -p "$out/corpus/$name" "$out/artifacts/$name"
  "$out/${name}_fuzz" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$out/artifacts/$name/" "${dict[@]}" "${extra[@]}" \
    "$out/corpus/$name" "$root/fuzz/corpus/$name" >"$out/logs/$name.log" 2>&1 || true
  # CPU time of the harness and its fork-mode jobs (waited for, so counted in the children's
  # line of `times`): the budget is wall time, and on a busy machine the two differ.
  # (`times` in a pipeline would report the pipeline's subshell, hence the file.)
  times >"$out/logs/$name.times"
  awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
    printf "%.1f\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) / 60 }' \
    "$out/logs/$name.times" >"$out/logs/$name.cpu"
}

echo "fuzz: ${#names[@]} harnesses, $minutes min each, $jobs at a time" \
  "(about $(((${#names[@]} + jobs - 1) / jobs * minutes)) min)" >&2
running=0
for name in "${names[@]}"; do
  if ((running >= jobs)); then
    wait -n
    running=$((running - 1))
  fi
  echo "fuzz: $name started $(date +%H:%M:%S)" >&2
  fuzz_one "$name" &
  running=$((running + 1))
done
wait

# What a finding is, from replaying it: the sanitizer's or libFuzzer's summary, plus an uncaught
# exception's message or the innermost carehub frame (fuzz/, src/, modules/, include/). Fork mode
# writes one file per failing job, so one bug usually leaves many files: they are grouped by this.
signature() { # harness file
  local report kind detail
  report=$(timeout 120 "$out/${1}_fuzz" -timeout=10 -rss_limit_mb=2048 "$2" 2>&1 || true)
  kind=$(grep -m1 -oE 'SUMMARY: [A-Za-z]+: [a-z-]+|ERROR: libFuzzer: [a-z -]+' <<<"$report" ||
    echo "no failure on replay")
  # An exception's message up to its first quote: the value it quotes differs from file to file.
  detail=$(grep -m1 -oE "what\\(\\): +[^'\"]{0,100}" <<<"$report" ||
    grep -m1 -E '^ +#[0-9]+ 0x[0-9a-f]+ in .*/(fuzz|src|modules|include)/[^ ]+' <<<"$report" |
    sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ in ([^(]{0,80}).* [^ ]*\/([^/ ]+:[0-9]+)(:[0-9]+)?$/\1 \2/' ||
    true)
  echo "${kind#SUMMARY: }${detail:+ | $detail}"
}

# The last status line of a fork-mode run:
#   #1234: cov: 567 ft: 890 corp: 12 exec/s 345 oom/timeout/crash: 0/0/0 time: 61s job: 3 ...
# exec/s there is the last job's; the table's is the whole run's (executions / seconds).
found=0
printf '\n%-13s %7s %11s %7s %6s %7s %7s %9s\n' harness cpu-min execs exec/s cov ft corpus findings
for name in "${names[@]}"; do
  log=$out/logs/$name.log
  line=$(grep -E '^#[0-9]+: cov: ' "$log" | tail -n 1 || true)
  if [[ -z $line ]]; then
    printf '%-13s %s\n' "$name" "no statistics: see $log"
    found=1
    continue
  fi
  read -r execs cov ft corp secs <<<"$(sed -E \
    's/^#([0-9]+): cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+) .* time: ([0-9]+)s.*/\1 \2 \3 \4 \5/' \
    <<<"$line")"
  mapfile -t files < <(find "$out/artifacts/$name" -type f | sort)
  printf '%-13s %7s %11s %7s %6s %7s %7s %9s\n' "$name" "$(cat "$out/logs/$name.cpu" 2>/dev/null || echo ?)" \
    "$execs" "$((execs / (secs > 0 ? secs : 1)))" \
    "$cov" "$ft" "$corp" "${#files[@]}"
  ((${#files[@]} > 0)) || continue
  found=1
  # Up to 20 files replayed per harness; the rest are counted under "not replayed".
  for file in "${files[@]:0:20}"; do
    echo "$(signature "$name" "$file")"$'\t'"$file"
  done | sort | awk -F'\t' '{n[$1]++; if (!($1 in f)) f[$1] = $2}
    END {for (s in n) printf "    %3d x %s\n          e.g. %s\n", n[s], s, f[s]}'
  ((${#files[@]} <= 20)) || echo "    $((${#files[@]} - 20)) more not replayed"
done
echo "logs: $out/logs/   findings: $out/artifacts/<name>/"
exit "$found"

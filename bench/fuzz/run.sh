#!/usr/bin/env bash
# Fuzzing campaign: every libFuzzer harness in fuzz/ until it has used MINUTES of CPU (default 30),
# JOBS at a time (default 2, one per core), then a table per harness: CPU-minutes and wall minutes
# spent, executions, executions/s (per CPU second), coverage (libFuzzer's cov: edges, ft:
# features), corpus size and the crashes found.
#
#   bash bench/fuzz/run.sh [MINUTES]
#
# The budget is CPU time, not wall time: on a busy machine a harness gets less than a core, so it
# runs in rounds (libFuzzer's -max_total_time is wall time) until its processes, fork-mode jobs
# included, have used MINUTES of CPU.
#
# A unit running past 25 s counts as a timeout (the CTest runs allow 10 s): the timeout is wall
# time, and a starved harness on a busy machine would report false ones, or hang, as libFuzzer's
# timeout handler can deadlock in the sanitizer's allocator it interrupted.
#
# Builds build-fuzz/ first (scripts/build.sh --fuzz: nothing to do when it is up to date). Each
# harness runs in libFuzzer's fork mode with crashes, timeouts and out-of-memory ignored, so one
# finding does not end its run; every finding is written to build-fuzz/fuzz/artifacts/<name>/
# (crash-*, leak-*, timeout-*, oom-*), which this script empties first. Inputs that reach new
# coverage accumulate in build-fuzz/fuzz/corpus/<name> across runs (the committed seeds in
# fuzz/corpus/<name> are only read). Logs: build-fuzz/fuzz/logs/<name>.log (all rounds).
#
# Ctrl-C (or SIGTERM) ends the campaign early: each running harness ends its round, and the table
# shows what was spent; harnesses not yet started are listed as such.
#
# Environment: JOBS (harnesses at once, default 2), HARNESSES ("json csv": a subset, in that
# order), FUZZ_ARGS (more libFuzzer flags, e.g. "-max_len=65536").
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
cpu_budget=$((minutes * 60))

env -u JOBS bash "$root/scripts/build.sh" --fuzz >&2 || exit 2  # JOBS here is harnesses, not ninja -j

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

# CPU seconds in a file written by `times`: its second line, the waited-for children (the harness
# and its fork-mode jobs). `times` itself must run in fuzz_one's shell: in a pipeline or a
# command substitution it would report that subshell's children, none.
cpu_seconds() { # file
  awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
    printf "%d\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$1"
}

# SIGTERM to a process and all its descendants, deepest first (a fork-mode job runs under sh -c).
kill_tree() {
  local child
  for child in $(pgrep -P "$1"); do kill_tree "$child"; done
  kill -TERM "$1" 2>/dev/null || true
}

# One harness, in rounds until its CPU budget is spent. Each round's last status line goes to
# <name>.rounds for the table. ASan's leak check runs in every job.
fuzz_one() {
  local name=$1 dict=() extra=() used=0 before started=$SECONDS left fuzzer=0 stop=0
  # The campaign is being stopped: end this round (fork-mode jobs first), count it, go no further.
  trap 'stop=1; ((fuzzer > 0)) && kill_tree "$fuzzer"' TERM
  [[ -x $out/${name}_fuzz ]] || {
    echo "no harness $out/${name}_fuzz" >"$out/logs/$name.log"
    return 0
  }
  [[ -f $root/fuzz/$name.dict ]] && dict=("-dict=$root/fuzz/$name.dict")
  # shellcheck disable=SC2206 # FUZZ_ARGS is deliberately word-split
  [[ -n ${FUZZ_ARGS:-} ]] && extra=(${FUZZ_ARGS})
  rm -rf "$out/artifacts/$name"
  mkdir -p "$out/corpus/$name" "$out/artifacts/$name"
  : >"$out/logs/$name.log"
  : >"$out/logs/$name.rounds"
  while ((used < cpu_budget && !stop)); do
    # Wall time for the CPU left, at least a minute: a round on an idle core uses it all.
    left=$((cpu_budget - used))
    "$out/${name}_fuzz" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -max_total_time="$((left > 60 ? left : 60))" -timeout=25 -rss_limit_mb=2048 \
      -artifact_prefix="$out/artifacts/$name/" "${dict[@]}" "${extra[@]}" \
      "$out/corpus/$name" "$root/fuzz/corpus/$name" >>"$out/logs/$name.log" 2>&1 &
    fuzzer=$!
    # A signal ends the first wait early (the trap then stops the round); the second waits for
    # the round's end, so its CPU is counted.
    wait "$fuzzer" || true
    wait "$fuzzer" 2>/dev/null || true
    fuzzer=0
    grep -E '^#[0-9]+: cov: ' "$out/logs/$name.log" | tail -n 1 >>"$out/logs/$name.rounds" || true
    before=$used
    times >"$out/logs/$name.times"
    used=$(cpu_seconds "$out/logs/$name.times")
    ((used > before)) || break # the harness does not run at all: its log says why
  done
  echo "$used $((SECONDS - started))" >"$out/logs/$name.cpu"
}

echo "fuzz: ${#names[@]} harnesses, $minutes CPU-minutes each, $jobs at a time" \
  "(about $(((${#names[@]} + jobs - 1) / jobs * minutes)) min on $jobs idle cores)" >&2
for name in "${names[@]}"; do rm -f "$out/logs/$name.cpu"; done
stopping=0
trap 'stopping=1; echo "fuzz: stopping" >&2; for p in $(jobs -pr); do kill -TERM "$p"; done' INT TERM
running=0
for name in "${names[@]}"; do
  if ((running >= jobs)); then
    wait -n || true
    running=$((running - 1))
  fi
  ((stopping)) && break
  echo "fuzz: $name started $(date +%H:%M:%S)" >&2
  fuzz_one "$name" &
  running=$((running + 1))
done
while [[ -n $(jobs -pr) ]]; do wait || true; done
trap - INT TERM

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

# A fork-mode run's status lines end with
#   #1234: cov: 567 ft: 890 corp: 12 exec/s 345 oom/timeout/crash: 0/0/0 time: 61s job: 3 ...
# (executions and time of that round). Executions are summed over the rounds; coverage, features
# and corpus are the last round's (the corpus carries over, so they only grow).
minutes_of() { awk -v s="$1" 'BEGIN { printf "%.1f", s / 60 }'; }

found=0
printf '\n%-13s %7s %8s %11s %7s %6s %7s %7s %9s\n' harness cpu-min wall-min execs exec/s cov ft \
  corpus findings
for name in "${names[@]}"; do
  rounds=$out/logs/$name.rounds
  if [[ ! -f $out/logs/$name.cpu ]]; then
    printf '%-13s %s\n' "$name" "not run: the campaign was stopped first"
    continue
  fi
  if [[ ! -s $rounds ]]; then
    printf '%-13s %s\n' "$name" "no statistics: see $out/logs/$name.log"
    found=1
    continue
  fi
  read -r execs cov ft corp <<<"$(sed -E \
    's/^#([0-9]+): cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+) .*/\1 \2 \3 \4/' "$rounds" |
    awk '{n += $1; c = $2; f = $3; k = $4} END {print n, c, f, k}')"
  read -r cpu wall <"$out/logs/$name.cpu"
  printf '%-13s %7s %8s %11s %7s %6s %7s %7s' "$name" "$(minutes_of "$cpu")" \
    "$(minutes_of "$wall")" "$execs" "$((execs / (cpu > 0 ? cpu : 1)))" "$cov" "$ft" "$corp"
  mapfile -t files < <(find "$out/artifacts/$name" -type f | sort)
  printf ' %9s\n' "${#files[@]}"
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

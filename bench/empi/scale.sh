#!/usr/bin/env bash
# EMPI scale benchmark: N synthetic records (default 1,000,000) from generate.py, with known truth
# and realistic errors, imported through the API on SQLite; prints wall time, carehub's peak RSS,
# F1 and real-time search latency against the full index, and the targets: the import end to end
# in <= 120 s, peak RSS <= 2 GiB, real-time p99 <= 20 ms (PASS/MISS, never failing the run).
#
#   bash bench/empi/scale.sh            # N=1000000; N=100000 for a quick look
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
n=${N:-1000000}
data=$(mktemp -d /tmp/carehub-empi-scale.XXXXXX)
trap 'rm -rf "$data"' EXIT
python3 "$here/generate.py" "$n" "$data/synthetic_$n.csv"
out=$(DATASETS="$data/synthetic_$n.csv" REALTIME_COUNT=${REALTIME_COUNT:-1000} \
  bash "$here/quality.sh" | tee /dev/stderr)
python3 - "$out" <<'PY'
import re, sys
text = sys.argv[1]
row = next(l for l in text.splitlines() if l.startswith("synthetic_"))
cols = row.split()
seconds, peak_mb, f1 = float(cols[5]), float(cols[6]), float(cols[4])
p99 = float(re.search(r"p99 ([0-9.]+) ms", text).group(1))
def line(ok, what, value):
    print(f"  [{'PASS' if ok else 'MISS'}] {what:<44} {value}")
print("\ntargets:")
line(seconds <= 120, "import end to end <= 120 s", f"{seconds:.1f} s")
line(peak_mb <= 2048, "peak RSS <= 2 GiB", f"{peak_mb:.0f} MB")
line(p99 <= 20, "real-time search p99 <= 20 ms", f"{p99:.2f} ms")
line(f1 >= 0.95, "F1 >= 0.95", f"{f1:.4f}")
PY

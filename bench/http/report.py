#!/usr/bin/env python3
"""Parses the wrk outputs bench/http/run.sh collected and prints the table, ratios and targets.

Reads DIR/wrk-<target>-<connections>.txt (wrk --latency output). Standard library only.
"""
import argparse
import json
import os
import re
import sys

UNIT_TO_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}
LABELS = {
    "nginx": "nginx static 20 B",
    "healthz": "carehub /healthz",
    "row": "carehub diag row (SQLite)",
}
# Targets from the issue (bench/http): checked and printed, never fail the run.
HEALTHZ_MIN_RATIO = 0.80
HEALTHZ_RATIO_CONNECTIONS = 64
P99_MAX_MS = 5.0
IDLE_RSS_MAX_MB = 30.0


def to_ms(value, unit):
    return round(float(value) * UNIT_TO_MS[unit], 4)


def parse_wrk(text):
    """Returns requests/s, latency percentiles (ms), request count and error counts."""
    out = {"rps": None, "p50": None, "p90": None, "p99": None, "requests": None,
           "non2xx": 0, "socket_errors": 0}
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m:
        out["rps"] = float(m.group(1))
    m = re.search(r"(\d+) requests in", text)
    if m:
        out["requests"] = int(m.group(1))
    for pct in ("50", "90", "99"):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+([\d.]+)(us|ms|s|m|h)\s*$" % pct, text, re.M)
        if m:
            out["p" + pct] = to_ms(m.group(1), m.group(2))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    if m:
        out["non2xx"] = int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if m:
        out["socket_errors"] = sum(int(g) for g in m.groups())
    return out


def fmt_num(v, spec):
    return "-" if v is None else format(v, spec)


def finish(checks, json_path, doc):
    """Prints the targets as PASS/MISS and, when asked, writes the results with them as JSON."""
    print("targets:")
    for name, ok, value in checks:
        print("  [%s] %-55s %s" % ("PASS" if ok else "MISS", name, value))
    if json_path:
        doc = dict(doc, checks=[{"name": n, "ok": ok, "value": v} for n, ok, v in checks])
        with open(json_path, "w") as f:
            json.dump(doc, f, indent=2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--targets", required=True)
    ap.add_argument("--connections", required=True)
    ap.add_argument("--duration", required=True)
    ap.add_argument("--idle-rss-kb", type=int, required=True)
    ap.add_argument("--loaded-rss-kb", type=int, required=True)
    ap.add_argument("--peak-rss-kb", type=int, required=True)
    ap.add_argument("--nginx-workers", default="2")
    ap.add_argument("--json")
    args = ap.parse_args()

    targets = args.targets.split()
    conns = [int(c) for c in args.connections.split()]
    results = {}
    for t in targets:
        for c in conns:
            path = os.path.join(args.dir, "wrk-%s-%d.txt" % (t, c))
            text = open(path).read() if os.path.exists(path) else ""
            results[(t, c)] = parse_wrk(text)

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.+)", f.read())
            cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    print()
    print("HTTP benchmark: wrk -t2 (-t1 at 1 connection) --latency, %s per run, loopback" % args.duration)
    print("machine: %d cpus (%s); nginx worker_processes %s" % (os.cpu_count(), cpu, args.nginx_workers))
    print()
    header = "%-27s %6s %12s %9s %9s %9s %8s" % (
        "target", "conns", "requests/s", "p50 ms", "p90 ms", "p99 ms", "errors")
    print(header)
    print("-" * len(header))
    for c in conns:
        for t in targets:
            r = results[(t, c)]
            errors = r["non2xx"] + r["socket_errors"]
            print("%-27s %6d %12s %9s %9s %9s %8d" % (
                LABELS.get(t, t), c, fmt_num(r["rps"], ".0f"), fmt_num(r["p50"], ".3f"),
                fmt_num(r["p90"], ".3f"), fmt_num(r["p99"], ".3f"), errors))
        print()

    print("carehub / nginx requests/s:")
    for c in conns:
        n = results.get(("nginx", c), {}).get("rps")
        parts = []
        for t in targets:
            if t == "nginx":
                continue
            v = results[(t, c)]["rps"]
            parts.append("%s %s" % (t, "-" if not n or v is None else "%.0f%%" % (100.0 * v / n)))
        print("  %4d connections: %s" % (c, ", ".join(parts)))
    print()
    idle_mb = args.idle_rss_kb / 1024.0
    print("carehub RSS: idle %.1f MB, after load %.1f MB, peak %.1f MB" % (
        idle_mb, args.loaded_rss_kb / 1024.0, args.peak_rss_kb / 1024.0))
    print()

    checks = []
    hz = results.get(("healthz", HEALTHZ_RATIO_CONNECTIONS))
    ng = results.get(("nginx", HEALTHZ_RATIO_CONNECTIONS))
    if hz and ng and hz["rps"] and ng["rps"]:
        ratio = hz["rps"] / ng["rps"]
        checks.append(("/healthz >= %d%% of nginx requests/s at %d connections" % (
            HEALTHZ_MIN_RATIO * 100, HEALTHZ_RATIO_CONNECTIONS), ratio >= HEALTHZ_MIN_RATIO,
            "%.0f%%" % (100 * ratio)))
        checks.append(("/healthz p99 < %.0f ms at %d connections" % (
            P99_MAX_MS, HEALTHZ_RATIO_CONNECTIONS), hz["p99"] is not None and hz["p99"] < P99_MAX_MS,
            "%s ms" % fmt_num(hz["p99"], ".3f")))
    else:
        checks.append(("/healthz vs nginx at %d connections" % HEALTHZ_RATIO_CONNECTIONS, False,
                       "not measured"))
    checks.append(("idle RSS < %.0f MB" % IDLE_RSS_MAX_MB, idle_mb < IDLE_RSS_MAX_MB, "%.1f MB" % idle_mb))
    errors = sum(r["non2xx"] + r["socket_errors"] for (t, _), r in results.items() if t != "nginx")
    checks.append(("no carehub errors (non-2xx, socket errors)", errors == 0, str(errors)))
    finish(checks, args.json, {
        "duration": args.duration,
        "results": [dict(target=t, connections=c, **r) for (t, c), r in results.items()],
        "rss_kb": {"idle": args.idle_rss_kb, "loaded": args.loaded_rss_kb, "peak": args.peak_rss_kb},
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())

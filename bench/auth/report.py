#!/usr/bin/env python3
"""Parses the wrk outputs bench/auth/run.sh collected and prints the table, ratio, logins/s and targets.

Reads DIR/wrk-{healthz,me,login}.txt (wrk --latency output). Standard library only; the wrk
parser is bench/http/report.py's, so both benchmarks read wrk the same way.
"""
import argparse
import importlib.util
import json
import os
import re
import sys

_spec = importlib.util.spec_from_file_location(
    "http_report", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "http", "report.py"))
http_report = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(http_report)
parse_wrk = http_report.parse_wrk
fmt_num = http_report.fmt_num

TARGETS = ("healthz", "me", "login")
LABELS = {
    "healthz": "GET /healthz",
    "me": "GET /api/v1/auth/me",
    "login": "POST /api/v1/auth/login",
}
# Target from the issue (bench/auth): checked and printed, never fails the run.
ME_MIN_RATIO = 0.50


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--duration", required=True)
    ap.add_argument("--connections", type=int, required=True)
    ap.add_argument("--login-connections", type=int, required=True)
    ap.add_argument("--hash-params", default="?")
    ap.add_argument("--idle-rss-kb", type=int, required=True)
    ap.add_argument("--loaded-rss-kb", type=int, required=True)
    ap.add_argument("--peak-rss-kb", type=int, required=True)
    ap.add_argument("--json")
    args = ap.parse_args()

    conns = {"healthz": args.connections, "me": args.connections, "login": args.login_connections}
    results = {}
    for t in TARGETS:
        path = os.path.join(args.dir, "wrk-%s.txt" % t)
        text = open(path).read() if os.path.exists(path) else ""
        results[t] = parse_wrk(text)

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"model name\s*:\s*(.+)", f.read())
            cpu = m.group(1).strip() if m else cpu
    except OSError:
        pass
    print()
    print("auth benchmark: wrk -t2 --latency, %s per run, loopback, SQLite" % args.duration)
    print("machine: %d cpus (%s); stored password hash: argon2id %s" % (
        os.cpu_count(), cpu, args.hash_params))
    print()
    header = "%-25s %6s %12s %9s %9s %9s %8s" % (
        "target", "conns", "requests/s", "p50 ms", "p90 ms", "p99 ms", "errors")
    print(header)
    print("-" * len(header))
    for t in TARGETS:
        r = results[t]
        print("%-25s %6d %12s %9s %9s %9s %8d" % (
            LABELS[t], conns[t], fmt_num(r["rps"], ".0f"), fmt_num(r["p50"], ".3f"),
            fmt_num(r["p90"], ".3f"), fmt_num(r["p99"], ".3f"), r["non2xx"] + r["socket_errors"]))
    print()

    hz, me, login = results["healthz"], results["me"], results["login"]
    ratio = me["rps"] / hz["rps"] if me["rps"] is not None and hz["rps"] else None
    print("/api/v1/auth/me / /healthz requests/s: %s" % (
        "-" if ratio is None else "%.0f%%" % (100 * ratio)))
    print("logins/s: %s at %d connections (non-2xx responses %d, socket errors %d)" % (
        fmt_num(login["rps"], ".1f"), args.login_connections, login["non2xx"],
        login["socket_errors"]))
    print("carehub RSS: idle %.1f MB, after load %.1f MB, peak %.1f MB" % (
        args.idle_rss_kb / 1024.0, args.loaded_rss_kb / 1024.0, args.peak_rss_kb / 1024.0))
    print()

    checks = [
        ("authenticated reads >= %d%% of /healthz requests/s" % (ME_MIN_RATIO * 100),
         ratio is not None and ratio >= ME_MIN_RATIO,
         "not measured" if ratio is None else "%.0f%%" % (100 * ratio)),
        ("logins: no non-2xx responses", login["requests"] is not None and login["non2xx"] == 0,
         "not measured" if login["requests"] is None else str(login["non2xx"])),
    ]
    errors = sum(r["non2xx"] + r["socket_errors"] for r in results.values())
    checks.append(("no errors (non-2xx, socket errors)", errors == 0, str(errors)))
    http_report.finish(checks, args.json, {
        "duration": args.duration,
        "hash_params": args.hash_params,
        "results": [dict(target=t, connections=conns[t], **results[t]) for t in TARGETS],
        "me_to_healthz": ratio,
        "rss_kb": {"idle": args.idle_rss_kb, "loaded": args.loaded_rss_kb, "peak": args.peak_rss_kb},
    })
    return 0


if __name__ == "__main__":
    sys.exit(main())

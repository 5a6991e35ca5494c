"""Prints bench/dicom's table and targets from the result files run.sh wrote.

  report.py RESULTS_DIR N PRELOAD

RESULTS_DIR holds SERVER.SCENARIO.K.json (server carehub|orthanc; scenario post1, post4, stow50,
storescu, post4_preloaded; K the repetition, 1..REPEAT), each {"ingest": ingest.py's or scu.py's
line, "verify": verify.py's, "peak_rss_kb", ["server_count"] (Orthanc), ["stop"] (carehub's exit),
["preload"]}, and SERVER.syncs.json (the durability probe). A figure is valid only if every instance
was acknowledged, none failed, QIDO-RS lists exactly the N instances afterwards and the server
lived to the end; with REPEAT > 1 the median of the valid repetitions is shown (any invalid one
makes the scenario invalid).
"""

import json
import os
import statistics
import sys

SCENARIOS = [
    ("post1", "(a) POST, 1 connection"),
    ("post4", "(a) POST, 4 connections"),
    ("stow50", "(b) STOW-RS, 50/request, 4 conn."),
    ("storescu", "(c) C-STORE storescu, 1 assoc."),
    ("post4_preloaded", "(d) POST, 4 conn., preloaded"),
]


def load(results, server, scenario):
    """The repetitions' result documents, in order (empty if not measured)."""
    docs = []
    k = 1
    while os.path.exists(path := os.path.join(results, f"{server}.{scenario}.{k}.json")):
        with open(path) as f:
            docs.append(json.load(f))
        k += 1
    return docs


def assess(doc, n, preload, server, scenario):
    """(rate, problems, ingest line); the rate counts only if there are no problems"""
    ing = doc.get("ingest") or {}
    problems = []
    if "storescu_rc" in ing:
        if ing["storescu_rc"] != 0:
            problems.append(f"storescu exit {ing['storescu_rc']}")
        if ing.get("store_failures"):
            problems.append(f"{ing['store_failures']} C-STORE failures")
        if ing.get("store_success") != n:
            problems.append(f"{ing.get('store_success')} C-STORE successes")
        rate = n / ing["seconds"] if ing.get("seconds") else None
    else:
        if ing.get("failed"):
            problems.append(f"{ing['failed']} failed: {ing.get('errors')}")
        if ing.get("ok") != n:
            problems.append(f"{ing.get('ok')} of {n} acknowledged")
        rate = ing.get("rate")
    v = doc.get("verify")
    if not v:
        problems.append("QIDO check gave no answer")
    elif v.get("error") or v.get("missing") or v.get("unexpected"):
        problems.append(f"QIDO check: {v}")
    if server == "orthanc" and "server_count" in doc:
        want = n + (preload if scenario == "post4_preloaded" else 0)
        if doc["server_count"] != want:
            problems.append(f"Orthanc counts {doc['server_count']} instances, not {want}")
    if "died" in (doc.get("stop") or ""):
        problems.append(doc["stop"].strip())
    pre = doc.get("preload")
    if pre and (pre.get("failed") or pre.get("ok") != preload):
        problems.append(f"preload: {pre.get('ok')} of {preload}, {pre.get('failed')} failed")
    return rate, problems, ing


def main():
    results, n, preload = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rates = {}
    notes = []
    print(f"\n{'instances/s':<34} {'carehub':>9} {'Orthanc':>9} {'ratio':>7}")
    for key, label in SCENARIOS:
        if key == "post4_preloaded":
            label = f"(d) POST, 4 conn., {preload:,} indexed"
        row = {}
        for server in ("carehub", "orthanc"):
            docs = load(results, server, key)
            if not docs:
                continue
            runs = [assess(doc, n, preload, server, key) for doc in docs]
            valid = [r for r, p, _ in runs if not p and r]
            row[server] = statistics.median(valid) if len(valid) == len(runs) else None
            for k, (doc, (rate, problems, ing)) in enumerate(zip(docs, runs), 1):
                notes.append(detail_line(server, key, k, len(docs), doc, rate, problems, ing))
        if not row:
            continue
        rates[key] = row
        c, o = row.get("carehub"), row.get("orthanc")

        def fmt(x, present):
            return f"{x:9.1f}" if x is not None else (f"{'invalid':>9}" if present else f"{'-':>9}")

        ratio = f"{c / o:6.2f}x" if c and o else f"{'-':>7}"
        print(f"{label:<34} {fmt(c, 'carehub' in row)} {fmt(o, 'orthanc' in row)} {ratio}")
    print()
    for line in notes:
        print("  " + line)
    syncs = {}
    for server in ("carehub", "orthanc"):
        path = os.path.join(results, f"{server}.syncs.json")
        if os.path.exists(path):
            with open(path) as f:
                doc = json.load(f)
            acked = doc["ingest"]["ok"]
            # sync_file_range(SYNC_FILE_RANGE_WRITE) only starts writeback: it makes nothing durable
            total = sum(v for k, v in doc["calls"].items() if k != "sync_file_range")
            syncs[server] = total / acked if acked and not doc["ingest"]["failed"] else None
            calls = ", ".join(f"{k} {v}" for k, v in sorted(doc["calls"].items())) or "none"
            print(f"  {server:<8} durability probe: {acked} instances acknowledged on 1 connection,"
                  f" sync calls: {calls}")
    report_targets(rates, preload, syncs)
    report_sync_ceiling(results, rates)


def detail_line(server, key, k, runs, doc, rate, problems, ing):
    name = key if runs == 1 else f"{key} #{k}"
    detail = (f"{server:<8} {name:<18} {rate or 0:7.1f}/s {ing.get('seconds', 0):7.2f} s"
              f"  client CPU {ing.get('client_cpu_s', 0):6.2f} s"
              f"  peak RSS {doc.get('peak_rss_kb', 0) / 1024:7.0f} MB")
    if "connections_opened" in ing:
        detail += (f"  connections {ing['connections_opened']}"
                   f"  p50 {ing.get('latency_ms_p50')} ms p99 {ing.get('latency_ms_p99')} ms")
    if doc.get("preload"):
        pre = doc["preload"]
        detail += (f"  preload {pre.get('ok'):,} in {pre.get('seconds')} s"
                   f" ({pre.get('rate')}/s)")
    if doc.get("stop") and "died" not in doc["stop"]:
        detail += "  " + doc["stop"].strip().splitlines()[0].replace("carehub ", "")
    if problems:
        detail += "  INVALID: " + "; ".join(problems)
    return detail


def report_sync_ceiling(results, rates):
    """A durable store syncs before it answers, so the disk bounds its rate whatever the server
    does: the floor is the corpus written file by file, each synced with its directory, by a bare
    loop (no HTTP, no parsing, no index)."""
    path = os.path.join(results, "sync_latency.json")
    if not os.path.exists(path):
        return
    with open(path) as f:
        lat = json.load(f)
    print(f"\n  this filesystem: one fsync of an appended page (an index commit) "
          f"{lat['fsync_append_ms']:.2f} ms")
    print(f"  floor: the corpus' first {lat['floor_files']} files written each to a new file, "
          f"fdatasync, directory fsync, nothing else:")
    print(f"    1 writer {lat['floor_1_writer']:.0f}/s, 4 writers {lat['floor_4_writers']:.0f}/s"
          f" (no store keeping a durable file per instance can go faster)")
    for key, factor, floor in (("post1", 5, "floor_1_writer"), ("post4", 5, "floor_4_writers"),
                               ("stow50", 5, "floor_4_writers"), ("storescu", 2, "floor_1_writer")):
        o = rates.get(key, {}).get("orthanc")
        if o:
            need = factor * o
            print(f"  {key:<9} {factor}x Orthanc would be {need:6.0f}/s: "
                  f"{100 * need / lat[floor]:4.0f}% of the {floor[6:].replace('_', '-')} floor")


def report_targets(rates, preload, syncs):
    def line(ok, what, value):
        tag = "PASS" if ok else ("MISS" if ok is not None else "n/a ")
        print(f"  [{tag}] {what:<66} {value}")

    print("\ntargets:")
    for key, factor, what in (
        ("post1", 5, "(a) POST, 1 connection: >= 5x Orthanc"),
        ("post4", 5, "(a) POST, 4 connections: >= 5x Orthanc"),
        ("stow50", 5, "(b) STOW-RS batches of 50: >= 5x Orthanc"),
        ("storescu", 2, "(c) storescu, TCP_NODELAY=1: >= 2x Orthanc"),
    ):
        row = rates.get(key, {})
        if "carehub" not in row or "orthanc" not in row:
            line(None, what, "not measured")
        elif row["carehub"] is None or row["orthanc"] is None:
            line(False, what, "invalid run (see above)")
        else:
            r = row["carehub"] / row["orthanc"]
            line(r >= factor, what, f"{r:.2f}x")
    what = f"(d) {preload:,} indexed: within 20% of the empty-index rate"
    if preload < 100000:
        what += " (target: 100,000)"
    empty = rates.get("post4", {}).get("carehub")
    full = rates.get("post4_preloaded", {}).get("carehub")
    if preload == 0:
        line(None, "(d) 100,000 indexed: within 20% of the empty-index rate", "skipped (PRELOAD=0)")
    elif "carehub" not in rates.get("post4_preloaded", {}):
        line(None, what, "not measured")
    elif empty is None or full is None:
        line(False, what, "invalid run (see above)")
    else:
        line(full >= 0.8 * empty, what, f"{full:.1f}/s vs {empty:.1f}/s ({100 * (full / empty - 1):+.1f}%)")
    what = "'stored' is durable: carehub >= 1 sync call per instance acked"
    if "carehub" not in syncs:
        line(None, what, "not measured")
    elif syncs["carehub"] is None:
        line(False, what, "probe failed (see above)")
    else:
        line(syncs["carehub"] >= 1, what, f"{syncs['carehub']:.2f} per instance"
             + (f" (Orthanc {syncs['orthanc']:.2f})" if syncs.get("orthanc") is not None else ""))
    o_empty = rates.get("post4", {}).get("orthanc")
    o_full = rates.get("post4_preloaded", {}).get("orthanc")
    if o_empty and o_full:
        print(f"  (Orthanc with {preload:,} indexed: {o_full:.1f}/s vs {o_empty:.1f}/s empty,"
              f" {100 * (o_full / o_empty - 1):+.1f}%)")


if __name__ == "__main__":
    main()

"""DICOM query/retrieve for bench/dicom/qr.sh (run with /usr/bin/python3: Debian's pydicom).

  qr.py studies OUTDIR N
      N small CT instances (gen.py's base data set at 16x16), each its own study, series and
      patient (names Bench^QrNNNNNN, dates spread over 2015-2024, accession QRNNNNNNN); written as
      OUTDIR/NNNNNN.dcm with gen.py's manifest.tsv (file, study, series, SOP Instance UIDs).
  qr.py find --host H --port P --aec AET --repeat R --expect N
      C-FIND of every study (Study Root, STUDY level, universal matching, the keys below) with
      DCMTK's findscu, R times, each on its own association; every answer written by findscu
      (-X) to a scratch directory and counted. Prints JSON: per run wall seconds and answers.
  qr.py get --host H --port P --aec AET --study UID --repeat R --expect N
      C-GET of one study with DCMTK's getscu, R times, each into an empty directory; the files
      received counted and their bytes summed. Prints JSON as find does.
  qr.py report RESULTS_DIR N_STUDIES N_INSTANCES
      The tables and the targets from SERVER.{find,get}.json.
Both clients are DCMTK's, the same for both servers: the figures compare the servers.
"""
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

FIND_KEYS = ["QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientName", "PatientID",
             "StudyDate", "AccessionNumber", "StudyDescription", "ModalitiesInStudy",
             "NumberOfStudyRelatedInstances"]


def studies(outdir, n):
    import copy
    import gen
    from pydicom.uid import generate_uid
    os.makedirs(outdir, exist_ok=True)
    base = gen.base_dataset(16)
    with open(os.path.join(outdir, "manifest.tsv"), "w") as manifest:
        for i in range(n):
            ds = copy.copy(base)
            study_uid, series_uid, sop_uid = generate_uid(), generate_uid(), generate_uid()
            ds.file_meta = copy.copy(base.file_meta)
            ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
            ds.SOPInstanceUID = sop_uid
            ds.StudyInstanceUID = study_uid
            ds.SeriesInstanceUID = series_uid
            ds.PatientID = f"QR{i:08d}"
            ds.PatientName = f"Bench^Qr{i:06d}"
            ds.AccessionNumber = f"QR{i:07d}"
            ds.StudyDate = f"{2015 + i % 10}{1 + i % 12:02d}{1 + i % 28:02d}"
            ds.StudyDescription = "Bench query"
            ds.StudyID = str(i + 1)
            ds.SeriesNumber = 1
            ds.InstanceNumber = 1
            name = f"{i:06d}.dcm"
            ds.save_as(os.path.join(outdir, name), write_like_original=False)
            manifest.write(f"{name}\t{study_uid}\t{series_uid}\t{sop_uid}\n")


def cpu_seconds(pid):
    """User plus system CPU seconds of process PID so far (None when it cannot be read)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_timed(cmd, out_dir, server_pid):
    env = dict(os.environ, TCP_NODELAY="1")
    server0, client0 = cpu_seconds(server_pid) if server_pid else None, children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace")
    seconds = time.perf_counter() - t0
    server1, client1 = cpu_seconds(server_pid) if server_pid else None, children_cpu()
    cpu = {"client_cpu_s": round(client1 - client0, 3)}
    if server0 is not None and server1 is not None:
        cpu["server_cpu_s"] = round(server1 - server0, 3)
    files = [os.path.join(out_dir, f) for f in os.listdir(out_dir)]
    return seconds, proc.returncode, files, proc.stdout[-400:], cpu


def measure(args, build):
    runs = []
    for _ in range(args.repeat):
        out = tempfile.mkdtemp(prefix="qr-", dir=args.scratch)
        seconds, rc, files, tail, cpu = run_timed(build(out), out, args.server_pid)
        runs.append({"seconds": round(seconds, 4), "rc": rc, "answers": len(files), **cpu,
                     "bytes": sum(os.path.getsize(f) for f in files),
                     "ok": rc == 0 and len(files) == args.expect,
                     "tail": "" if rc == 0 and len(files) == args.expect else tail})
        shutil.rmtree(out)
    print(json.dumps({"runs": runs}))


def find(args):
    def build(out):
        cmd = ["findscu", "-S", "-X", "-od", out, "-aet", "BENCHSCU", "-aec", args.aec]
        for k in FIND_KEYS:
            cmd += ["-k", k]
        return cmd + [args.host, str(args.port)]
    measure(args, build)


def get(args):
    def build(out):
        # --lean: the client written to cost as little as it can (files written as received, not
        # parsed and re-encoded; the largest PDU getscu takes), so that the servers are measured
        # rather than getscu's CPU time.
        lean = ["+B", "--max-pdu", "131072"] if args.lean else []
        return ["getscu", "-S", *lean, "-od", out, "-aet", "BENCHSCU", "-aec", args.aec,
                "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={args.study}",
                args.host, str(args.port)]
    measure(args, build)


def report(results, n_studies, n_instances):
    def load(server, what):
        try:
            return json.load(open(os.path.join(results, f"{server}.{what}.json")))
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def figures(doc):
        if not doc or not doc.get("runs"):
            return None
        runs = doc["runs"]
        good = [r for r in runs if r["ok"]]
        secs = [r["seconds"] for r in good]
        def med(key):
            values = [r[key] for r in good if r.get(key) is not None]
            return statistics.median(values) if values else float("nan")
        return {"runs": len(runs), "valid": len(good),
                "median_s": statistics.median(secs) if secs else None,
                "server_cpu_s": med("server_cpu_s"), "client_cpu_s": med("client_cpu_s"),
                "best_s": min(secs) if secs else None,
                "answers": good[0]["answers"] if good else None,
                "mb": good[0]["bytes"] / 1e6 if good else None,
                "rss": f"{doc['peak_rss_kb'] / 1024:.0f}" if doc.get("peak_rss_kb") else "-",
                "problems": [r["tail"] for r in runs if not r["ok"]][:2]}

    lines, targets = [], []
    sections = (
        ("find", n_studies, f"C-FIND of all {n_studies} studies (STUDY level), DCMTK findscu",
         "C-FIND"),
        ("get", n_instances, f"C-GET of one {n_instances}-instance study, DCMTK getscu with its "
         "defaults (16 KB PDUs; each file parsed and re-encoded)", "C-GET (getscu defaults)"),
        ("getlean", n_instances, f"C-GET of one {n_instances}-instance study, DCMTK getscu +B "
         "--max-pdu 131072 (files written as received; 128 KB PDUs)", "C-GET (getscu +B, 128 KB)"))
    for what, unit, title, target in sections:
        lines.append(f"\n{title}, one association per run")
        lines.append(f"{'server':10} {'runs':>5} {'median s':>9} {'best s':>8} {'per s':>9} "
                     f"{'MB':>7} {'peak RSS MB':>12} {'server CPU s':>13} {'client CPU s':>13}")
        rate = {}
        for server in ("carehub", "orthanc"):
            f = figures(load(server, what))
            if f is None:
                lines.append(f"{server:10} (not run)")
                continue
            if f["median_s"] is None:
                lines.append(f"{server:10} INVALID: {f['problems']}")
                continue
            rate[server] = unit / f["median_s"]
            lines.append(f"{server:10} {f['valid']:>2}/{f['runs']:<2} {f['median_s']:>9.3f} "
                         f"{f['best_s']:>8.3f} {rate[server]:>9.0f} {f['mb']:>7.1f} "
                         f"{f['rss']:>12} {f['server_cpu_s']:>13.3f} "
                         f"{f['client_cpu_s']:>13.3f}")
            if f["valid"] < f["runs"]:
                lines.append(f"           {f['runs'] - f['valid']} run(s) invalid: {f['problems']}")
        if "carehub" in rate and "orthanc" in rate:
            ratio = rate["carehub"] / rate["orthanc"]
            lines.append(f"carehub/Orthanc: {ratio:.2f}x "
                         f"({'answers' if what == 'find' else 'instances'} per second, medians)")
            targets.append((f"{target} at least 2x Orthanc's rate", ratio >= 2.0,
                            f"{ratio:.2f}x"))
    print("\n".join(lines))
    print("\nTargets:")
    for name, ok, got in targets:
        print(f"  [{'PASS' if ok else 'MISS'}] {name}: {got}")


def main():
    import argparse
    if len(sys.argv) == 4 and sys.argv[1] == "studies":
        studies(sys.argv[2], int(sys.argv[3]))
        return
    if len(sys.argv) == 5 and sys.argv[1] == "report":
        report(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    if len(sys.argv) < 2 or sys.argv[1] not in ("find", "get"):
        sys.exit(__doc__)
    ap = argparse.ArgumentParser(prog=f"qr.py {sys.argv[1]}")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--aec", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--expect", type=int, required=True)
    ap.add_argument("--scratch", default=None)
    ap.add_argument("--lean", action="store_true", help="get: getscu +B --max-pdu 131072")
    ap.add_argument("--server-pid", type=int, default=None,
                    help="the server's pid, to report its CPU seconds per run")
    if sys.argv[1] == "get":
        ap.add_argument("--study", required=True)
    args = ap.parse_args(sys.argv[2:])
    (find if sys.argv[1] == "find" else get)(args)


if __name__ == "__main__":
    main()

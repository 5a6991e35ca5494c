"""HTTP ingest client for bench/dicom: sends DICOM instances to carehub or Orthanc over persistent
(keep-alive) connections, one thread per connection, checks every answer, prints one JSON line.

  ingest.py --server carehub|orthanc --base http://127.0.0.1:PORT --mode post|stow
            --connections N [--batch 50] [--token TOKEN] (--corpus DIR | --preload COUNT)

post: one POST per instance (carehub: /api/v1/dicom/instances, Orthanc: /instances), body the file.
stow: STOW-RS, POST /dicom-web/studies, multipart/related of --batch instances.
--corpus DIR: the files listed in DIR/manifest.tsv (gen.py corpus), read into memory and every
request body built before the clock starts. --preload COUNT: gen.py's small instances 0..COUNT-1,
built by the workers while they send (the preload's time is reported, not judged).

A request counts as ingested only if the answer says so for exactly the instances sent:
carehub POST: 200 and {"status": "Stored", "sop_instance_uid": <the one sent>}; Orthanc POST: 200
and {"Status": "Success"}; STOW-RS: 200 and a ReferencedSOPSequence (0008,1199) naming exactly the
SOP Instance UIDs sent, no FailedSOPSequence (0008,1198). Anything else is a failure, counted and
shown (the first few). A connection that the server closed while idle is reopened and the request
sent again (counted as a reconnect); a failure on a fresh connection is not retried.
"""

import argparse
import http.client
import json
import os
import resource
import sys
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

BOUNDARY = "carehub-bench-3f9c1e7a"


def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def multipart(parts):
    head = f"--{BOUNDARY}\r\nContent-Type: application/dicom\r\n\r\n".encode()
    chunks = []
    for p in parts:
        chunks += [head, p, b"\r\n"]
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(chunks)


class Counted(http.client.HTTPConnection):
    opened = 0
    lock = threading.Lock()

    def connect(self):
        super().connect()  # sets TCP_NODELAY
        with Counted.lock:
            Counted.opened += 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", choices=["carehub", "orthanc"], required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--mode", choices=["post", "stow"], required=True)
    ap.add_argument("--connections", type=int, default=1)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--token")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--corpus")
    src.add_argument("--preload", type=int)
    args = ap.parse_args()

    url = urllib.parse.urlsplit(args.base)
    host, port = url.hostname, url.port
    common = {"Connection": "keep-alive"}
    if args.token:
        common["Authorization"] = f"Bearer {args.token}"

    # jobs: list of (body-or-None, [sop uids], index); body None -> built by the worker (preload)
    if args.corpus:
        files = []
        with open(os.path.join(args.corpus, "manifest.tsv")) as m:
            for line in m:
                name, _study, _series, sop = line.rstrip("\n").split("\t")
                with open(os.path.join(args.corpus, name), "rb") as f:
                    files.append((f.read(), sop))
        count = len(files)
        if args.mode == "post":
            jobs = [(data, [sop], k) for k, (data, sop) in enumerate(files)]
        else:
            jobs = []
            for k in range(0, count, args.batch):
                chunk = files[k:k + args.batch]
                jobs.append((multipart([d for d, _ in chunk]), [s for _, s in chunk], k))
        payload_bytes = sum(len(d) for d, _ in files)
    else:
        import gen

        count = args.preload
        step = 1 if args.mode == "post" else args.batch
        jobs = [(None, None, k) for k in range(0, count, step)]
        payload_bytes = 0

    if args.mode == "post":
        path = "/api/v1/dicom/instances" if args.server == "carehub" else "/instances"
        ctype = "application/dicom"
    else:
        path = "/dicom-web/studies"
        ctype = f'multipart/related; type="application/dicom"; boundary={BOUNDARY}'

    def build(job):
        body, sops, k = job
        if body is not None:
            return body, sops
        n = 1 if args.mode == "post" else min(args.batch, count - k)
        datas = [gen.preload_instance(k + j) for j in range(n)]
        sops = [gen.preload_uids(k + j)[2] for j in range(n)]
        return (datas[0] if args.mode == "post" else multipart(datas)), sops

    def check(status, data, sops):
        """None if the answer confirms every instance sent, else the reason."""
        try:
            if status != 200:
                return f"HTTP {status}: {data[:200]!r}"
            doc = json.loads(data)
            if args.mode == "post" and args.server == "carehub":
                if doc.get("status") != "Stored" or doc.get("sop_instance_uid") != sops[0]:
                    return f"answer {doc}"
                return None
            if args.mode == "post":
                if doc.get("Status") != "Success":
                    return f"answer {doc}"
                return None
            failed = doc.get("00081198", {}).get("Value") or []
            refs = doc.get("00081199", {}).get("Value") or []
            got = sorted(r.get("00081155", {}).get("Value", [None])[0] for r in refs)
            if failed or got != sorted(sops):
                return f"STOW answer: {len(refs)} referenced, {len(failed)} failed of {len(sops)}"
            return None
        except Exception as e:  # noqa: BLE001 - any unparsable answer is a failure
            return f"bad answer ({e}): {data[:200]!r}"

    lock = threading.Lock()
    state = {"next": 0, "ok": 0, "failed": 0, "reconnects": 0, "errors": [], "lat": []}

    def record(ok_instances, failed_instances, error, latency):
        with lock:
            state["ok"] += ok_instances
            state["failed"] += failed_instances
            state["lat"].append(latency)
            if error and len(state["errors"]) < 5:
                state["errors"].append(error)

    def worker():
        conn = Counted(host, port, timeout=900)
        used = False
        while True:
            with lock:
                i = state["next"]
                state["next"] += 1
            if i >= len(jobs):
                break
            body, sops = build(jobs[i])
            headers = dict(common, **{"Content-Type": ctype, "Accept": "application/json"
                                      if args.mode == "post" else "application/dicom+json"})
            for attempt in (0, 1):
                t0 = time.perf_counter()
                try:
                    conn.request("POST", path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    error = check(resp.status, data, sops)
                    used = not resp.will_close
                    break
                except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                    conn.close()
                    if used and attempt == 0:  # the server closed an idle keep-alive connection
                        with lock:
                            state["reconnects"] += 1
                        used = False
                        continue
                    error = f"{type(e).__name__}: {e}"
                    break
                except Exception as e:  # noqa: BLE001
                    conn.close()
                    used = False
                    error = f"{type(e).__name__}: {e}"
                    break
            latency = time.perf_counter() - t0
            if error:
                record(0, len(sops), error, latency)
            else:
                record(len(sops), 0, None, latency)
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(args.connections)]
    cpu0 = cpu_seconds()
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    cpu = cpu_seconds() - cpu0
    lat = sorted(state["lat"])

    def pct(p):
        return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None

    print(json.dumps({
        "instances": count,
        "ok": state["ok"],
        "failed": state["failed"],
        "requests": len(jobs),
        "seconds": round(seconds, 3),
        "rate": round(state["ok"] / seconds, 1) if seconds > 0 else 0.0,
        "mb_per_s": round(payload_bytes / seconds / 1e6, 1) if seconds > 0 else 0.0,
        "client_cpu_s": round(cpu, 2),
        "connections_opened": Counted.opened,
        "reconnects": state["reconnects"],
        "latency_ms_p50": pct(0.5),
        "latency_ms_p99": pct(0.99),
        "errors": state["errors"],
    }))


if __name__ == "__main__":
    main()

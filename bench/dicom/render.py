"""Rendered frames and thumbnails for bench/dicom/render.sh (run with /usr/bin/python3: Debian's
pydicom and numpy).

  render.py corpus OUTDIR N
      N CT-like instances of ONE study, one series (gen.py's 512x512 16-bit phantom, every slice's
      pixels different, Instance Number 1..N, window 40/400), written as OUTDIR/NNNNNN.dcm;
      OUTDIR/manifest.tsv lists file, study, series and SOP Instance UIDs as gen.py's does (so
      ingest.py takes it as it is).
  render.py frames --server carehub|orthanc --base URL [--token T] --corpus DIR
                   [--cached 300] [--warmup 20]
      "cold": every instance of the corpus once, in manifest order (the server was just started);
      then "cached": the middle instance --warmup times (not timed), then --cached times.
  render.py thumbnail --server carehub|orthanc --base URL [--token T] --corpus DIR [--repeat 100]
      carehub: GET /dicom-web/studies/{study}/thumbnail; Orthanc (no study thumbnail): GET
      /instances/{id}/preview of the middle instance, the one carehub's thumbnail shows (its
      first series' middle instance by Instance Number). The first request, then --repeat more.
  render.py verify BASE CORPUS_DIR [TOKEN]
      verify.py's QIDO-RS check of the upload, page by page (limit=100, offset): the series here
      is longer than carehub's default page of 100, which verify.py's single request would miss.
  render.py report RESULTS_DIR N
      The tables and the targets, from the SERVER.PHASE.json files render.sh wrote.

The frame requests: carehub GET /dicom-web/studies/{study}/series/{series}/instances/{sop}/
rendered, Orthanc GET /instances/{id}/frames/0/rendered; both with Accept: image/jpeg. One
keep-alive connection, requests one after the other; a request's latency is from sending it to
the last byte of the answer. An answer counts only if it is HTTP 200, Content-Type image/jpeg and
a non-empty body starting with FF D8; anything else is a failure, counted and shown (the first
few), and makes the figure invalid. A connection the server closed between requests is opened
again and the request sent again (counted as a reconnect).

Orthanc's instance ids are worked out from the UIDs (SHA-1 of "PatientID|StudyInstanceUID|
SeriesInstanceUID|SOPInstanceUID", as Orthanc names its resources) and checked against GET
/instances (the index only: no file is read before the clock starts).
"""

import hashlib
import http.client
import json
import os
import resource
import statistics
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


# --- corpus ---------------------------------------------------------------------------------------

def phantom(size, slice_no):
    """gen.phantom, vectorised (the same pixels; checked against it on a small size)."""
    import numpy as np

    radius = size * (0.38 + 0.04 * ((slice_no % 10) / 10))
    core = radius * 0.3
    c = size / 2
    y, x = np.mgrid[0:size, 0:size]
    dx = x + 0.5 - c
    dy = y + 0.5 - c
    d2 = dx * dx + dy * dy
    out = (x + y + slice_no) % 5
    out = np.where(d2 <= radius * radius, 1024 + (x * 5 + y * 3 + slice_no) % 17, out)
    out = np.where(d2 <= core * core, 1024 + 300 + (x * 7 + y * 13 + slice_no) % 23, out)
    return out.astype("<u2").tobytes()


def corpus(outdir, n):
    import copy

    import gen
    from pydicom.uid import generate_uid

    for k in (0, 7):
        assert phantom(40, k) == gen.phantom(40, k), "the vectorised phantom differs from gen.py's"
    os.makedirs(outdir, exist_ok=True)
    base = gen.base_dataset(512)
    # A soft-tissue window, as a CT scanner writes one: both servers draw with it by default
    # (without one, Orthanc's rendered frame is the raw range squeezed to 8 bits, near black).
    base.WindowCenter = "40"
    base.WindowWidth = "400"
    study_uid, series_uid, frame_uid = generate_uid(), generate_uid(), generate_uid()
    with open(os.path.join(outdir, "manifest.tsv"), "w") as manifest:
        for i in range(n):
            ds = copy.copy(base)
            sop_uid = generate_uid()
            ds.file_meta = copy.copy(base.file_meta)
            ds.file_meta.MediaStorageSOPInstanceUID = sop_uid
            ds.SOPInstanceUID = sop_uid
            ds.StudyInstanceUID = study_uid
            ds.SeriesInstanceUID = series_uid
            ds.FrameOfReferenceUID = frame_uid
            ds.PatientID = "RENDER000001"
            ds.PatientName = "Bench^Render"
            ds.AccessionNumber = "ACCRENDER01"
            ds.StudyID = "1"
            ds.SeriesNumber = 1
            ds.InstanceNumber = i + 1
            z = -1.0 * i
            ds.ImagePositionPatient = ["-179.3", "-179.3", f"{z:.1f}"]
            ds.SliceLocation = f"{z:.1f}"
            ds.PixelData = phantom(512, i)
            name = f"{i:06d}.dcm"
            ds.save_as(os.path.join(outdir, name), write_like_original=False)
            manifest.write(f"{name}\t{study_uid}\t{series_uid}\t{sop_uid}\n")


def read_manifest(corpus_dir):
    rows = []
    with open(os.path.join(corpus_dir, "manifest.tsv")) as m:
        for line in m:
            name, study, series, sop = line.rstrip("\n").split("\t")
            rows.append({"file": name, "study": study, "series": series, "sop": sop})
    return rows


# --- HTTP -----------------------------------------------------------------------------------------

def cpu_seconds():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def jpeg_size(data):
    """(width, height) from the first SOF marker, or None."""
    i = 2
    while i + 9 < len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:
            i += 1
            continue
        if 0xD0 <= marker <= 0xD9 or marker == 0x01:
            i += 2
            continue
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            return (int.from_bytes(data[i + 7:i + 9], "big"), int.from_bytes(data[i + 5:i + 7], "big"))
        i += 2 + length
    return None


class Client:
    """One keep-alive connection; get() times one request and checks the answer is a JPEG."""

    def __init__(self, base, token):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.headers = {"Accept": "image/jpeg", "Connection": "keep-alive"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        self.used = False
        self.reconnects = 0
        self.failed = 0
        self.errors = []
        self.sizes = set()
        self.bytes = []

    def get(self, path):
        """Seconds the request took (None if it failed; the failure is counted)."""
        error = None
        for attempt in (0, 1):
            t0 = time.perf_counter()
            try:
                self.conn.request("GET", path, headers=self.headers)
                resp = self.conn.getresponse()
                data = resp.read()
                seconds = time.perf_counter() - t0
                self.used = not resp.will_close
                if resp.will_close:
                    self.conn.close()
                ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
                if resp.status != 200:
                    error = f"HTTP {resp.status} {path}: {data[:200]!r}"
                elif ctype != "image/jpeg":
                    error = f"Content-Type {ctype!r} {path}"
                elif len(data) < 4 or data[:2] != b"\xff\xd8":
                    error = f"not a JPEG ({len(data)} bytes) {path}: {data[:20]!r}"
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as e:
                self.conn.close()
                if self.used and attempt == 0:  # the server closed an idle keep-alive connection
                    self.reconnects += 1
                    self.used = False
                    continue
                error = f"{type(e).__name__}: {e} {path}"
                break
            except Exception as e:  # noqa: BLE001 - any failure is counted
                self.conn.close()
                self.used = False
                error = f"{type(e).__name__}: {e} {path}"
                break
        if error:
            self.failed += 1
            if len(self.errors) < 5:
                self.errors.append(error)
            return None
        self.sizes.add(jpeg_size(data))
        self.bytes.append(len(data))
        return seconds

    def close(self):
        self.conn.close()


def pct(lat, p):
    lat = sorted(lat)
    return round(1000 * lat[min(len(lat) - 1, int(p * len(lat)))], 2) if lat else None


def summary(client, lat, seconds, requests, cpu):
    """One mode's figures; the client's failures so far are reset for the next mode."""
    out = {
        "requests": requests,
        "ok": len(lat),
        "failed": client.failed,
        "seconds": round(seconds, 3),
        "rate": round(len(lat) / seconds, 1) if seconds > 0 and lat else 0.0,
        "latency_ms_p50": pct(lat, 0.5),
        "latency_ms_p99": pct(lat, 0.99),
        "latency_ms_max": round(1000 * max(lat), 2) if lat else None,
        "jpeg_bytes_mean": round(statistics.mean(client.bytes)) if client.bytes else 0,
        "jpeg_sizes": sorted(f"{s[0]}x{s[1]}" if s else "?" for s in client.sizes),
        "client_cpu_s": round(cpu, 2),
        "reconnects": client.reconnects,
        "errors": client.errors,
    }
    client.failed, client.errors, client.sizes, client.bytes = 0, [], set(), []
    client.reconnects = 0
    return out


def orthanc_ids(base, corpus_dir, rows):
    """SOP Instance UID -> Orthanc instance id, each checked to be in GET /instances."""
    import pydicom

    first = pydicom.dcmread(os.path.join(corpus_dir, rows[0]["file"]), stop_before_pixels=True)
    patient = str(first.PatientID)
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    conn.request("GET", "/instances")
    resp = conn.getresponse()
    known = set(json.loads(resp.read())) if resp.status == 200 else set()
    conn.close()
    ids = {}
    for r in rows:
        h = hashlib.sha1(f"{patient}|{r['study']}|{r['series']}|{r['sop']}".encode()).hexdigest()
        ids[r["sop"]] = "-".join(h[k:k + 8] for k in range(0, 40, 8))
    missing = sum(1 for v in ids.values() if v not in known)
    return ids, missing


def frame_path(server, row, ids):
    if server == "carehub":
        return (f"/dicom-web/studies/{row['study']}/series/{row['series']}/instances/"
                f"{row['sop']}/rendered")
    return f"/instances/{ids[row['sop']]}/frames/0/rendered"


def frames(args):
    rows = read_manifest(args.corpus)
    ids, missing = ({}, 0)
    if args.server == "orthanc":
        ids, missing = orthanc_ids(args.base, args.corpus, rows)
    client = Client(args.base, args.token)
    paths = [frame_path(args.server, r, ids) for r in rows]
    result = {"server": args.server, "instances": len(rows), "orthanc_ids_missing": missing}

    lat = []
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    for p in paths:
        s = client.get(p)
        if s is not None:
            lat.append(s)
    result["cold"] = summary(client, lat, time.perf_counter() - t0, len(paths), cpu_seconds() - cpu0)

    middle = paths[len(paths) // 2]
    for _ in range(args.warmup):
        client.get(middle)
    warm_failed = client.failed
    client.failed = 0
    lat = []
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    for _ in range(args.cached):
        s = client.get(middle)
        if s is not None:
            lat.append(s)
    result["cached"] = summary(client, lat, time.perf_counter() - t0, args.cached,
                               cpu_seconds() - cpu0)
    result["cached"]["warmup"] = args.warmup
    result["cached"]["failed"] += warm_failed
    client.close()
    print(json.dumps(result))


def thumbnail(args):
    rows = read_manifest(args.corpus)
    middle = rows[len(rows) // 2]  # Instance Number len/2 + 1: what carehub's thumbnail shows
    result = {"server": args.server, "instances": len(rows), "orthanc_ids_missing": 0,
              "instance_number": len(rows) // 2 + 1}
    if args.server == "carehub":
        path = f"/dicom-web/studies/{middle['study']}/thumbnail"
    else:
        ids, result["orthanc_ids_missing"] = orthanc_ids(args.base, args.corpus, rows)
        path = f"/instances/{ids[middle['sop']]}/preview"
    client = Client(args.base, args.token)
    cpu0 = cpu_seconds()
    first = client.get(path)
    result["first"] = summary(client, [first] if first is not None else [], first or 0, 1,
                              cpu_seconds() - cpu0)
    lat = []
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    for _ in range(args.repeat):
        s = client.get(path)
        if s is not None:
            lat.append(s)
    result["repeated"] = summary(client, lat, time.perf_counter() - t0, args.repeat,
                                 cpu_seconds() - cpu0)
    client.close()
    print(json.dumps(result))


def verify(base, corpus_dir, token):
    """verify.py's check, paged: QIDO-RS answers at most a page (carehub: 100 by default) and the
    series here is longer. Prints {"expected", "found", "missing", "unexpected", "error"}."""
    rows = read_manifest(corpus_dir)
    sops = {r["sop"] for r in rows}
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    headers = {"Accept": "application/dicom+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    got, error, page, offset = [], None, 100, 0
    while True:
        conn.request("GET", f"/dicom-web/studies/{rows[0]['study']}/series/{rows[0]['series']}/"
                     f"instances?limit={page}&offset={offset}", headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status == 204:
            break
        if resp.status != 200:
            error = f"HTTP {resp.status} {body[:200]!r}"
            break
        docs = json.loads(body)
        got += [d.get("00080018", {}).get("Value", [None])[0] for d in docs]
        if len(docs) < page or offset > 10 * len(rows):
            break
        offset += page
    found = len(set(got) & sops)
    result = {"expected": len(sops), "found": found, "missing": len(sops) - found,
              "unexpected": len(set(got) - sops), "duplicates": len(got) - len(set(got)),
              "error": error}
    print(json.dumps(result))
    ok = found == len(sops) and not result["unexpected"] and not result["duplicates"] and not error
    sys.exit(0 if ok else 1)


# --- report ---------------------------------------------------------------------------------------

SERVERS = ("carehub", "orthanc")


def load(results, server, phase):
    path = os.path.join(results, f"{server}.{phase}.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def problems_of(doc, part, upload):
    """Why a figure does not count (empty: it does)."""
    if doc is None:
        return ["not measured"]
    out = []
    if upload is not None and upload.get("problems"):
        out += upload["problems"]
    if doc.get("error"):
        out.append(doc["error"])
    if doc.get("orthanc_ids_missing"):
        out.append(f"{doc['orthanc_ids_missing']} Orthanc ids not in GET /instances")
    m = doc.get(part) or {}
    if not m:
        out.append("no figures")
    elif m.get("failed") or m.get("ok") != m.get("requests"):
        out.append(f"{m.get('failed')} of {m.get('requests')} failed: {m.get('errors')}")
    if "died" in (doc.get("stop") or ""):
        out.append(doc["stop"].strip())
    return out


def upload_state(results, server, n):
    doc = load(results, server, "upload")
    if doc is None:
        return None
    problems = []
    ing = doc.get("ingest") or {}
    if ing.get("failed") or ing.get("ok") != n:
        problems.append(f"upload: {ing.get('ok')} of {n} stored, {ing.get('failed')} failed "
                        f"{ing.get('errors')}")
    v = doc.get("verify")
    if not v or v.get("error") or v.get("missing") or v.get("unexpected") or v.get("duplicates"):
        problems.append(f"upload: QIDO check {v}")
    doc["problems"] = problems
    return doc


def report(results, n):
    uploads = {s: upload_state(results, s, n) for s in SERVERS}
    frames_docs = {s: load(results, s, "frames") for s in SERVERS}
    thumb_docs = {s: load(results, s, "thumbnail") for s in SERVERS}
    valid = {}
    notes = []

    def cell(doc, part, problems):
        if doc is None:
            return f"{'-':>7} {'-':>7} {'-':>8}"
        m = doc.get(part) or {}
        if problems:
            return f"{'invalid':>24}"
        return f"{m['latency_ms_p50']:7.2f} {m['latency_ms_p99']:7.2f} {m['rate']:8.1f}"

    cached_count = next((d["cached"]["requests"] for d in frames_docs.values() if d and d.get("cached")), 0)
    print(f"\nrendered 512x512 CT frame as JPEG, 1 keep-alive connection, sequential requests")
    print(f"{'':<28} {'carehub':^24}   {'Orthanc':^24}  {'req/s':>6}")
    print(f"{'':<28} {'-' * 24}   {'-' * 24}  {'carehub':>7}")
    print(f"{'':<28} {'p50 ms':>7} {'p99 ms':>7} {'req/s':>8}   {'p50 ms':>7} {'p99 ms':>7} {'req/s':>8}"
          f"  {'/Orth.':>7}")
    for part, label in (("cold", f"cold: {n} instances, once"),
                        ("cached", f"cached: 1 instance x{cached_count}")):
        cells = []
        for s in SERVERS:
            doc = frames_docs[s]
            problems = problems_of(doc, part, uploads[s]) if doc else []
            if doc:
                valid[("frames", part, s)] = None if problems else doc[part]
                m = doc.get(part) or {}
                line = (f"{s:<8} rendered {part:<7} {m.get('ok', 0)}/{m.get('requests', 0)} ok"
                        f"  {m.get('seconds', 0):6.2f} s  max {m.get('latency_ms_max')} ms"
                        f"  JPEG {m.get('jpeg_bytes_mean', 0):,} B mean {','.join(m.get('jpeg_sizes', []))}"
                        f"  client CPU {m.get('client_cpu_s', 0):.2f} s")
                if m.get("reconnects"):
                    line += f"  reconnects {m['reconnects']}"
                if problems:
                    line += "  INVALID: " + "; ".join(problems)
                notes.append(line)
            cells.append(cell(doc, part, problems))
        c, o = valid.get(("frames", part, "carehub")), valid.get(("frames", part, "orthanc"))
        ratio = f"{c['rate'] / o['rate']:6.2f}x" if c and o and o["rate"] else f"{'-':>7}"
        print(f"{label:<28} {cells[0]}   {cells[1]}  {ratio}")

    print(f"\nstudy thumbnail ({n} instances, one series): carehub GET /dicom-web/studies/{{study}}/"
          f"thumbnail;\nOrthanc has no study thumbnail: GET /instances/{{id}}/preview of the same middle"
          f" instance (Accept: image/jpeg)")
    repeat_count = next((d["repeated"]["requests"] for d in thumb_docs.values() if d and d.get("repeated")), 0)
    print(f"{'':<28} {'first ms':>9} {'p50 ms':>7} {'p99 ms':>7}  (p50/p99 of {repeat_count} repeated)")
    for s in SERVERS:
        doc = thumb_docs[s]
        if doc is None:
            continue
        label = "carehub thumbnail" if s == "carehub" else "Orthanc preview"
        pf = problems_of(doc, "first", uploads[s])
        pr = problems_of(doc, "repeated", uploads[s])
        f, r = doc.get("first") or {}, doc.get("repeated") or {}
        first = f"{f['latency_ms_p50']:9.2f}" if not pf else f"{'invalid':>9}"
        rep = (f"{r['latency_ms_p50']:7.2f} {r['latency_ms_p99']:7.2f}" if not pr
               else f"{'invalid':>15}")
        print(f"{label:<28} {first} {rep}")
        sizes = sorted(set(f.get("jpeg_sizes", []) + r.get("jpeg_sizes", [])))
        line = (f"{s:<8} thumbnail first {f.get('ok', 0)}/1 ok, repeated {r.get('ok', 0)}/"
                f"{r.get('requests', 0)} ok  {r.get('rate', 0):.1f} req/s  JPEG"
                f" {r.get('jpeg_bytes_mean', 0):,} B {','.join(sizes)}"
                f"  (instance number {doc.get('instance_number')})")
        if pf or pr:
            line += "  INVALID: " + "; ".join(dict.fromkeys(pf + pr))
        notes.append(line)

    print()
    for line in notes:
        print("  " + line)
    for s in SERVERS:
        peaks = []
        for phase in ("upload", "frames", "thumbnail"):
            doc = load(results, s, phase)
            if doc and doc.get("peak_rss_kb"):
                peaks.append(f"{phase} {doc['peak_rss_kb'] / 1024:.0f} MB")
        if peaks:
            print(f"  {s:<8} peak RSS (VmHWM, a fresh process each phase): " + ", ".join(peaks))
    for s in SERVERS:
        doc = uploads[s]
        if doc:
            ing = doc.get("ingest") or {}
            print(f"  {s:<8} upload (not judged): {ing.get('ok')}/{n} stored in {ing.get('seconds')} s"
                  f", QIDO check {'ok' if not doc['problems'] else 'FAILED'}")
    for s in SERVERS:
        for phase in ("upload", "frames", "thumbnail"):
            doc = load(results, s, phase)
            if s == "carehub" and doc and doc.get("stop"):
                extra = doc["stop"].strip().splitlines()
                if len(extra) > 1 or "status after SIGTERM: 0" not in extra[0]:
                    print(f"  carehub {phase}: " + " | ".join(extra))

    def line(ok, what, value):
        tag = "PASS" if ok else ("MISS" if ok is not None else "n/a ")
        print(f"  [{tag}] {what:<66} {value}")

    print("\ntargets:")
    for part in ("cold", "cached"):
        what = f"carehub rendered frame, {part}: p99 <= 10 ms"
        key = ("frames", part, "carehub")
        if key not in valid:
            line(None, what, "not measured")
        elif valid[key] is None:
            line(False, what, "invalid run (see above)")
        else:
            p99 = valid[key]["latency_ms_p99"]
            line(p99 <= 10, what, f"{p99:.2f} ms")
    for part in ("cold", "cached"):
        what = f"carehub rendered frames/s, {part}: >= 2x Orthanc"
        c, o = ("frames", part, "carehub"), ("frames", part, "orthanc")
        if c not in valid or o not in valid:
            line(None, what, "not measured")
        elif valid[c] is None or valid[o] is None:
            line(False, what, "invalid run (see above)")
        else:
            r = valid[c]["rate"] / valid[o]["rate"]
            line(r >= 2, what, f"{r:.2f}x ({valid[c]['rate']:.1f}/s vs {valid[o]['rate']:.1f}/s)")


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "corpus":
        corpus(sys.argv[2], int(sys.argv[3]))
        return
    if len(sys.argv) in (4, 5) and sys.argv[1] == "verify":
        verify(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) == 5 else None)
        return
    if len(sys.argv) == 4 and sys.argv[1] == "report":
        report(sys.argv[2], int(sys.argv[3]))
        return
    import argparse

    if len(sys.argv) < 2 or sys.argv[1] not in ("frames", "thumbnail"):
        sys.exit(__doc__)
    ap = argparse.ArgumentParser(prog=f"render.py {sys.argv[1]}")
    ap.add_argument("--server", choices=SERVERS, required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--token")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--cached", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=100)
    args = ap.parse_args(sys.argv[2:])
    (frames if sys.argv[1] == "frames" else thumbnail)(args)


if __name__ == "__main__":
    main()

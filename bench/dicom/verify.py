"""Checks through QIDO-RS that a server holds every instance of a gen.py corpus.

  verify.py BASE CORPUS_DIR [TOKEN]

For each series of CORPUS_DIR/manifest.tsv: GET BASE/dicom-web/studies/{study}/series/{series}/
instances (Accept: application/dicom+json) and collects the SOP Instance UIDs (0008,0018).
Prints one JSON line {"expected", "found", "missing", "unexpected", "error"}; exit status 0 only if
every instance is there and nothing else is in those series.
"""

import http.client
import json
import sys
import urllib.parse


def main():
    base, corpus = sys.argv[1], sys.argv[2]
    token = sys.argv[3] if len(sys.argv) > 3 else None
    series = {}
    with open(f"{corpus}/manifest.tsv") as m:
        for line in m:
            _name, study, ser, sop = line.rstrip("\n").split("\t")
            series.setdefault((study, ser), set()).add(sop)
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=300)
    headers = {"Accept": "application/dicom+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    expected = sum(len(v) for v in series.values())
    found = unexpected = 0
    error = None
    for (study, ser), sops in series.items():
        conn.request("GET", f"/dicom-web/studies/{study}/series/{ser}/instances", headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status == 204:
            continue
        if resp.status != 200:
            error = f"HTTP {resp.status} {body[:200]!r}"
            break
        got = {d.get("00080018", {}).get("Value", [None])[0] for d in json.loads(body)}
        found += len(got & sops)
        unexpected += len(got - sops)
    result = {"expected": expected, "found": found, "missing": expected - found,
              "unexpected": unexpected, "error": error}
    print(json.dumps(result))
    sys.exit(0 if found == expected and not unexpected and not error else 1)


if __name__ == "__main__":
    main()

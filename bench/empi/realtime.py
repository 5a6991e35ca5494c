#!/usr/bin/env python3
"""Real-time matching latency: POST /api/v1/person-records/match for records drawn from a CSV in
the import format, each with one typo in the first name (so it is a search, not an exact hit), on
one keep-alive connection; prints p50/p90/p99/max in ms and for how many a candidate was found.

    realtime.py BASE_URL TOKEN CSV [COUNT]
"""
import csv
import http.client
import json
import random
import sys
import time
import urllib.parse


def main():
    base, token, path = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    rng = random.Random(7)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    sample = rng.sample(rows, min(count, len(rows)))
    url = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    times, found = [], 0
    for row in sample:
        record = dict(row)
        name = record["first_name"]
        if len(name) > 2:
            i = rng.randrange(1, len(name) - 1)
            record["first_name"] = name[:i] + name[i + 1] + name[i] + name[i + 2:]
        record["source_person_id"] = "probe"
        body = json.dumps(record)
        start = time.perf_counter()
        conn.request("POST", "/api/v1/person-records/match", body, headers)
        response = conn.getresponse()
        data = response.read()
        times.append((time.perf_counter() - start) * 1000)
        if response.status != 200:
            sys.exit(f"HTTP {response.status}: {data[:300]!r}")
        if json.loads(data)["candidates"]:
            found += 1
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))]
    print(f"realtime match: {len(times)} requests, p50 {pick(0.5):.2f} ms, p90 {pick(0.9):.2f} ms, "
          f"p99 {pick(0.99):.2f} ms, max {times[-1]:.2f} ms; candidates found for {found}")


if __name__ == "__main__":
    main()

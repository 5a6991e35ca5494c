#!/usr/bin/env python3
"""Pairwise precision, recall and F1 of a crosswalk (person_id, id, data_source, source_person_id,
...) against the truth: records whose source_person_id share rec-N (FEBRL) or pN (generate.py) are one person.

    score.py CROSSWALK.csv JOB.json NAME SECONDS PEAK_KB   (prints one table row)
"""
import csv
import json
import re
import sys
from collections import Counter, defaultdict


def pairs(groups):
    return sum(n * (n - 1) // 2 for n in groups)


def main():
    crosswalk, job_file, name, seconds, peak_kb = sys.argv[1:6]
    truth_of = {}
    person_of = {}
    with open(crosswalk, newline="") as f:
        for row in csv.DictReader(f):
            # FEBRL: rec-N-...; bench/empi/generate.py: pN-copy.
            m = re.match(r"(rec-\d+)|(p\d+)-", row["source_person_id"])
            truth_of[row["id"]] = (m.group(1) or m.group(2)) if m else row["source_person_id"]
            person_of[row["id"]] = row["person_id"]
    true_groups = Counter(truth_of.values())
    predicted = defaultdict(Counter)
    for rid, person in person_of.items():
        predicted[person][truth_of[rid]] += 1
    tp = sum(pairs(c.values()) for c in predicted.values())
    predicted_pairs = sum(pairs([sum(c.values())]) for c in predicted.values())
    actual_pairs = pairs(true_groups.values())
    precision = tp / predicted_pairs if predicted_pairs else 0.0
    recall = tp / actual_pairs if actual_pairs else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    job = json.load(open(job_file))
    bad = job.get("result", {}).get("bad_rows", "?")
    verdict = "PASS" if f1 >= 0.95 else "MISS"
    print(f"{name:<22} {len(person_of):>8} {precision:>9.4f} {recall:>9.4f} {f1:>7.4f} "
          f"{float(seconds):>8.2f} {int(peak_kb) / 1024:>9.1f} [{verdict}] F1>=0.95 (bad rows {bad})")


if __name__ == "__main__":
    main()

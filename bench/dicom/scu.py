"""Runs DCMTK storescu (C-STORE SCU) over one association for every file of a gen.py corpus, with
TCP_NODELAY=1, and prints one JSON line: wall seconds, storescu's CPU seconds, exit status and the
number of stores that storescu logged as failed.

  scu.py CORPUS_DIR CALLING_AET CALLED_AET HOST PORT LOGFILE
"""

import json
import os
import resource
import subprocess
import sys
import time


def main():
    corpus, calling, called, host, port, logfile = sys.argv[1:7]
    with open(os.path.join(corpus, "manifest.tsv")) as m:
        files = [os.path.join(corpus, line.split("\t", 1)[0]) for line in m]
    env = dict(os.environ, TCP_NODELAY="1")
    # -v: one line per C-STORE request and its status, read back below
    cmd = ["storescu", "-v", "-aet", calling, "-aec", called, host, port] + files
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    with open(logfile, "w") as log:
        rc = subprocess.call(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(logfile, errors="replace") as log:
        text = log.read()
    successes = text.count("Received Store Response (Success)")
    failures = text.count("Received Store Response") - successes
    print(json.dumps({
        "instances": len(files),
        "seconds": round(seconds, 3),
        "client_cpu_s": round(cpu, 2),
        "storescu_rc": rc,
        "store_success": successes,
        "store_failures": failures,
    }))


if __name__ == "__main__":
    main()

"""The tracing benchmark's client side, over HTTP on loopback.

  load.py BASE ADMIN_TOKEN DB TOKENS_FILE MEETINGS CONTACTS ACCEPTS ACCEPT_MEETINGS THREADS

1. One infected user uploads MEETINGS meetings with CONTACTS distinct contacts (random users from
   TOKENS_FILE, all Healthy) through a medical code; prints the time from sending the accept to the
   last exposure committed (when a reader of the database polling every 10 ms sees every exposure
   applied: an upper bound) and to the last alert notification written (inside its transaction).
2. ACCEPTS more accepts with ACCEPT_MEETINGS meetings each, from THREADS clients at once; prints
   accepts/s.
Prints one JSON line of figures.
"""
import http.client
import json
import random
import sqlite3
import sys
import threading
import time
import urllib.parse

PASSWORD = "bench user passphrase"


class Api:
    def __init__(self, base):
        u = urllib.parse.urlparse(base)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=120)

    def call(self, method, path, body=None, token=None, expect=(200, 201)):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        self.conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        r = self.conn.getresponse()
        data = r.read()
        if r.status not in expect:
            raise SystemExit(f"{method} {path}: HTTP {r.status} {data[:500]!r}")
        return json.loads(data) if data else None


def user(api, admin, email, roles):
    api.call("POST", "/api/v1/users", {"email": email, "roles": roles, "password": PASSWORD}, admin)
    return api.call("POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})["access_token"]


def meetings_for(tokens, n_meetings, n_contacts, now_ms):
    contacts = random.sample(tokens, n_contacts)
    out = [{"token": t, "timestamp": now_ms - random.randint(3600, 9 * 86400) * 1000} for t in contacts]
    while len(out) < n_meetings:
        t = random.choice(contacts)
        out.append({"token": t, "timestamp": now_ms - random.randint(3600, 9 * 86400) * 1000})
    random.shuffle(out)
    return out


def main():
    base, admin, db_path, tokens_file = sys.argv[1:5]
    n_meetings, n_contacts, n_accepts, accept_meetings, threads = map(int, sys.argv[5:10])
    tokens = [line.split()[1] for line in open(tokens_file)]
    api = Api(base)
    medic = user(api, admin, "medic@clinic.example", ["user", "medical"])
    patients = [user(api, admin, f"patient{i}@clinic.example", ["user"]) for i in range(threads)]
    now = int(time.time() * 1000)
    code = api.call("POST", "/api/v1/tracing/status-changes",
                    {"status_id": 3, "status_changed_on": now - 3600_000}, medic)["medical_code"]
    body = {"medical_code": code, "meetings": meetings_for(tokens, n_meetings, n_contacts, now)}
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)

    sent = time.time()
    answer = api.call("POST", "/api/v1/tracing/status-changes/accept", body, patients[0])
    answered = time.time()
    if answer["meetings"]["stored"] != n_meetings:
        raise SystemExit(f"stored {answer['meetings']} of {n_meetings}")
    deadline = time.time() + 300
    while True:
        changed = db.execute("SELECT COUNT(*) FROM tracing_exposures WHERE applied_at_ms IS NOT NULL").fetchone()[0]
        if changed >= n_contacts:
            break
        if time.time() > deadline:
            raise SystemExit(f"only {changed} of {n_contacts} exposures applied after 300 s")
        time.sleep(0.01)
    # The last exposure's transaction has committed when a reader sees it: an upper bound of the
    # commit time (the poll is every 10 ms, plus the read itself).
    seen = time.time()
    last_alert = db.execute(
        "SELECT MAX(created_at_ms), COUNT(*) FROM notifications WHERE type = 'tracing.exposure'").fetchone()
    figures = {
        "meetings": n_meetings, "contacts": n_contacts,
        "accept_answer_ms": round((answered - sent) * 1000, 1),
        "to_last_exposure_committed_ms": round((seen - sent) * 1000, 1),
        "to_last_alert_written_ms": round(last_alert[0] - sent * 1000, 1),
        "alerts": last_alert[1],
    }

    # Accept throughput: codes made first, then THREADS clients accept in parallel.
    codes = [api.call("POST", "/api/v1/tracing/status-changes",
                      {"status_id": 3, "status_changed_on": now - 3600_000}, medic)["medical_code"]
             for _ in range(n_accepts)]
    bodies = [{"medical_code": c, "meetings": meetings_for(tokens, accept_meetings, accept_meetings, now)}
              for c in codes]
    errors = []

    def run(t):
        a = Api(base)
        try:
            for i in range(t, n_accepts, threads):
                a.call("POST", "/api/v1/tracing/status-changes/accept", bodies[i], patients[t])
        except SystemExit as e:
            errors.append(str(e))

    start = time.time()
    ts = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.time() - start
    if errors:
        raise SystemExit(errors[0])
    figures.update({"accepts": n_accepts, "accept_meetings": accept_meetings, "threads": threads,
                    "accepts_per_s": round(n_accepts / elapsed, 1)})
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

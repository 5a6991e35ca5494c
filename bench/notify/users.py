"""Creates N users (role "user") through the admin API and signs each in; writes "id token" lines.

  users.py BASE_URL ADMIN_TOKEN N OUT_FILE [THREADS]
"""
import http.client
import json
import sys
import threading
import urllib.parse

PASSWORD = "bench user passphrase"


def worker(base, admin, indices, out, lock):
    u = urllib.parse.urlparse(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    for i in indices:
        email = f"bench{i}@clinic.example"
        body = json.dumps({"email": email, "roles": ["user"], "password": PASSWORD})
        conn.request("POST", "/api/v1/users", body,
                     {"Authorization": "Bearer " + admin, "Content-Type": "application/json"})
        r = conn.getresponse()
        created = json.loads(r.read())
        if r.status != 201:
            raise SystemExit(f"creating {email}: HTTP {r.status} {created}")
        conn.request("POST", "/api/v1/auth/login", json.dumps({"email": email, "password": PASSWORD}),
                     {"Content-Type": "application/json"})
        r = conn.getresponse()
        signed = json.loads(r.read())
        if r.status != 200:
            raise SystemExit(f"signing in {email}: HTTP {r.status} {signed}")
        with lock:
            out.append(f"{created['id']} {signed['access_token']}")


def main():
    base, admin, n, path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    threads = int(sys.argv[5]) if len(sys.argv) > 5 else 4
    out, lock = [], threading.Lock()
    parts = [list(range(t, n, threads)) for t in range(threads)]
    ts = [threading.Thread(target=worker, args=(base, admin, p, out, lock)) for p in parts]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if len(out) != n:
        raise SystemExit(f"only {len(out)} of {n} users were made")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()

"""Adds N registered app users straight into a migrated carehub SQLite database: an account each
(role user, no password: they never sign in here) and a tracing profile with its token secret and
static broadcast token, derived exactly as carehub derives them (HMAC-SHA-256 of the secret with
"static", cut to 32 hex digits; the token table keeps its SHA-256). Prints nothing; writes
"user_id static_token" lines for the users a benchmark will meet to OUT.

  populate.py DB N OUT
"""
import hashlib
import hmac
import os
import sqlite3
import sys
import time


def main():
    path, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    now = int(time.time() * 1000)
    first = (db.execute("SELECT COALESCE(MAX(id), 0) FROM users").fetchone()[0]) + 1
    batch = 50000
    with open(out, "w") as f:
        for start in range(0, n, batch):
            users, profiles, tokens = [], [], []
            for i in range(start, min(n, start + batch)):
                uid = first + i
                name = f"app{i}"
                secret = os.urandom(32).hex()
                token = hmac.new(secret.encode(), b"static", hashlib.sha256).hexdigest()[:32]
                users.append((uid, name, name, '["user"]', now, now))
                profiles.append((uid, 1, now, secret, now))
                tokens.append((hashlib.sha256(token.encode()).hexdigest(), uid))
                f.write(f"{uid} {token}\n")
            db.executemany(
                "INSERT INTO users (id, username, username_lower, roles, created_at_ms, "
                "updated_at_ms) VALUES (?, ?, ?, ?, ?, ?)", users)
            db.executemany(
                "INSERT INTO tracing_users (user_id, status_id, status_changed_on_ms, "
                "token_secret, created_at_ms) VALUES (?, ?, ?, ?, ?)", profiles)
            db.executemany("INSERT INTO tracing_tokens (token_hash, user_id, day) VALUES (?, ?, NULL)",
                           tokens)
            db.commit()
    db.close()


if __name__ == "__main__":
    main()

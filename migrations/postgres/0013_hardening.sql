-- Access tokens carry their user's token generation at issue ("gen"). Every revocation (disable,
-- role change, password change or reset, sign-out, refresh-token reuse) adds one to it, and a
-- token whose generation is behind its user's is refused. The per-second marker this replaces
-- (0005) let tokens issued in the second of a revocation through; a counter has no such window,
-- whatever the clocks of the servers say.
ALTER TABLE users ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
DROP INDEX users_tokens_not_before;
ALTER TABLE users DROP COLUMN tokens_not_before_s;

-- Failed sign-ins no longer lock an account (five guesses by anyone locked out anyone, the only
-- admin included). They slow down the one login from the one client address that failed, with
-- delays that grow; a far higher count across all addresses alerts the admins. Logins are kept
-- as the SHA-256 of their lower-cased text, so the tables hold no address book, and unknown
-- logins are slowed exactly like known ones (the answer never tells which exist).
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until_ms;

CREATE TABLE login_failures (
  login_hash TEXT NOT NULL,
  client_address TEXT NOT NULL,
  failures INTEGER NOT NULL,
  blocked_until_ms BIGINT NOT NULL,
  last_failure_ms BIGINT NOT NULL,
  PRIMARY KEY (login_hash, client_address)
);
CREATE INDEX login_failures_last ON login_failures (last_failure_ms);

CREATE TABLE login_ceilings (
  login_hash TEXT PRIMARY KEY,
  window_start_ms BIGINT NOT NULL,
  failures INTEGER NOT NULL,
  alerted INTEGER NOT NULL DEFAULT 0,
  slow_until_ms BIGINT NOT NULL DEFAULT 0
);

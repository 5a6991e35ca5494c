-- First run from the browser: while no administrator exists, `carehub serve` logs a single-use
-- setup link (/setup#token=...) valid for one hour. Only the SHA-256 of its secret is stored.
-- Using one (the first admin is created) removes them all.
CREATE TABLE setup_tokens (
  token_hash TEXT PRIMARY KEY,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL
);

-- The console's audit search: by time range and by action, newest first.
CREATE INDEX audit_events_at ON audit_events (at_ms);
CREATE INDEX audit_events_action ON audit_events (action, id);

-- Single-use tickets standing for a principal in a URL (carehub/tickets.hpp): the SHA-256 of the
-- secret, never the secret; the principal as JSON; used_at_ms set by the one redemption.
CREATE TABLE tickets (
  hash TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  principal TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  used_at_ms BIGINT
);
CREATE INDEX tickets_expires ON tickets (expires_at_ms);

-- Email verification of self-registered accounts (auth.verify_email): while a row names the
-- account it cannot sign in. The emailed link's secret is stored as its SHA-256 only; using it
-- removes the row. A resend replaces the row (the older link stops working).
CREATE TABLE email_verifications (
  user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL
);

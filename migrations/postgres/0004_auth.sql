-- Accounts, sessions and machine credentials for the auth module. Every secret is stored as the
-- SHA-256 hex of a 256-bit random value, never in plain text; passwords as argon2id hashes.
-- email_lower and username_lower are what lookups and uniqueness use (case-insensitive sign-in);
-- email and username keep the spelling the user gave.
CREATE TABLE users (
  id BIGSERIAL PRIMARY KEY,
  email TEXT,
  email_lower TEXT UNIQUE,
  username TEXT,
  username_lower TEXT UNIQUE,
  password_hash TEXT,
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  language TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'es')),
  roles TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until_ms BIGINT,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  last_login_ms BIGINT,
  CHECK (email_lower IS NOT NULL OR username_lower IS NOT NULL)
);

-- Refresh tokens rotate: each use marks the row used and issues a successor in the same family.
-- Presenting a used token again revokes the whole family (stolen-token detection).
CREATE TABLE refresh_tokens (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  family_id TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  used_at_ms BIGINT,
  revoked_at_ms BIGINT,
  client_address TEXT
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Named credentials for machine clients, presented as Bearer or as Basic <id>:<secret>.
CREATE TABLE api_tokens (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  scopes TEXT NOT NULL,
  created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT,
  revoked_at_ms BIGINT,
  last_used_ms BIGINT
);

-- One-time tokens to set a password (admin reset, bootstrap without a password file).
CREATE TABLE password_reset_tokens (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  used_at_ms BIGINT
);

CREATE INDEX password_reset_tokens_user ON password_reset_tokens (user_id);

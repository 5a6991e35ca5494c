-- Invitations to register (auth): an emailed single-use link that lets the person it was sent to
-- create an account with the invitation's role, the address proven by the link. The secret is
-- stored as its SHA-256 only.
CREATE TABLE account_invitations (
  id BIGSERIAL PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  email TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  used_at_ms BIGINT
);

-- A case shared with an address that has no account yet (cases): the share waits, status
-- 'invited', until an account proves that address; then it becomes that account's invitation.
-- Personal data, beside case_share_people: the address, lower-cased.
CREATE TABLE case_share_invites (
  share_id BIGINT PRIMARY KEY,
  email TEXT NOT NULL
);
CREATE INDEX case_share_invites_email ON case_share_invites (email);

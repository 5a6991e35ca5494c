-- The console's sign-in through an OpenID Connect provider: each started login (state, its PKCE
-- verifier and nonce, where to return) until its callback, at most ten minutes. The state is
-- stored as its SHA-256; the browser holds it in a cookie too, so a callback from another browser
-- (login CSRF) finds nothing.
CREATE TABLE oidc_logins (
  state_hash TEXT PRIMARY KEY,
  code_verifier TEXT NOT NULL,
  nonce TEXT NOT NULL,
  return_to TEXT NOT NULL,
  expires_at_ms BIGINT NOT NULL
);

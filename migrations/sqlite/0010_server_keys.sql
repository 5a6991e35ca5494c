-- Keys the server generates once and every process shares: keyed hashes of single-use codes,
-- derivations of pseudonymous ids. Created on first use (carehub/server_keys.hpp).
CREATE TABLE server_keys (
  name TEXT PRIMARY KEY,
  key_hex TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);

-- Contact tracing. A user's tracing profile (current state and the secret their broadcast tokens
-- are derived from); every state change ever made (kept past the retention window); the broadcast
-- tokens handed out, stored as SHA-256 so meetings resolve to users; single-use health-security
-- ids and status-change codes, stored as keyed hashes; infection events with the meetings
-- uploaded for them; and one exposure row per (event, contact): the idempotency key of the work
-- that alerts that contact.
CREATE TABLE tracing_users (
  user_id BIGINT PRIMARY KEY,
  status_id INTEGER NOT NULL,
  status_changed_on_ms BIGINT NOT NULL,
  token_secret TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);

CREATE TABLE tracing_status_history (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL,
  from_status INTEGER NOT NULL,
  to_status INTEGER NOT NULL,
  changed_on_ms BIGINT NOT NULL,
  cause TEXT NOT NULL,
  recorded_at_ms BIGINT NOT NULL
);
CREATE INDEX tracing_status_history_user ON tracing_status_history (user_id, id);

-- day: the UTC day number a rotating token is valid on; NULL for the static token.
CREATE TABLE tracing_tokens (
  token_hash TEXT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  day BIGINT
);
CREATE INDEX tracing_tokens_day ON tracing_tokens (day);

CREATE TABLE tracing_health_ids (
  id_hash TEXT PRIMARY KEY,
  created_by BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  redeemed_by BIGINT,
  redeemed_at_ms BIGINT
);

CREATE TABLE tracing_codes (
  code_hash TEXT PRIMARY KEY,
  created_by BIGINT NOT NULL,
  status_id INTEGER NOT NULL,
  status_changed_on_ms BIGINT NOT NULL,
  comment TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  expires_at_ms BIGINT NOT NULL,
  used_by BIGINT,
  used_at_ms BIGINT
);
CREATE INDEX tracing_codes_expires ON tracing_codes (expires_at_ms);

CREATE TABLE tracing_events (
  id BIGSERIAL PRIMARY KEY,
  user_id BIGINT NOT NULL,
  status_id INTEGER NOT NULL,
  status_on_ms BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  contacts INTEGER,
  traced_at_ms BIGINT
);
CREATE INDEX tracing_events_created ON tracing_events (created_at_ms);

CREATE TABLE tracing_meetings (
  event_id BIGINT NOT NULL,
  contact_user_id BIGINT NOT NULL,
  met_at_ms BIGINT NOT NULL
);
CREATE INDEX tracing_meetings_event ON tracing_meetings (event_id, contact_user_id);
CREATE INDEX tracing_meetings_met ON tracing_meetings (met_at_ms);

CREATE TABLE tracing_exposures (
  event_id BIGINT NOT NULL,
  contact_user_id BIGINT NOT NULL,
  met_at_ms BIGINT NOT NULL,
  applied_at_ms BIGINT,
  changed SMALLINT,
  PRIMARY KEY (event_id, contact_user_id)
);
CREATE INDEX tracing_exposures_pending ON tracing_exposures (event_id, applied_at_ms);

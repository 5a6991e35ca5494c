-- Durable jobs. state: queued, running, succeeded, dead, cancelled. A running job belongs to
-- locked_by until lease_until_ms; after that any worker may claim it again.
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  queue TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
  payload TEXT NOT NULL,
  result TEXT,
  priority INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at_ms BIGINT NOT NULL,
  lease_until_ms BIGINT,
  locked_by TEXT,
  progress REAL NOT NULL DEFAULT 0,
  progress_message TEXT NOT NULL DEFAULT '',
  last_error TEXT,
  cancel_requested SMALLINT NOT NULL DEFAULT 0,
  idempotency_key TEXT UNIQUE,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  finished_at_ms BIGINT
);

CREATE INDEX jobs_claim ON jobs (state, queue, priority, run_at_ms);
CREATE INDEX jobs_lease ON jobs (state, lease_until_ms);

CREATE TABLE job_schedules (
  name TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  queue TEXT NOT NULL,
  payload TEXT NOT NULL,
  interval_ms BIGINT NOT NULL,
  next_run_at_ms BIGINT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL
);

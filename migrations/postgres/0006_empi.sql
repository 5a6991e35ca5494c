-- The master patient index. Records are immutable (record_hash, the SHA-256 of their normalised
-- values, makes re-importing a row a no-op); persons group records and carry a version that every
-- change bumps (a reviewer deciding on a stale version gets 409). Every change of membership is a
-- match event with one action per record moved, which is the person's history and what undo
-- replays backwards.

-- Matching configurations: thresholds and settings never change after creation; parameters (the
-- learnt model) are written once, by the first import that trains it.
CREATE TABLE empi_configs (
  id BIGSERIAL PRIMARY KEY,
  potential_match_threshold DOUBLE PRECISION NOT NULL,
  auto_match_threshold DOUBLE PRECISION NOT NULL,
  settings TEXT NOT NULL,
  parameters TEXT,
  trained_at_ms BIGINT,
  created_by TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);

CREATE TABLE empi_persons (
  id BIGSERIAL PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  version INTEGER NOT NULL DEFAULT 1,
  record_count INTEGER NOT NULL DEFAULT 0,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);

CREATE TABLE empi_records (
  id BIGSERIAL PRIMARY KEY,
  person_id BIGINT REFERENCES empi_persons (id),
  record_hash TEXT NOT NULL UNIQUE,
  data_source TEXT NOT NULL,
  source_person_id TEXT NOT NULL,
  first_name TEXT NOT NULL DEFAULT '',
  last_name TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL DEFAULT '',
  race TEXT NOT NULL DEFAULT '',
  birth_date TEXT NOT NULL DEFAULT '',
  death_date TEXT NOT NULL DEFAULT '',
  social_security_number TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  city TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL DEFAULT '',
  zip_code TEXT NOT NULL DEFAULT '',
  county TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  job_id BIGINT,
  matched_or_reviewed INTEGER NOT NULL DEFAULT 0,
  created_at_ms BIGINT NOT NULL,
  person_updated_at_ms BIGINT NOT NULL
);
CREATE INDEX empi_records_person ON empi_records (person_id);
CREATE INDEX empi_records_source ON empi_records (data_source, source_person_id);
CREATE INDEX empi_records_names ON empi_records (last_name, first_name);
CREATE INDEX empi_records_birth_date ON empi_records (birth_date);

-- Blocking keys of every record, so a new record finds its candidates without reading the index.
CREATE TABLE empi_blocking_keys (
  rule INTEGER NOT NULL,
  key TEXT NOT NULL,
  record_id BIGINT NOT NULL,
  PRIMARY KEY (rule, key, record_id)
);

-- How often each value occurs, for term-frequency adjustment (a match on "smith" says less than
-- one on "zbigniew").
CREATE TABLE empi_term_frequencies (
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  count BIGINT NOT NULL,
  PRIMARY KEY (field, value)
);

-- Scored pairs at or above a potential-match threshold (record_l < record_r).
CREATE TABLE empi_match_results (
  id BIGSERIAL PRIMARY KEY,
  record_l BIGINT NOT NULL,
  record_r BIGINT NOT NULL,
  match_probability DOUBLE PRECISION NOT NULL,
  match_weight DOUBLE PRECISION NOT NULL,
  config_id BIGINT NOT NULL,
  job_id BIGINT,
  created_at_ms BIGINT NOT NULL,
  UNIQUE (record_l, record_r)
);
CREATE INDEX empi_match_results_r ON empi_match_results (record_r);

-- Groups of persons that scored between the thresholds, for a reviewer.
CREATE TABLE empi_potential_matches (
  id BIGSERIAL PRIMARY KEY,
  version INTEGER NOT NULL DEFAULT 1,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
  max_match_probability DOUBLE PRECISION NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE TABLE empi_potential_match_persons (
  potential_match_id BIGINT NOT NULL REFERENCES empi_potential_matches (id),
  person_id BIGINT NOT NULL REFERENCES empi_persons (id),
  PRIMARY KEY (potential_match_id, person_id)
);
CREATE INDEX empi_potential_match_persons_person ON empi_potential_match_persons (person_id);

CREATE TABLE empi_match_events (
  id BIGSERIAL PRIMARY KEY,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  job_id BIGINT,
  potential_match_id BIGINT,
  undoes_event_id BIGINT,
  undone_by_event_id BIGINT,
  detail TEXT NOT NULL DEFAULT '{}',
  created_at_ms BIGINT NOT NULL
);

-- What an event did, record by record: from one person (none for a new record) to another.
CREATE TABLE empi_person_actions (
  id BIGSERIAL PRIMARY KEY,
  event_id BIGINT NOT NULL REFERENCES empi_match_events (id),
  record_id BIGINT NOT NULL,
  from_person_id BIGINT,
  to_person_id BIGINT
);
CREATE INDEX empi_person_actions_event ON empi_person_actions (event_id);
CREATE INDEX empi_person_actions_from ON empi_person_actions (from_person_id);
CREATE INDEX empi_person_actions_to ON empi_person_actions (to_person_id);

CREATE TABLE empi_comments (
  id BIGSERIAL PRIMARY KEY,
  event_id BIGINT NOT NULL REFERENCES empi_match_events (id),
  record_id BIGINT NOT NULL,
  author TEXT NOT NULL,
  comment TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX empi_comments_record ON empi_comments (record_id);

-- Pairs that must never be in one person (record_l < record_r): set by a reviewer, explicitly or
-- by keeping records apart in a decision. Automatic matching respects them.
CREATE TABLE empi_do_not_link (
  record_l BIGINT NOT NULL,
  record_r BIGINT NOT NULL,
  event_id BIGINT,
  created_by TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  PRIMARY KEY (record_l, record_r)
);
CREATE INDEX empi_do_not_link_r ON empi_do_not_link (record_r);

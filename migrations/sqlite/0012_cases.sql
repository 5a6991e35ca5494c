-- Medical cases, kept in two parts as Dx29 keeps them. Personal data: who a case's patient is and
-- which accounts a case and its shares belong to (case_identities, case_share_people). Medical
-- data: the cases, their resource groups, shares and documents, keyed by pseudonymous subjects (a
-- keyed hash of an account id under a server key): a copy of these tables alone names nobody.
-- Only the cases module joins the two, for a request it has authorised.
CREATE TABLE case_identities (
  case_id BIGINT PRIMARY KEY,
  owner_user_id BIGINT NOT NULL,
  patient_name TEXT NOT NULL,
  birth_date TEXT,
  gender TEXT
);
CREATE INDEX case_identities_owner ON case_identities (owner_user_id);

CREATE TABLE case_share_people (
  share_id BIGINT PRIMARY KEY,
  recipient_user_id BIGINT NOT NULL,
  requested_by_user_id BIGINT NOT NULL
);

CREATE TABLE cases (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  subject TEXT NOT NULL,
  status TEXT NOT NULL,
  version BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX cases_subject ON cases (subject);

CREATE TABLE case_groups (
  case_id BIGINT NOT NULL,
  type TEXT NOT NULL,
  data TEXT NOT NULL,
  version BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (case_id, type)
);

-- status: awaiting_owner (a recipient re-shared; the owner has to approve), pending (invited),
-- accepted, revoked.
CREATE TABLE case_shares (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id BIGINT NOT NULL,
  recipient_subject TEXT NOT NULL,
  requested_by_subject TEXT NOT NULL,
  status TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX case_shares_case ON case_shares (case_id);
CREATE INDEX case_shares_recipient ON case_shares (recipient_subject, status);

CREATE TABLE case_documents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  case_id BIGINT NOT NULL,
  name TEXT NOT NULL,
  content_type TEXT NOT NULL,
  size BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  blob_key TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX case_documents_case ON case_documents (case_id);
CREATE INDEX case_documents_blob ON case_documents (blob_key);

-- Literals an admin changed; the shipped files (config/texts/cases) hold the rest.
CREATE TABLE i18n_literals (
  lang TEXT NOT NULL,
  key TEXT NOT NULL,
  text TEXT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  PRIMARY KEY (lang, key)
);

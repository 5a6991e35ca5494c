-- The DICOM index: patients, studies, series and instances, with the attributes QIDO-RS matches
-- on and each instance's DICOM JSON metadata (bulk data left out), so searches and metadata
-- requests never read the stored files. The files themselves are in the blob store under
-- blob_key (derived from hashed UIDs and the content's SHA-256, never raw strings).

-- A patient as the sender identifies them: PatientID within its issuer, or within the sender
-- (calling AE title or API token) when no issuer is given. First seen: handed to the EMPI.
CREATE TABLE dicom_patients (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  patient_key TEXT NOT NULL UNIQUE,
  patient_id TEXT NOT NULL,
  issuer TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);

CREATE TABLE dicom_studies (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  study_uid TEXT NOT NULL UNIQUE,
  patient_ref BIGINT REFERENCES dicom_patients (id),
  patient_id TEXT NOT NULL DEFAULT '',
  patient_name TEXT NOT NULL DEFAULT '',
  patient_name_upper TEXT NOT NULL DEFAULT '',
  patient_birth_date TEXT NOT NULL DEFAULT '',
  patient_sex TEXT NOT NULL DEFAULT '',
  study_date TEXT NOT NULL DEFAULT '',
  study_time TEXT NOT NULL DEFAULT '',
  accession_number TEXT NOT NULL DEFAULT '',
  study_id TEXT NOT NULL DEFAULT '',
  study_description TEXT NOT NULL DEFAULT '',
  referring_physician_name TEXT NOT NULL DEFAULT '',
  series_count INTEGER NOT NULL DEFAULT 0,
  instance_count INTEGER NOT NULL DEFAULT 0,
  size_bytes BIGINT NOT NULL DEFAULT 0,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);
CREATE INDEX dicom_studies_patient_id ON dicom_studies (patient_id);
CREATE INDEX dicom_studies_patient_name ON dicom_studies (patient_name_upper);
CREATE INDEX dicom_studies_date ON dicom_studies (study_date);
CREATE INDEX dicom_studies_accession ON dicom_studies (accession_number);

CREATE TABLE dicom_series (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  series_uid TEXT NOT NULL UNIQUE,
  study_ref BIGINT NOT NULL REFERENCES dicom_studies (id),
  modality TEXT NOT NULL DEFAULT '',
  series_number TEXT NOT NULL DEFAULT '',
  series_description TEXT NOT NULL DEFAULT '',
  instance_count INTEGER NOT NULL DEFAULT 0,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX dicom_series_study ON dicom_series (study_ref, modality);

CREATE TABLE dicom_instances (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  sop_uid TEXT NOT NULL UNIQUE,
  series_ref BIGINT NOT NULL REFERENCES dicom_series (id),
  study_ref BIGINT NOT NULL REFERENCES dicom_studies (id),
  sop_class_uid TEXT NOT NULL,
  instance_number TEXT NOT NULL DEFAULT '',
  transfer_syntax_uid TEXT NOT NULL,
  rows_count INTEGER NOT NULL DEFAULT 0,
  columns_count INTEGER NOT NULL DEFAULT 0,
  number_of_frames INTEGER NOT NULL DEFAULT 0,
  bits_allocated INTEGER NOT NULL DEFAULT 0,
  samples_per_pixel INTEGER NOT NULL DEFAULT 0,
  size_bytes BIGINT NOT NULL,
  sha256 TEXT NOT NULL,
  blob_key TEXT NOT NULL,
  metadata TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at_ms BIGINT NOT NULL
);
CREATE INDEX dicom_instances_series ON dicom_instances (series_ref);
CREATE INDEX dicom_instances_study ON dicom_instances (study_ref);
CREATE INDEX dicom_instances_blob ON dicom_instances (blob_key);

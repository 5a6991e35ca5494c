// The DICOM index in the database: patients, studies, series, instances. SQL lives here and
// nowhere else in the module; every function runs inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "carehub/db.hpp"
#include "dicom/parse.hpp"

namespace carehub::dicom {

struct InstanceRow {
  std::int64_t id = 0;
  std::string sop_uid, series_uid, study_uid, sop_class_uid, instance_number, transfer_syntax_uid;
  int rows = 0, columns = 0, number_of_frames = 0;
  std::uint64_t size_bytes = 0;
  std::string sha256, blob_key, metadata;  // metadata: DICOM JSON text
  std::int64_t created_at_ms = 0;
};

struct SeriesRow {
  std::int64_t id = 0;
  std::string series_uid, study_uid, modality, series_number, series_description;
  int instance_count = 0;
};

// A patient as the studies name them (C-FIND at the PATIENT level): one per PatientID and name.
struct PatientRow {
  std::string patient_id, patient_name, patient_birth_date, patient_sex;
  int study_count = 0, series_count = 0, instance_count = 0;
};

struct StudyRow {
  std::int64_t id = 0;
  std::string study_uid, patient_id, patient_name, patient_birth_date, patient_sex, study_date,
      study_time, accession_number, study_id, study_description, referring_physician_name;
  std::vector<std::string> modalities;
  int series_count = 0, instance_count = 0;
  std::uint64_t size_bytes = 0;
  std::int64_t created_at_ms = 0, updated_at_ms = 0;
};

// A QIDO-RS query, already checked: each match is on one attribute the index holds.
enum class Attribute {
  kPatientId,
  kPatientName,
  kPatientBirthDate,
  kPatientSex,
  kStudyUid,
  kStudyDate,
  kAccessionNumber,
  kStudyId,
  kReferringPhysician,
  kModalitiesInStudy,
  kSeriesUid,
  kModality,
  kSeriesNumber,
  kSopUid,
  kSopClassUid,
  kInstanceNumber
};
struct Match {
  Attribute attribute;
  enum class Kind { kEquals, kWildcard, kRange, kAnyOf } kind = Kind::kEquals;
  std::string value;                // kEquals; kWildcard with * and ? as DICOM writes them
  std::string low, high;            // kRange: either may be empty (open)
  std::vector<std::string> values;  // kAnyOf
};
struct IndexQuery {
  std::vector<Match> matches;
  int limit = 100, offset = 0;
};

struct StoredInstance {
  std::int64_t instance_id = 0;
  bool new_patient = false;  // the first instance of this patient key: hand it to the EMPI
};

class DicomStore {
 public:
  std::optional<InstanceRow> find_instance(Tx& tx, const std::string& sop_uid);
  // Indexes a new instance (the caller checked it is new), with its study, series and patient.
  // patient_key identifies the patient (issuer or sender with PatientID); "" for none. Throws
  // std::invalid_argument, having written nothing, when its series is indexed under another study;
  // ConstraintError when another writer indexed it so in the meantime (the unit must roll back).
  StoredInstance insert(Tx& tx, const ParsedInstance& p, const std::string& patient_key,
                        const std::string& sha256, std::uint64_t size, const std::string& blob_key,
                        const std::string& source, std::int64_t now_ms);
  // Points an indexed instance at new bytes (overwrite allowed by config).
  void replace(Tx& tx, const InstanceRow& old, const ParsedInstance& p, const std::string& sha256,
               std::uint64_t size, const std::string& blob_key, const std::string& source,
               std::int64_t now_ms);

  std::vector<StudyRow> studies(Tx& tx, const IndexQuery& q);
  std::vector<SeriesRow> series(Tx& tx, const IndexQuery& q);
  std::vector<InstanceRow> instances(Tx& tx, const IndexQuery& q);
  // The patients of the studies that match (only patient attributes are matched).
  std::vector<PatientRow> patients(Tx& tx, const IndexQuery& q);
  std::optional<StudyRow> find_study(Tx& tx, const std::string& study_uid);
  std::optional<SeriesRow> find_series(Tx& tx, const std::string& series_uid);
  // Metadata of one instance of the study (or series), for attributes the index has no column for.
  std::optional<std::string> sample_metadata(Tx& tx, const std::string& study_uid,
                                             const std::optional<std::string>& series_uid);

  // The stored files of a study, series or instance (narrowest given), in instance order.
  struct InstanceFile {
    std::string sop_uid, transfer_syntax_uid, blob_key;
    std::uint64_t size_bytes = 0;
    std::string sha256, series_uid, series_number, instance_number;
    int number_of_frames = 0;
  };
  std::vector<InstanceFile> instance_files(Tx& tx, const std::string& study_uid,
                                           const std::optional<std::string>& series_uid,
                                           const std::optional<std::string>& sop_uid);
  // The stored files of the instances that match an instance-level query, in index order.
  struct StoredFile {
    std::string sop_uid, sop_class_uid, transfer_syntax_uid, blob_key;
    std::uint64_t size_bytes = 0;
  };
  std::vector<StoredFile> stored_files(Tx& tx, const IndexQuery& q);
  // Their metadata (DICOM JSON text each), in the same order.
  std::vector<std::string> instance_metadata(Tx& tx, const std::string& study_uid,
                                             const std::optional<std::string>& series_uid,
                                             const std::optional<std::string>& sop_uid);

  // Removes the study's rows; returns the blob keys its instances had.
  std::vector<std::string> delete_study(Tx& tx, const std::string& study_uid);
  bool blob_key_indexed(Tx& tx, const std::string& blob_key);
  bool sha256_indexed(Tx& tx, const std::string& sha256);
};

}  // namespace carehub::dicom

// Storing one instance, whichever way it arrived (STOW-RS, plain POST, C-STORE): parse and check
// it, compare with what is stored under its SOP Instance UID, move the file into the private blob
// store, index it, audit it, and hand a patient seen for the first time to the master patient
// index. "Stored" means durable: the blob is fsynced before the index commits, and the index
// commits before the answer. A crash in between leaves a blob without an index row, which the
// orphan sweep removes; never an index row without its blob.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "carehub/audit.hpp"
#include "carehub/blob.hpp"
#include "carehub/clock.hpp"
#include "carehub/db.hpp"
#include "carehub/patient_index.hpp"
#include "carehub/services.hpp"
#include "dicom/store.hpp"

namespace carehub::dicom {

// Who sent an instance.
struct IngestSource {
  std::string actor;  // the audit actor: "token:3", "user:12", "ae:CT_SCANNER_1"
  // The sender as it names patients (DICOM PatientID is unique only within its issuer or its
  // sender): "ae:CT_SCANNER_1", "token:3".
  std::string patient_scope;
  std::string request_id, client_address;
};

enum class IngestStatus { kStored, kAlreadyStored, kConflict, kRejected, kWrongStudy, kTooLarge };

struct IngestResult {
  IngestStatus status = IngestStatus::kRejected;
  std::string reason;  // why, when not stored
  std::string sop_class_uid, sop_uid, study_uid, series_uid;
};

struct IngestSettings {
  std::uint64_t max_instance_bytes = std::uint64_t{2} << 30;
  bool allow_overwrite = false;
};

// The blob key of an instance: hashed UIDs and a prefix of its content hash, never raw strings.
std::string blob_key_for(const std::string& study_uid, const std::string& series_uid,
                         const std::string& sop_uid, const std::string& sha256);

// The URL prefix of an instance under /dicom-web (bulk data URIs in its metadata hang below it).
std::string instance_url(const std::string& study, const std::string& series,
                         const std::string& sop);

class Ingestor {
 public:
  Ingestor(Database& db, BlobStore& blobs, AuditLog& audit, const Clock& clock, DicomStore& store,
           Slot<PatientIndex>& patients, IngestSettings settings)
      : db_(db),
        blobs_(blobs),
        audit_(audit),
        clock_(clock),
        store_(store),
        patients_(patients),
        settings_(settings) {}

  // Ingests the file at path, a staging file of the caller's. When the instance is stored the
  // file has been moved into the blob store; otherwise it is left for the caller to remove.
  // Throws only on server faults (database, disk), never for what the sender got wrong.
  // With required_study, an instance of another study is refused (STOW-RS to /studies/{study}).
  // known_sha256: the file's SHA-256 when the caller computed it while writing the file (else it
  // is read once more here).
  IngestResult ingest(const std::string& path, const IngestSource& source,
                      const std::string* required_study = nullptr,
                      const std::string* known_sha256 = nullptr);

  // One staged file of a batch; sha256 empty when the caller did not compute it.
  struct Staged {
    std::string path, sha256;
  };
  // ingest() of several files from one sender (the parts of a STOW-RS request), one result each
  // in order. They reach the disk together: the files' writeback starts at once, each folder is
  // synced once, and the index commits once for all (a single instance, ingest(), is a batch of
  // one). Same answers as one ingest() after another: a UID sent twice is compared with the
  // first copy. A server fault throws, and then no instance of the batch is indexed.
  std::vector<IngestResult> ingest_batch(const std::vector<Staged>& files,
                                         const IngestSource& source,
                                         const std::string* required_study = nullptr);

  const IngestSettings& settings() const { return settings_; }

 private:
  Database& db_;
  BlobStore& blobs_;
  AuditLog& audit_;
  const Clock& clock_;
  DicomStore& store_;
  Slot<PatientIndex>& patients_;
  IngestSettings settings_;
};

}  // namespace carehub::dicom

// DICOM query/retrieve (C-FIND, C-GET, C-MOVE) as rules on the index, with no network and no
// DCMTK here: dimse_qr.cpp turns identifiers into keys and answers into data sets.
//
// Matching uses QIDO-RS's parser (qido.hpp), since both follow PS3.4 C.2.2: single values,
// wildcards * and ?, date ranges and UID lists. Every query and retrieve is audited.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "carehub/audit.hpp"
#include "carehub/db.hpp"
#include "dicom/qido.hpp"
#include "dicom/store.hpp"

namespace carehub::dicom {

// The caller of a DIMSE operation: its AE title on the allow-list, the identity the list maps it
// to, and its network address.
struct DimseActor {
  std::string calling_ae, identity, address;
};

// Query/Retrieve levels (PS3.4 C.6): PATIENT only in the Patient Root model.
enum class QrLevel { kPatient, kStudy, kSeries, kImage };

// The attributes of an identifier that were given a value, by keyword ("PatientName", or the tag
// as "00100010" when DCMTK's dictionary has no keyword) and as DICOM writes them; every
// attribute of the identifier, empty or not, is listed in want.
struct QrKeys {
  std::vector<std::pair<std::string, std::string>> values;
  std::vector<std::uint32_t> want;
};

// The matches of a C-FIND, as DICOM JSON objects (PS3.18 F.2) with the index's attributes and
// any wanted attribute taken from an instance's metadata.
struct FindAnswer {
  std::vector<nlohmann::json> matches;
  bool truncated = false;  // more than max_results matched: none are sent
};

// One stored instance to send.
struct RetrieveItem {
  std::string sop_uid, sop_class_uid, transfer_syntax_uid, blob_key;
  std::uint64_t size_bytes = 0;
};

class QueryRetrieve {
 public:
  QueryRetrieve(Database& db, DicomStore& store, AuditLog& audit, int max_results);

  // Throws QidoError (an invalid_argument) naming the key that cannot be matched at this level.
  FindAnswer find(const DimseActor& actor, QrLevel level, const QrKeys& keys);
  // The instances below the identifier's unique keys (at most max_results; throws QidoError when
  // more match or a key is invalid).
  std::vector<RetrieveItem> locate(QrLevel level, const QrKeys& keys);
  // An audit event of a query or retrieve ("find", "get", "move"): its counts, or "refused" with
  // the reason. Identifiers are never in it: they hold patient data.
  void record(const DimseActor& actor, const std::string& operation, QrLevel level,
              nlohmann::json detail);

 private:
  Database& db_;
  DicomStore& store_;
  AuditLog& audit_;
  int max_results_;
};

const char* level_keyword(QrLevel level);

}  // namespace carehub::dicom

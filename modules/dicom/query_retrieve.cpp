#include "dicom/query_retrieve.hpp"

#include <algorithm>
#include <map>
#include <optional>

#include "dicom/parse.hpp"

namespace carehub::dicom {
namespace {

// Attributes of a patient (PS3.4 C.6.1.1.2): the only keys a PATIENT-level query may match.
bool is_patient_key(const std::string& name) {
  const auto tag = tag_of(name);
  return tag == 0x00100010u || tag == 0x00100020u || tag == 0x00100030u || tag == 0x00100040u;
}

Level qido_level(QrLevel level) {
  switch (level) {
    case QrLevel::kPatient:
    case QrLevel::kStudy: return Level::kStudy;
    case QrLevel::kSeries: return Level::kSeries;
    case QrLevel::kImage: return Level::kInstance;
  }
  return Level::kStudy;
}

// The identifier's values as an index query of at most limit rows.
IndexQuery query_of(QrLevel level, const QrKeys& keys, int limit) {
  if (level == QrLevel::kPatient) {
    for (const auto& [tag, value] : keys.values) {
      if (!is_patient_key(tag))
        throw QidoError(tag +
                        " is not an attribute of a patient and cannot be matched at the "
                        "PATIENT level");
    }
  }
  QidoRequest q = parse_qido(keys.values, qido_level(level), limit, limit);
  return q.query;
}

nlohmann::json patient_json(const PatientRow& p) {
  StudyRow s;  // study_json writes the patient's attributes; the study's are dropped below
  s.patient_id = p.patient_id;
  s.patient_name = p.patient_name;
  s.patient_birth_date = p.patient_birth_date;
  s.patient_sex = p.patient_sex;
  const nlohmann::json study = study_json(s, "");
  nlohmann::json o = nlohmann::json::object();
  for (const char* tag : {"00100010", "00100020", "00100030", "00100040"}) o[tag] = study[tag];
  o["00201200"] = {{"vr", "IS"}, {"Value", {p.study_count}}};
  o["00201202"] = {{"vr", "IS"}, {"Value", {p.series_count}}};
  o["00201204"] = {{"vr", "IS"}, {"Value", {p.instance_count}}};
  return o;
}

// A wanted attribute the index's answer lacks: it is then read from an instance's metadata.
bool lacks_wanted(const nlohmann::json& answer, const QrKeys& keys) {
  char hex[9];
  for (auto tag : keys.want) {
    std::snprintf(hex, sizeof hex, "%08X", tag);
    if (!answer.contains(hex)) return true;
  }
  return false;
}

}  // namespace

const char* level_keyword(QrLevel level) {
  switch (level) {
    case QrLevel::kPatient: return "PATIENT";
    case QrLevel::kStudy: return "STUDY";
    case QrLevel::kSeries: return "SERIES";
    case QrLevel::kImage: return "IMAGE";
  }
  return "";
}

QueryRetrieve::QueryRetrieve(Database& db, DicomStore& store, AuditLog& audit, int max_results)
    : db_(db), store_(store), audit_(audit), max_results_(max_results) {}

FindAnswer QueryRetrieve::find(const DimseActor& actor, QrLevel level, const QrKeys& keys) {
  // One row more than allowed tells a truncated answer from a full one.
  IndexQuery query;
  try {
    query = query_of(level, keys, max_results_ + 1);
  } catch (const QidoError& e) {
    record(actor, "find", level, {{"refused", e.what()}});
    throw;
  }
  QidoRequest include;
  include.include = keys.want;
  FindAnswer answer;
  db_.transact(
      [&](Tx& tx) {
        answer.matches.clear();
        std::map<std::string, StudyRow> studies;
        const auto study = [&](const std::string& uid) -> const StudyRow& {
          auto it = studies.find(uid);
          if (it == studies.end()) it = studies.emplace(uid, *store_.find_study(tx, uid)).first;
          return it->second;
        };
        switch (level) {
          case QrLevel::kPatient:
            for (const auto& p : store_.patients(tx, query))
              answer.matches.push_back(patient_json(p));
            break;
          case QrLevel::kStudy:
            for (const auto& s : store_.studies(tx, query)) {
              auto j = study_json(s, "");
              if (lacks_wanted(j, keys))
                add_included(j, parse_metadata(store_.sample_metadata(tx, s.study_uid, {})),
                             include);
              answer.matches.push_back(std::move(j));
            }
            break;
          case QrLevel::kSeries:
            for (const auto& se : store_.series(tx, query)) {
              auto j = series_json(se, study(se.study_uid), "");
              if (lacks_wanted(j, keys)) {
                add_included(
                    j, parse_metadata(store_.sample_metadata(tx, se.study_uid, se.series_uid)),
                    include);
              }
              answer.matches.push_back(std::move(j));
            }
            break;
          case QrLevel::kImage: {
            std::map<std::string, SeriesRow> series;
            for (const auto& i : store_.instances(tx, query)) {
              auto it = series.find(i.series_uid);
              if (it == series.end())
                it = series.emplace(i.series_uid, *store_.find_series(tx, i.series_uid)).first;
              auto j = instance_json(i, study(i.study_uid), it->second, "");
              if (lacks_wanted(j, keys)) add_included(j, parse_metadata(i.metadata), include);
              answer.matches.push_back(std::move(j));
            }
            break;
          }
        }
      },
      TxMode::kRead);
  if (answer.matches.size() > static_cast<std::size_t>(max_results_)) {
    answer.matches.clear();
    answer.truncated = true;
  }
  if (answer.truncated) {
    record(actor, "find", level, {{"refused", "more than find_max_results matches"}});
  } else {
    record(actor, "find", level, {{"results", answer.matches.size()}});
  }
  return answer;
}

std::vector<RetrieveItem> QueryRetrieve::locate(QrLevel level, const QrKeys& keys) {
  // A retrieve names what to send by its unique keys (PS3.4 C.4.2.1.4, C.4.3.1.4): at least one,
  // at or above the level, and never all of the archive by omission.
  struct Unique {
    std::uint32_t tag;
    const char* keyword;
  };
  static const std::map<QrLevel, Unique> kUnique = {
      {QrLevel::kPatient, {0x00100020, "PatientID"}},
      {QrLevel::kStudy, {0x0020000D, "StudyInstanceUID"}},
      {QrLevel::kSeries, {0x0020000E, "SeriesInstanceUID"}},
      {QrLevel::kImage, {0x00080018, "SOPInstanceUID"}}};
  const auto& unique = kUnique.at(level);
  const bool named = std::any_of(keys.values.begin(), keys.values.end(), [&](const auto& kv) {
    return tag_of(kv.first) == unique.tag && !kv.second.empty() && kv.second != "*";
  });
  if (!named) {
    // An ErrorComment holds 64 characters: this says it in fewer.
    throw QidoError(std::string("a ") + level_keyword(level) + " retrieve needs a " +
                    unique.keyword + " value");
  }
  for (const auto& [tag, value] : keys.values) {
    if (value.find_first_of("*?") != std::string::npos)
      throw QidoError(tag + ": wildcards are for C-FIND, not a retrieve");
  }
  const IndexQuery query =
      parse_qido(keys.values, Level::kInstance, max_results_ + 1, max_results_ + 1).query;
  std::vector<DicomStore::StoredFile> files;
  db_.transact([&](Tx& tx) { files = store_.stored_files(tx, query); }, TxMode::kRead);
  if (files.size() > static_cast<std::size_t>(max_results_)) {
    throw QidoError("more than " + std::to_string(max_results_) +
                    " instances match; retrieve fewer at a time");
  }
  std::vector<RetrieveItem> out;
  out.reserve(files.size());
  for (auto& f : files) {
    out.push_back({std::move(f.sop_uid), std::move(f.sop_class_uid),
                   std::move(f.transfer_syntax_uid), std::move(f.blob_key), f.size_bytes});
  }
  return out;
}

void QueryRetrieve::record(const DimseActor& actor, const std::string& operation, QrLevel level,
                           nlohmann::json detail) {
  AuditEvent e;
  e.actor = "ae:" + actor.calling_ae;
  e.action = "dicom." + operation;
  e.resource_type = "dicom_study";
  e.client_address = actor.address;
  const bool refused = detail.contains("refused");
  const bool failed = detail.value("failed", 0) > 0;
  e.outcome = refused || failed ? "failure" : "success";
  detail["level"] = level_keyword(level);
  detail["identity"] = actor.identity;
  e.detail = std::move(detail);
  audit_.record(std::move(e));
}

}  // namespace carehub::dicom

#include "dicom/ingest.hpp"

#include <sys/stat.h>

#include <fstream>
#include <vector>

#include "carehub/hash.hpp"
#include "carehub/log.hpp"

namespace carehub::dicom {
namespace {

std::string file_sha256(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the staged instance " + path);
  Sha256 h;
  std::vector<char> buf(256 * 1024);
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0)
    h.update(buf.data(), static_cast<std::size_t>(in.gcount()));
  if (in.bad()) throw std::runtime_error("cannot read the staged instance " + path);
  return h.hex();
}

// "Family^Given^Middle^Prefix^Suffix" (the alphabetic group, before any '=').
std::pair<std::string, std::string> family_and_given(const std::string& pn) {
  const std::string alphabetic = pn.substr(0, pn.find('='));
  const auto caret = alphabetic.find('^');
  if (caret == std::string::npos) return {alphabetic, ""};
  const auto next = alphabetic.find('^', caret + 1);
  return {alphabetic.substr(0, caret),
          alphabetic.substr(caret + 1,
                            next == std::string::npos ? std::string::npos : next - caret - 1)};
}

std::string patient_key_of(const ParsedInstance& p, const IngestSource& source) {
  if (p.patient_id.empty()) return {};
  if (!p.issuer_of_patient_id.empty())
    return "issuer:" + p.issuer_of_patient_id + "|" + p.patient_id;
  return "source:" + source.patient_scope + "|" + p.patient_id;
}

IngestResult result_of(const ParsedInstance& p, IngestStatus status, std::string reason = {}) {
  return {status,      std::move(reason), p.sop_class_uid, p.sop_instance_uid,
          p.study_uid, p.series_uid};
}

}  // namespace

std::string blob_key_for(const std::string& study_uid, const std::string& series_uid,
                         const std::string& sop_uid, const std::string& sha256) {
  const std::string study = sha256_hex(study_uid).substr(0, 32);
  return "dicom/" + study.substr(0, 2) + "/" + study + "/" + sha256_hex(series_uid).substr(0, 32) +
         "/" + sha256_hex(sop_uid).substr(0, 32) + "-" + sha256.substr(0, 16) + ".dcm";
}

std::string instance_url(const std::string& study, const std::string& series,
                         const std::string& sop) {
  return "/dicom-web/studies/" + study + "/series/" + series + "/instances/" + sop;
}

IngestResult Ingestor::ingest(const std::string& path, const IngestSource& source,
                              const std::string* required_study, const std::string* known_sha256) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw std::runtime_error("staged instance vanished: " + path);
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > settings_.max_instance_bytes) {
    return {IngestStatus::kTooLarge,
            "instance of " + std::to_string(size) + " bytes exceeds the limit of " +
                std::to_string(settings_.max_instance_bytes),
            {},
            {},
            {},
            {}};
  }
  auto parsed = parse_instance(path, instance_url);
  if (parsed.index() == 1) return {IngestStatus::kRejected, std::get<1>(parsed), {}, {}, {}, {}};
  const ParsedInstance& p = std::get<0>(parsed);
  if (required_study && p.study_uid != *required_study) {
    return result_of(p, IngestStatus::kWrongStudy,
                     "the instance belongs to study " + p.study_uid + ", not to " +
                         *required_study + " named in the URL");
  }
  const std::string sha = known_sha256 ? *known_sha256 : file_sha256(path);

  auto existing = db_.transact([&](Tx& tx) { return store_.find_instance(tx, p.sop_instance_uid); },
                               TxMode::kRead);
  if (existing) {
    if (existing->sha256 == sha) return result_of(p, IngestStatus::kAlreadyStored);
    if (!settings_.allow_overwrite) {
      return result_of(p, IngestStatus::kConflict,
                       "an instance with this SOP Instance UID is stored with other content");
    }
  }
  const std::string key = blob_key_for(p.study_uid, p.series_uid, p.sop_instance_uid, sha);
  blobs_.adopt(key, path, sha);

  const std::string patient_key = patient_key_of(p, source);
  enum class Outcome { kInserted, kReplaced, kSame, kDiffers, kWrongStudy };
  std::optional<InstanceRow> replaced;
  const auto index = [&](Tx& tx) {
    replaced.reset();
    auto now_there = store_.find_instance(tx, p.sop_instance_uid);  // a racing upload was first?
    if (now_there && now_there->sha256 == sha) return Outcome::kSame;
    if (now_there && !settings_.allow_overwrite) return Outcome::kDiffers;
    const std::int64_t now = clock_.now_ms();
    AuditEvent e;
    e.actor = source.actor;
    e.action = now_there ? "dicom.instance.replace" : "dicom.instance.store";
    e.resource_type = "dicom_instance";
    e.resource_id = p.sop_instance_uid;
    e.request_id = source.request_id;
    e.client_address = source.client_address;
    e.detail = {{"study", p.study_uid}, {"bytes", size}};
    if (now_there) {
      store_.replace(tx, *now_there, p, sha, size, key, source.actor, now);
      audit_.record(tx, e);
      replaced = now_there;
      return Outcome::kReplaced;
    }
    StoredInstance stored;
    try {
      stored = store_.insert(tx, p, patient_key, sha, size, key, source.actor, now);
    } catch (const std::invalid_argument&) {
      return Outcome::kWrongStudy;  // nothing written survives: the unit of work rolls back
    }
    audit_.record(tx, e);
    if (stored.new_patient) {
      if (PatientIndex* index = patients_.get()) {
        const auto [family, given] = family_and_given(p.patient_name);
        const std::string scope =
            p.issuer_of_patient_id.empty() ? source.patient_scope : p.issuer_of_patient_id;
        index->submit(tx, PatientDemographics{"dicom:" + scope, p.patient_id, given, family,
                                              p.patient_sex, p.patient_birth_date});
      }
    }
    return Outcome::kInserted;
  };
  Outcome outcome;
  try {
    outcome = db_.transact(index);
  } catch (const ConstraintError&) {
    // PostgreSQL: a racing upload of the same UID committed between our look and our insert.
    // Looking again finds it.
    outcome = db_.transact(index);
  }

  switch (outcome) {
    case Outcome::kInserted: return result_of(p, IngestStatus::kStored);
    case Outcome::kReplaced:
      if (replaced->blob_key != key) blobs_.remove(replaced->blob_key);
      return result_of(p, IngestStatus::kStored);
    case Outcome::kSame: return result_of(p, IngestStatus::kAlreadyStored);
    case Outcome::kDiffers:
      blobs_.remove(key);
      return result_of(p, IngestStatus::kConflict,
                       "an instance with this SOP Instance UID is stored with other content");
    case Outcome::kWrongStudy:
      blobs_.remove(key);
      return result_of(p, IngestStatus::kConflict,
                       "Series Instance UID " + p.series_uid + " belongs to another study");
  }
  return result_of(p, IngestStatus::kRejected, "unreachable");
}

}  // namespace carehub::dicom

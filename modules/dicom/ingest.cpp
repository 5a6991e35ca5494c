#include "dicom/ingest.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <future>
#include <set>
#include <system_error>
#include <vector>

#include "carehub/hash.hpp"
#include "carehub/log.hpp"
#include "carehub/unique_fd.hpp"

namespace carehub::dicom {
namespace {

std::string sha256_of(const std::string& path) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw std::runtime_error("cannot read the staged instance " + path);
  return file_sha256(fd.get(), path);
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
  return ingest_batch({{path, known_sha256 ? *known_sha256 : std::string()}}, source,
                      required_study)
      .front();
}

namespace {

enum class Outcome { kInserted, kReplaced, kSame, kDiffers, kWrongStudy };

// An instance of a batch that passed its checks and goes to the store.
struct Candidate {
  std::size_t index = 0;  // in the batch
  ParsedInstance p;
  std::string sha, key;
  std::uint64_t size = 0;
  Outcome outcome = Outcome::kInserted;
  std::optional<InstanceRow> replaced;
};

}  // namespace

std::vector<IngestResult> Ingestor::ingest_batch(const std::vector<Staged>& files,
                                                 const IngestSource& source,
                                                 const std::string* required_study) {
  std::vector<IngestResult> results(files.size());
  // A single file (a plain POST, a C-STORE) is prepared beside the parse, on a second core: its
  // checksum computed if it came without one, its bytes made durable. When its checksum came with
  // it, it is also moved into the store while that runs, so its folder's sync and its own overlap;
  // the index commits only after both. (A batch instead starts every file's writeback at once in
  // adopt_many.) Opened here, so the helper keeps hold of the file while it is moved.
  const UniqueFd early(
      files.size() == 1 ? ::open(files[0].path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW) : -1);
  const bool move_early = early && !files[0].sha256.empty();
  std::string early_sha;
  const auto prepare = [&] {
    struct stat st {};
    if (::fstat(early.get(), &st) == 0 &&
        static_cast<std::uint64_t>(st.st_size) > settings_.max_instance_bytes)
      return;  // refused below, never adopted
    early_sha = blobs_.prepare(early.get(), files[0].path, files[0].sha256);
  };
  std::future<void> helper;
  if (early) {
    try {
      helper = std::async(std::launch::async, prepare);
    } catch (const std::system_error&) {
      prepare();  // no thread to spare: the same work, before the parse
    }
  }
  std::vector<Candidate> round;
  std::vector<std::size_t> later;  // a UID already in this round: compared with it afterwards
  std::set<std::string> uids;
  for (std::size_t i = 0; i < files.size(); ++i) {
    const std::string& path = files[i].path;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      throw std::runtime_error("staged instance vanished: " + path);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > settings_.max_instance_bytes) {
      results[i] = {IngestStatus::kTooLarge,
                    "instance of " + std::to_string(size) + " bytes exceeds the limit of " +
                        std::to_string(settings_.max_instance_bytes),
                    {},
                    {},
                    {},
                    {}};
      continue;
    }
    auto parsed = parse_instance(path, instance_url);
    if (parsed.index() == 1) {
      results[i] = {IngestStatus::kRejected, std::get<1>(parsed), {}, {}, {}, {}};
      continue;
    }
    ParsedInstance& p = std::get<0>(parsed);
    if (required_study && p.study_uid != *required_study) {
      results[i] = result_of(
          p, IngestStatus::kWrongStudy,
          "the instance belongs to study " + p.study_uid + ", not to the study named in the URL");
      continue;
    }
    if (!uids.insert(p.sop_instance_uid).second) {
      later.push_back(i);
      continue;
    }
    Candidate c;
    c.index = i;
    c.size = size;
    c.p = std::move(p);
    round.push_back(std::move(c));
  }
  if (helper.valid() && !move_early) helper.get();
  for (auto& c : round) {
    c.sha = files[c.index].sha256;
    if (c.sha.empty() && !move_early) c.sha = early_sha;  // the helper is done: no race
    if (c.sha.empty()) c.sha = sha256_of(files[c.index].path);
  }

  // What is stored already under these UIDs: nothing to do, or a conflict, before any disk work.
  db_.transact(
      [&](Tx& tx) {
        std::erase_if(round, [&](const Candidate& c) {
          auto existing = store_.find_instance(tx, c.p.sop_instance_uid);
          if (!existing) return false;
          if (existing->sha256 == c.sha) {
            results[c.index] = result_of(c.p, IngestStatus::kAlreadyStored);
            return true;
          }
          if (settings_.allow_overwrite) return false;
          results[c.index] =
              result_of(c.p, IngestStatus::kConflict,
                        "an instance with this SOP Instance UID is stored with other content");
          return true;
        });
      },
      TxMode::kRead);

  std::vector<BlobStore::Adoption> adoptions;
  for (auto& c : round) {
    c.key = blob_key_for(c.p.study_uid, c.p.series_uid, c.p.sop_instance_uid, c.sha);
    // prepared: the helper runs (early move: waited for below) or ran; without it adopt syncs
    const bool prepared = move_early || (early && !early_sha.empty());
    adoptions.push_back({c.key, files[c.index].path, c.sha, prepared});
  }
  if (!adoptions.empty()) {
    blobs_.adopt_many(adoptions);
    if (helper.valid()) {
      try {
        helper.get();  // the file's own bytes durable: only now may a row name it
      } catch (...) {
        for (const auto& a : adoptions) {
          try {
            blobs_.remove(a.key);
          } catch (const BlobError&) {
            // left for the orphan sweep: no row names it
          }
        }
        throw;
      }
    }
  }

  const auto index_one = [&](Tx& tx, Candidate& c) {
    const ParsedInstance& p = c.p;
    c.replaced.reset();
    auto now_there = store_.find_instance(tx, p.sop_instance_uid);  // a racing upload was first?
    if (now_there && now_there->sha256 == c.sha) return Outcome::kSame;
    if (now_there && !settings_.allow_overwrite) return Outcome::kDiffers;
    const std::int64_t now = clock_.now_ms();
    AuditEvent e;
    e.actor = source.actor;
    e.action = now_there ? "dicom.instance.replace" : "dicom.instance.store";
    e.resource_type = "dicom_instance";
    e.resource_id = p.sop_instance_uid;
    e.request_id = source.request_id;
    e.client_address = source.client_address;
    e.detail = {{"study", p.study_uid}, {"bytes", c.size}};
    if (now_there) {
      store_.replace(tx, *now_there, p, c.sha, c.size, c.key, source.actor, now);
      audit_.record(tx, e);
      c.replaced = std::move(now_there);
      return Outcome::kReplaced;
    }
    StoredInstance stored;
    try {
      stored =
          store_.insert(tx, p, patient_key_of(p, source), c.sha, c.size, c.key, source.actor, now);
    } catch (const std::invalid_argument&) {
      return Outcome::kWrongStudy;  // refused before it wrote anything
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
  const auto index_all = [&](Tx& tx) {
    for (auto& c : round) c.outcome = index_one(tx, c);
  };
  if (!round.empty()) {
    try {
      db_.transact(index_all);
    } catch (const ConstraintError&) {
      // A racing upload (PostgreSQL) committed a UID or series between our look and our insert.
      // Looking again finds it.
      db_.transact(index_all);
    }
  }

  for (const auto& c : round) {
    const ParsedInstance& p = c.p;
    IngestResult& r = results[c.index];
    switch (c.outcome) {
      case Outcome::kInserted: r = result_of(p, IngestStatus::kStored); break;
      case Outcome::kReplaced:
        if (c.replaced->blob_key != c.key) blobs_.remove(c.replaced->blob_key);
        r = result_of(p, IngestStatus::kStored);
        break;
      case Outcome::kSame: r = result_of(p, IngestStatus::kAlreadyStored); break;
      case Outcome::kDiffers:
        blobs_.remove(c.key);
        r = result_of(p, IngestStatus::kConflict,
                      "an instance with this SOP Instance UID is stored with other content");
        break;
      case Outcome::kWrongStudy:
        blobs_.remove(c.key);
        r = result_of(p, IngestStatus::kWrongStudy,
                      "Series Instance UID " + p.series_uid + " belongs to another study");
        break;
    }
  }

  if (!later.empty()) {  // repeats of a UID, each against what the round left stored
    std::vector<Staged> rest;
    for (std::size_t i : later) rest.push_back(files[i]);
    auto more = ingest_batch(rest, source, required_study);
    for (std::size_t k = 0; k < later.size(); ++k) results[later[k]] = std::move(more[k]);
  }
  return results;
}

}  // namespace carehub::dicom

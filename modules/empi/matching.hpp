// Matching new records against each other and the index: candidates by blocking (new with new in
// memory, new with old through the stored keys, never old with old), scores by the config's
// model (trained on the records at hand the first time a config is used), persons by connected
// components of the pairs at or above the auto-match threshold, with existing persons only ever
// gaining records or merging, never losing them, and never across a do-not-link pair.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "carehub/clock.hpp"
#include "carehub/db.hpp"
#include "empi/store.hpp"

namespace carehub::empi {

struct NewRecord {
  std::int64_t id = 0;
  RecordFeatures features;
};

struct MatchSummary {
  std::uint64_t candidate_pairs = 0;
  std::uint64_t pairs_stored = 0;        // at or above the potential-match threshold
  std::uint64_t auto_matched_pairs = 0;  // at or above the auto-match threshold
  std::uint64_t persons_created = 0;
  std::uint64_t persons_merged = 0;
  std::uint64_t potential_matches = 0;
  nlohmann::json training;  // the training report when this run trained the config
  nlohmann::json seconds = nlohmann::json::object();  // time per phase
  nlohmann::json to_json() const;
};

// match_records under the matching lock: one matching at a time, across threads and processes
// (two would race for the same persons).
MatchSummary match_records_exclusively(
    Database& db, const Clock& clock, EmpiStore& store, const ConfigRow& config,
    std::vector<NewRecord> fresh, std::int64_t job_id, const std::string& actor,
    const std::function<bool(double, const std::string&)>& progress);

// progress(percent 0..100, message) returns false to stop (job cancelled).
MatchSummary match_records(Database& db, const Clock& clock, EmpiStore& store,
                           const ConfigRow& config, std::vector<NewRecord> fresh,
                           std::int64_t job_id, const std::string& actor,
                           const std::function<bool(double, const std::string&)>& progress);

struct Candidate {
  std::int64_t record_id = 0;
  std::optional<std::int64_t> person_id;
  double probability = 0;
};

// The stored records sharing a blocking key with `record`, scored, best first, at most limit,
// leaving out exclude (the record itself when it is stored).
std::vector<Candidate> score_against_index(Tx& tx, EmpiStore& store, const ModelParams& model,
                                           const RecordFeatures& record, std::size_t limit,
                                           std::optional<std::int64_t> exclude = std::nullopt);

// The model of a config: its stored parameters, or trained now on these records and stored.
ModelParams model_for(Database& db, const Clock& clock, EmpiStore& store, const ConfigRow& config,
                      const std::vector<RecordFeatures>& records, nlohmann::json* report);

}  // namespace carehub::empi

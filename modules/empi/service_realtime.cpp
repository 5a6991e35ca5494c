// The service in real time: one record matched as it arrives (stored, matched, answered with its
// person and the best candidates), or only searched for (nothing stored). Both need a config that
// has learnt its model (from an import).
#include "carehub/error.hpp"
#include "empi/arrivals.hpp"
#include "empi/matching.hpp"
#include "empi/service.hpp"

namespace carehub::empi {
namespace {

constexpr std::size_t kCandidatesShown = 10;

// The config to match with: the one named, else the newest trained one; it must have learnt its
// model (config.parameters is set).
ConfigRow trained_config(Tx& tx, EmpiStore& store, std::optional<std::int64_t> id) {
  auto config = id ? store.find_config(tx, *id) : store.latest_trained_config(tx);
  if (!config) {
    throw ApiError(id ? ErrorCode::kValidationFailed : ErrorCode::kConflict,
                   id ? "config " + std::to_string(*id) + " does not exist"
                      : "no config has learnt its model yet: import records with one first");
  }
  if (!config->parameters) {
    throw ApiError(ErrorCode::kConflict,
                   "config " + std::to_string(config->id) +
                       " has not learnt its model yet: import records with it first");
  }
  return *config;
}

nlohmann::json candidates_json(Tx& tx, EmpiStore& store, const std::vector<Candidate>& candidates) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : candidates) {
    std::optional<PersonRow> person;
    if (c.person_id) person = store.find_person(tx, *c.person_id);
    out.push_back({{"person_record_id", std::to_string(c.record_id)},
                   {"person_id", person ? nlohmann::json(person->uuid) : nlohmann::json()},
                   {"match_probability", c.probability}});
  }
  return out;
}

}  // namespace

nlohmann::json EmpiService::match_search(const Actor& actor, const PersonRecord& record,
                                         std::optional<std::int64_t> config_id) {
  const auto features = features_of(0, record);
  auto out = db_.transact(
      [&](Tx& tx) {
        const auto config = trained_config(tx, store_, config_id);
        const auto candidates = score_against_index(
            tx, store_, ModelParams::from_json(*config.parameters), features, kCandidatesShown);
        return nlohmann::json{{"config_id", std::to_string(config.id)},
                              {"candidates", candidates_json(tx, store_, candidates)}};
      },
      TxMode::kRead);
  AuditEvent e = actor.event("empi.match_search", "empi_record", "");
  e.detail = {{"candidates", out["candidates"].size()}};
  audit_.record(e);
  return out;
}

std::pair<nlohmann::json, bool> EmpiService::add_record(const Actor& actor,
                                                        const PersonRecord& record,
                                                        const std::string& original,
                                                        std::optional<std::int64_t> config_id) {
  auto features = features_of(0, record);  // the id is set once stored
  const std::string hash = record_hash(record);
  const std::int64_t now = clock_.now_ms();
  // Stored first (its own unit of work, like an import's batch), then matched under the lock; a
  // crash in between leaves a record the next import or post matches.
  struct Stored {
    ConfigRow config;
    std::int64_t id;
    bool created;
  };
  const auto stored = db_.transact([&](Tx& tx) {
    const auto config = trained_config(tx, store_, config_id);
    if (auto existing = store_.record_by_hash(tx, hash)) return Stored{config, *existing, false};
    const auto id = *empi::add_record(tx, store_, record, 0, now, original);
    audit_.record(tx, actor.event("empi.record.create", "empi_record", std::to_string(id)));
    return Stored{config, id, true};
  });
  features.id = stored.id;
  if (stored.created) {
    match_records_exclusively(db_, clock_, store_, stored.config, {NewRecord{stored.id, features}},
                              0, actor.subject, [](double, const std::string&) { return true; });
  }
  auto out = db_.transact(
      [&](Tx& tx) {
        const auto model = ModelParams::from_json(*stored.config.parameters);
        const auto row = store_.records_by_ids(tx, {stored.id}).at(0);
        std::optional<PersonRow> person;
        if (row.person_id) person = store_.find_person(tx, *row.person_id);
        const auto candidates =
            score_against_index(tx, store_, model, features, kCandidatesShown, stored.id);
        return nlohmann::json{
            {"person_record_id", std::to_string(stored.id)},
            {"status", stored.created ? "Stored" : "AlreadyStored"},
            {"person_id", person ? nlohmann::json(person->uuid) : nlohmann::json()},
            {"auto_linked", person && person->record_count > 1},
            {"config_id", std::to_string(stored.config.id)},
            {"candidates", candidates_json(tx, store_, candidates)}};
      },
      TxMode::kRead);
  return {std::move(out), stored.created};
}

}  // namespace carehub::empi

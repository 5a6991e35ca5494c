// Real time: one record matched as it arrives (POST /api/v1/person-records: stored, matched,
// answered with its person and the best candidates), or only searched for (.../match: nothing is
// stored). Both need a config that has learnt its model (from an import).
#include "carehub/error.hpp"
#include "empi/arrivals.hpp"
#include "empi/matching.hpp"
#include "empi/routes.hpp"

namespace carehub::empi {
namespace {

constexpr std::size_t kCandidatesShown = 10;

struct RealtimeRequest {
  PersonRecord record;
  std::optional<std::int64_t> config_id;
};

RealtimeRequest parse(const Request& req) {
  const auto body = req.json_object();
  RealtimeRequest out;
  for (const auto& [key, value] : body.items()) {
    if (key == "config_id") {
      out.config_id = json_positive_id(value, "config_id");
      continue;
    }
    const auto at = column_index(key);
    if (!at) throw ApiError(ErrorCode::kValidationFailed, "unknown field '" + key + "'");
    if (value.is_null()) continue;
    if (!value.is_string())
      throw ApiError(ErrorCode::kValidationFailed, "'" + key + "' must be a string");
    require_text(key, value.get_ref<const std::string&>(), text_kind_of(*at));
    out.record[*at] = value.get<std::string>();
  }
  if (auto problem = normalize_record(out.record))
    throw ApiError(ErrorCode::kValidationFailed, *problem);
  return out;
}

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

void register_realtime_routes(Router& r, EmpiContext& ctx) {
  r.add(Method::kPost, "/api/v1/person-records/match", empi_read_access(), [&ctx](Request& req) {
    const auto in = parse(req);
    const auto features = features_of(0, in.record);
    auto out = ctx.db.transact(
        [&](Tx& tx) {
          const auto config = trained_config(tx, ctx.store, in.config_id);
          const auto candidates =
              score_against_index(tx, ctx.store, ModelParams::from_json(*config.parameters),
                                  features, kCandidatesShown);
          return nlohmann::json{{"config_id", std::to_string(config.id)},
                                {"candidates", candidates_json(tx, ctx.store, candidates)}};
        },
        TxMode::kRead);
    AuditEvent e = AuditLog::from_request(req, "empi.match_search", "empi_record", "");
    e.detail = {{"candidates", out["candidates"].size()}};
    ctx.audit.record(e);
    return Response::json(out);
  });

  r.add(Method::kPost, "/api/v1/person-records", empi_write_access(), [&ctx](Request& req) {
    const auto in = parse(req);
    auto features = features_of(0, in.record);  // the id is set once stored
    const std::string hash = record_hash(in.record);
    const std::int64_t now = ctx.clock.now_ms();
    // Stored first (its own unit of work, like an import's batch), then matched under the lock;
    // a crash in between leaves a record the next import or post matches.
    struct Stored {
      ConfigRow config;
      std::int64_t id;
      bool created;
    };
    const auto stored = ctx.db.transact([&](Tx& tx) {
      const auto config = trained_config(tx, ctx.store, in.config_id);
      if (auto existing = ctx.store.record_by_hash(tx, hash))
        return Stored{config, *existing, false};
      const auto id = *add_record(tx, ctx.store, in.record, 0, now);
      AuditEvent e =
          AuditLog::from_request(req, "empi.record.create", "empi_record", std::to_string(id));
      ctx.audit.record(tx, e);
      return Stored{config, id, true};
    });
    features.id = stored.id;
    if (stored.created) {
      match_records_exclusively(ctx.db, ctx.clock, ctx.store, stored.config,
                                {NewRecord{stored.id, features}}, 0, req.principal->subject,
                                [](double, const std::string&) { return true; });
    }
    auto out = ctx.db.transact(
        [&](Tx& tx) {
          const auto model = ModelParams::from_json(*stored.config.parameters);
          const auto record = ctx.store.records_by_ids(tx, {stored.id}).at(0);
          std::optional<PersonRow> person;
          if (record.person_id) person = ctx.store.find_person(tx, *record.person_id);
          const auto candidates =
              score_against_index(tx, ctx.store, model, features, kCandidatesShown, stored.id);
          return nlohmann::json{
              {"person_record_id", std::to_string(stored.id)},
              {"status", stored.created ? "Stored" : "AlreadyStored"},
              {"person_id", person ? nlohmann::json(person->uuid) : nlohmann::json()},
              {"auto_linked", person && person->record_count > 1},
              {"config_id", std::to_string(stored.config.id)},
              {"candidates", candidates_json(tx, ctx.store, candidates)}};
        },
        TxMode::kRead);
    return Response::json(out, stored.created ? 201 : 200);
  });
}

}  // namespace carehub::empi

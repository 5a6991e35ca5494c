// The service's reads: persons, a person's history, the review queue and one potential match with
// the why of each scored pair. Every read of patient data is audited (ids and counts, never the
// data). A page of persons or of the queue is a fixed number of queries whatever its length.
#include <map>

#include "carehub/error.hpp"
#include "empi/explain.hpp"
#include "empi/service.hpp"
#include "empi/views.hpp"

namespace carehub::empi {
namespace {

nlohmann::json id_or_null(const std::optional<std::int64_t>& v) {
  return v ? nlohmann::json(std::to_string(*v)) : nlohmann::json();
}

}  // namespace

nlohmann::json EmpiService::search_persons(const Actor& actor, const PersonQuery& query) {
  return db_.transact([&](Tx& tx) {
    const auto page =
        store_.search_persons(tx, query.filters, query.person_uuid, query.limit, query.offset);
    std::vector<std::int64_t> ids;
    for (const auto& p : page.rows) ids.push_back(p.id);
    const auto records = store_.records_of_persons(tx, ids);
    nlohmann::json persons = nlohmann::json::array();
    for (const auto& p : page.rows) {
      auto it = records.find(p.id);
      persons.push_back(
          person_summary(p, it == records.end() ? std::vector<StoredRecord>{} : it->second));
    }
    AuditEvent e = actor.event("empi.persons.search", "empi_person", "");
    e.detail = {{"results", persons.size()}};
    audit_.record(tx, e);
    return nlohmann::json{{"persons", persons}, {"total", page.total}};
  });
}

nlohmann::json EmpiService::person(const Actor& actor, const std::string& uuid) {
  return db_.transact([&](Tx& tx) {
    auto p = store_.find_person_by_uuid(tx, uuid);
    if (!p || p->record_count == 0) throw ApiError(ErrorCode::kNotFound, "no such person");
    audit_.record(tx, actor.event("empi.person.read", "empi_person", uuid));
    return person_detail(tx, store_, *p);
  });
}

nlohmann::json EmpiService::history(const Actor& actor, const std::string& uuid) {
  return db_.transact([&](Tx& tx) {
    auto p = store_.find_person_by_uuid(tx, uuid);
    if (!p) throw ApiError(ErrorCode::kNotFound, "no such person");
    std::map<std::int64_t, nlohmann::json> uuids;  // person id -> uuid, looked up once each
    auto uuid_of = [&](const std::optional<std::int64_t>& id) -> nlohmann::json {
      if (!id) return nullptr;
      auto [it, fresh] = uuids.try_emplace(*id);
      if (fresh) {
        auto person = store_.find_person(tx, *id);
        it->second = person ? nlohmann::json(person->uuid) : nlohmann::json();
      }
      return it->second;
    };
    nlohmann::json events = nlohmann::json::array();
    ActorNames names(accounts_.get(), tx);
    for (const auto& e : store_.events_of_person(tx, p->id)) {
      nlohmann::json actions = nlohmann::json::array();
      for (const auto& a : store_.actions_of_event(tx, e.id)) {
        if (a.from_person_id != p->id && a.to_person_id != p->id) continue;
        actions.push_back({{"person_record_id", std::to_string(a.record_id)},
                           {"from_person_id", uuid_of(a.from_person_id)},
                           {"to_person_id", uuid_of(a.to_person_id)}});
      }
      nlohmann::json comments = nlohmann::json::array();
      for (const auto& [rid, text] : store_.comments_of_event(tx, e.id))
        comments.push_back({{"person_record_id", std::to_string(rid)}, {"comment", text}});
      events.push_back({{"id", std::to_string(e.id)},
                        {"type", e.type},
                        {"actor", e.actor},
                        {"actor_name", names(e.actor)},
                        {"created", format_rfc3339_ms(e.created_at_ms)},
                        {"potential_match_id", id_or_null(e.potential_match_id)},
                        {"undoes_event_id", id_or_null(e.undoes_event_id)},
                        {"undone_by_event_id", id_or_null(e.undone_by_event_id)},
                        {"actions", actions},
                        {"comments", comments}});
    }
    audit_.record(tx, actor.event("empi.person.history", "empi_person", p->uuid));
    return nlohmann::json{{"person_id", p->uuid}, {"version", p->version}, {"events", events}};
  });
}

nlohmann::json EmpiService::search_potential_matches(const Actor& actor,
                                                     const PotentialMatchQuery& query) {
  return db_.transact([&](Tx& tx) {
    const auto page = store_.search_potential_matches(tx, query);
    std::vector<std::int64_t> ids;
    for (const auto& hit : page.rows) ids.push_back(hit.id);
    const auto records = store_.records_of_potential_matches(tx, ids);
    nlohmann::json out = nlohmann::json::array();
    for (const auto& hit : page.rows) {
      std::vector<const StoredRecord*> all;
      std::set<std::int64_t> persons;
      if (auto it = records.find(hit.id); it != records.end()) {
        for (const auto& [person, record] : it->second) {
          all.push_back(&record);
          persons.insert(person);
        }
      }
      const PersonRecord first = all.empty() ? PersonRecord{} : as_imported(*all.front());
      out.push_back({{"id", std::to_string(hit.id)},
                     {"first_name", first.first_name()},
                     {"last_name", first.last_name()},
                     {"birth_date", first.birth_date()},
                     {"data_sources", sources_of(all)},
                     {"person_count", persons.size()},
                     {"record_count", all.size()},
                     {"max_match_probability", hit.max_probability}});
    }
    AuditEvent e = actor.event("empi.potential_matches.search", "empi_potential_match", "");
    e.detail = {{"results", out.size()}};
    audit_.record(tx, e);
    return nlohmann::json{{"potential_matches", out}, {"total", page.total}};
  });
}

nlohmann::json EmpiService::potential_match(const Actor& actor, std::int64_t id) {
  return db_.transact([&](Tx& tx) {
    auto pm = store_.find_potential_match(tx, id);
    if (!pm) throw ApiError(ErrorCode::kNotFound, "no potential match " + std::to_string(id));
    nlohmann::json persons = nlohmann::json::array();
    std::vector<std::int64_t> record_ids;
    std::map<std::int64_t, RecordFeatures> features;  // record id -> what the model compares
    std::vector<const StoredRecord*> all;
    const auto person_ids = store_.potential_match_persons(tx, id);
    const auto records = store_.records_of_persons(tx, person_ids);
    for (auto person_id : person_ids) {
      auto p = store_.find_person(tx, person_id);
      auto it = records.find(person_id);
      if (!p || it == records.end()) continue;
      nlohmann::json shown = nlohmann::json::array();
      for (const auto& r : it->second) {
        shown.push_back(record_json(r, p->uuid));
        record_ids.push_back(r.id);
        features.emplace(r.id, features_of(r.id, r.record));
        all.push_back(&r);
      }
      persons.push_back({{"id", p->uuid},
                         {"created", format_rfc3339_ms(p->created_at_ms)},
                         {"version", p->version},
                         {"records", shown}});
    }
    // The why of each pair, from its config's stored model and the index's term frequencies.
    std::vector<RecordFeatures> compared;
    for (const auto& [rid, f] : features) compared.push_back(f);
    TermFrequencies tf;
    store_.load_term_frequencies_for(tx, compared, tf);
    tf.set_total(store_.count_records(tx));
    std::map<std::int64_t, std::optional<ModelParams>> models;
    nlohmann::json results = nlohmann::json::array();
    for (const auto& row : store_.pairs_among(tx, record_ids)) {
      auto [model, fresh] = models.try_emplace(row.config_id);
      if (fresh) {
        auto config = store_.find_config(tx, row.config_id);
        if (config && config->parameters)
          model->second = ModelParams::from_json(*config->parameters);
      }
      nlohmann::json explanation;  // null when the config's model is gone (never, today)
      if (model->second) {
        explanation = explain_pair(*model->second, features.at(row.pair.record_l),
                                   features.at(row.pair.record_r), &tf);
        explanation["config_id"] = std::to_string(row.config_id);
      }
      results.push_back({{"id", std::to_string(row.id)},
                         {"created", format_rfc3339_ms(row.created_at_ms)},
                         {"match_probability", row.pair.probability},
                         {"person_record_l_id", std::to_string(row.pair.record_l)},
                         {"person_record_r_id", std::to_string(row.pair.record_r)},
                         {"explanation", std::move(explanation)}});
    }
    audit_.record(
        tx, actor.event("empi.potential_match.read", "empi_potential_match", std::to_string(id)));
    const PersonRecord first = all.empty() ? PersonRecord{} : as_imported(*all.front());
    return nlohmann::json{{"id", std::to_string(pm->id)},
                          {"version", pm->version},
                          {"status", pm->status},
                          {"first_name", first.first_name()},
                          {"last_name", first.last_name()},
                          {"data_sources", sources_of(all)},
                          {"max_match_probability", pm->max_match_probability},
                          {"results", results},
                          {"persons", persons}};
  });
}

}  // namespace carehub::empi

// The review queue: a potential match in detail, and a reviewer's decision (POST /api/v1/matches,
// Tuva's shape): each person update names the records that person holds afterwards; a stale
// potential-match or person version is a 409, so of two reviewers deciding at once one wins.
#include <map>
#include <set>

#include "carehub/clock.hpp"
#include "carehub/error.hpp"
#include "carehub/text_check.hpp"
#include "empi/routes.hpp"
#include "empi/views.hpp"

namespace carehub::empi {
namespace {

int version_from(const nlohmann::json& v, const char* what) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() > INT32_MAX)
    throw ApiError(ErrorCode::kValidationFailed, std::string(what) + " must be an integer version");
  return v.get<int>();
}

struct PersonUpdate {
  std::optional<std::string> uuid;  // none: a new person
  std::optional<int> version;
  std::vector<std::int64_t> records;
};

std::vector<PersonUpdate> parse_updates(const nlohmann::json& body) {
  auto it = body.find("person_updates");
  if (it == body.end() || !it->is_array() || it->empty())
    throw ApiError(ErrorCode::kValidationFailed, "'person_updates' must be a non-empty array");
  std::vector<PersonUpdate> out;
  for (const auto& u : *it) {
    if (!u.is_object())
      throw ApiError(ErrorCode::kValidationFailed, "each person update must be an object");
    PersonUpdate pu;
    if (auto id = u.find("id"); id != u.end() && !id->is_null()) {
      if (!id->is_string())
        throw ApiError(ErrorCode::kValidationFailed, "a person id must be a string");
      pu.uuid = id->get<std::string>();
      auto v = u.find("version");
      if (v == u.end())
        throw ApiError(ErrorCode::kValidationFailed, "an update of a person needs its version");
      pu.version = version_from(*v, "version");
    }
    auto recs = u.find("new_person_record_ids");
    if (recs == u.end() || !recs->is_array())
      throw ApiError(ErrorCode::kValidationFailed, "'new_person_record_ids' must be an array");
    for (const auto& r : *recs) pu.records.push_back(json_positive_id(r, "a person record id"));
    out.push_back(std::move(pu));
  }
  return out;
}

}  // namespace

void register_review_routes(Router& r, EmpiContext& ctx) {
  r.add(Method::kGet, "/api/v1/potential-matches/{id}", empi_read_access(), [&ctx](Request& req) {
    const auto id = parse_positive_id(req.param("id"), "the potential match id");
    auto out = ctx.db.transact([&](Tx& tx) {
      auto pm = ctx.store.find_potential_match(tx, id);
      if (!pm) throw ApiError(ErrorCode::kNotFound, "no potential match " + req.param("id"));
      nlohmann::json persons = nlohmann::json::array();
      std::vector<std::int64_t> record_ids;
      std::vector<std::string> sources;
      nlohmann::json first;
      for (auto person_id : ctx.store.potential_match_persons(tx, id)) {
        auto p = ctx.store.find_person(tx, person_id);
        if (!p) continue;
        auto detail = person_detail(tx, ctx.store, *p);
        for (const auto& rec : detail["records"]) {
          record_ids.push_back(std::stoll(rec["id"].get<std::string>()));
          if (first.is_null()) first = rec;
          if (std::find(sources.begin(), sources.end(), rec["data_source"]) == sources.end())
            sources.push_back(rec["data_source"]);
        }
        persons.push_back(std::move(detail));
      }
      std::sort(sources.begin(), sources.end());
      nlohmann::json results = nlohmann::json::array();
      for (const auto& row : ctx.store.pairs_among(tx, record_ids)) {
        results.push_back({{"id", std::to_string(row.id)},
                           {"created", format_rfc3339_ms(row.created_at_ms)},
                           {"match_probability", row.pair.probability},
                           {"person_record_l_id", std::to_string(row.pair.record_l)},
                           {"person_record_r_id", std::to_string(row.pair.record_r)}});
      }
      ctx.audit.record(tx, AuditLog::from_request(req, "empi.potential_match.read",
                                                  "empi_potential_match", req.param("id")));
      return nlohmann::json{{"id", std::to_string(pm->id)},
                            {"version", pm->version},
                            {"status", pm->status},
                            {"first_name", first.is_null() ? "" : first["first_name"]},
                            {"last_name", first.is_null() ? "" : first["last_name"]},
                            {"data_sources", sources},
                            {"max_match_probability", pm->max_match_probability},
                            {"results", results},
                            {"persons", persons}};
    });
    return Response::json({{"potential_match", out}});
  });

  r.add(Method::kPost, "/api/v1/matches", empi_write_access(), [&ctx](Request& req) {
    const auto body = req.json_object();
    if (!body.contains("potential_match_id"))
      throw ApiError(ErrorCode::kValidationFailed, "'potential_match_id' is required");
    const auto pm_id = json_positive_id(body["potential_match_id"], "potential_match_id");
    if (!body.contains("potential_match_version"))
      throw ApiError(ErrorCode::kValidationFailed, "'potential_match_version' is required");
    const int pm_version = version_from(body["potential_match_version"], "potential_match_version");
    const auto updates = parse_updates(body);
    std::vector<std::pair<std::int64_t, std::string>> comments;
    if (auto c = body.find("comments"); c != body.end()) {
      if (!c->is_array())
        throw ApiError(ErrorCode::kValidationFailed, "'comments' must be an array");
      for (const auto& item : *c) {
        if (!item.is_object() || !item.contains("comment") || !item["comment"].is_string() ||
            item["comment"].get<std::string>().size() > 4000) {
          throw ApiError(ErrorCode::kValidationFailed,
                         "each comment needs person_record_id and a comment of at most 4000 bytes");
        }
        require_text("each comment", item["comment"].get_ref<const std::string&>(),
                     TextKind::kLines);  // a note: lines
        comments.emplace_back(
            json_positive_id(item.value("person_record_id", nlohmann::json()), "person_record_id"),
            item["comment"].get<std::string>());
      }
    }
    const std::string actor = req.principal->subject;
    ctx.db.transact([&](Tx& tx) {
      const std::int64_t now = ctx.clock.now_ms();
      auto pm = ctx.store.find_potential_match(tx, pm_id);
      if (!pm) throw ApiError(ErrorCode::kNotFound, "no potential match " + std::to_string(pm_id));
      if (pm->status != "open" || pm->version != pm_version ||
          !ctx.store.resolve_potential_match(tx, pm_id, pm_version, now)) {
        throw ApiError(ErrorCode::kConflict, "the potential match changed (version " +
                                                 std::to_string(pm->version) + ", " + pm->status +
                                                 "); reload it and decide again");
      }
      // Who holds what now.
      std::map<std::int64_t, std::int64_t> person_of;  // record -> person
      std::map<std::string, PersonRow> persons;        // uuid -> person
      for (auto pid : ctx.store.potential_match_persons(tx, pm_id)) {
        auto p = ctx.store.find_person(tx, pid);
        if (!p) continue;
        persons[p->uuid] = *p;
        for (const auto& rec : ctx.store.records_of_person(tx, pid)) person_of[rec.id] = pid;
      }
      std::set<std::int64_t> placed;
      std::set<std::int64_t> updated_persons;
      for (const auto& u : updates) {
        if (u.uuid) {
          auto it = persons.find(*u.uuid);
          if (it == persons.end())
            throw ApiError(ErrorCode::kValidationFailed,
                           "a person of the updates is not in this potential match");
          if (!ctx.store.claim_person_version(tx, it->second.id, *u.version, now))
            throw ApiError(ErrorCode::kConflict,
                           "person " + *u.uuid + " changed; reload it and decide again");
          updated_persons.insert(it->second.id);
        }
        for (auto rid : u.records) {
          if (!person_of.contains(rid))
            throw ApiError(ErrorCode::kValidationFailed,
                           "record " + std::to_string(rid) + " is not in this potential match");
          if (!placed.insert(rid).second)
            throw ApiError(ErrorCode::kValidationFailed,
                           "record " + std::to_string(rid) + " is given to two persons");
        }
      }
      for (const auto& [rid, pid] : person_of) {
        if (updated_persons.contains(pid) && !placed.contains(rid))
          throw ApiError(ErrorCode::kValidationFailed,
                         "record " + std::to_string(rid) + " would be left without a person");
      }
      const auto event = ctx.store.create_event(tx, "manual-match", actor, std::nullopt,
                                                {{"potential_match_id", pm_id}}, now);
      std::map<std::int64_t, std::int64_t> final_person = person_of;
      for (const auto& u : updates) {
        const std::int64_t target =
            u.uuid ? persons.at(*u.uuid).id : ctx.store.create_person(tx, now);
        for (auto rid : u.records) {
          if (person_of.at(rid) != target)
            ctx.store.move_record(tx, event, rid, person_of.at(rid), target, now);
          final_person[rid] = target;
          ctx.store.mark_reviewed(tx, rid);
        }
      }
      // Records the reviewer kept apart stay apart: automatic matching will not join them.
      for (auto a = final_person.begin(); a != final_person.end(); ++a) {
        for (auto b = std::next(a); b != final_person.end(); ++b) {
          if (a->second != b->second && placed.contains(a->first) && placed.contains(b->first))
            ctx.store.add_do_not_link(tx, a->first, b->first, event, actor, now);
        }
      }
      for (const auto& [rid, text] : comments) {
        if (!person_of.contains(rid))
          throw ApiError(ErrorCode::kValidationFailed,
                         "comment on record " + std::to_string(rid) +
                             ", which is not in this potential match");
        ctx.store.add_comment(tx, event, rid, actor, text, now);
      }
      AuditEvent e =
          AuditLog::from_request(req, "empi.match", "empi_potential_match", std::to_string(pm_id));
      e.detail = {{"event_id", event}, {"records", placed.size()}};
      ctx.audit.record(tx, e);
    });
    return Response::json(nlohmann::json::object());
  });
}

}  // namespace carehub::empi

// Beyond Tuva: split a person, merge persons, keep two records apart, undo an event, and a
// person's history. Every change is a match event with one action per record moved, checked
// against the versions the caller saw (409 when stale), and audited.
#include <algorithm>
#include <set>

#include "carehub/clock.hpp"
#include "carehub/error.hpp"
#include "carehub/text_check.hpp"
#include "empi/routes.hpp"
#include "empi/views.hpp"

namespace carehub::empi {
namespace {

int version_of(const nlohmann::json& body, const char* key = "version") {
  auto it = body.find(key);
  if (it == body.end() || !it->is_number_integer())
    throw ApiError(ErrorCode::kValidationFailed,
                   std::string("'") + key + "' (the version you saw) is required");
  return it->get<int>();
}

std::optional<std::string> comment_of(const nlohmann::json& body) {
  auto it = body.find("comment");
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string() || it->get<std::string>().size() > 4000)
    throw ApiError(ErrorCode::kValidationFailed,
                   "'comment' must be a string of at most 4000 bytes");
  require_text("comment", it->get_ref<const std::string&>(), TextKind::kLines);  // a note: lines
  return it->get<std::string>();
}

PersonRow person_at_version(Tx& tx, EmpiStore& store, const std::string& uuid, int version,
                            std::int64_t now) {
  auto p = store.find_person_by_uuid(tx, uuid);
  if (!p || p->record_count == 0) throw ApiError(ErrorCode::kNotFound, "no such person");
  if (!store.claim_person_version(tx, p->id, version, now)) {
    throw ApiError(ErrorCode::kConflict, "person " + uuid + " is at version " +
                                             std::to_string(p->version) + "; reload it and retry");
  }
  return *p;
}

std::vector<std::int64_t> record_ids_of(Tx& tx, EmpiStore& store, std::int64_t person) {
  std::vector<std::int64_t> out;
  for (const auto& r : store.records_of_person(tx, person)) out.push_back(r.id);
  return out;
}

void audit(EmpiContext& ctx, Tx& tx, const Request& req, const char* action, const std::string& id,
           std::int64_t event) {
  AuditEvent e = AuditLog::from_request(req, action, "empi_person", id);
  e.detail = {{"event_id", event}};
  ctx.audit.record(tx, e);
}

}  // namespace

void register_edit_routes(Router& r, EmpiContext& ctx) {
  r.add(Method::kPost, "/api/v1/persons/{id}/split", empi_write_access(), [&ctx](Request& req) {
    const auto body = req.json_object();
    const int version = version_of(body);
    auto ids_json = body.find("person_record_ids");
    if (ids_json == body.end() || !ids_json->is_array() || ids_json->empty())
      throw ApiError(ErrorCode::kValidationFailed,
                     "'person_record_ids' (the records to move out) is required");
    std::set<std::int64_t> moving;
    for (const auto& v : *ids_json) moving.insert(json_positive_id(v, "a person record id"));
    const auto comment = comment_of(body);
    auto out = ctx.db.transact([&](Tx& tx) {
      const std::int64_t now = ctx.clock.now_ms();
      const auto person = person_at_version(tx, ctx.store, req.param("id"), version, now);
      const auto all = record_ids_of(tx, ctx.store, person.id);
      for (auto id : moving) {
        if (std::find(all.begin(), all.end(), id) == all.end())
          throw ApiError(ErrorCode::kValidationFailed,
                         "record " + std::to_string(id) + " is not in person " + person.uuid);
      }
      if (moving.size() == all.size())
        throw ApiError(ErrorCode::kValidationFailed,
                       "a split must leave at least one record behind");
      const auto event = ctx.store.create_event(tx, "split", req.principal->subject, std::nullopt,
                                                {{"person", person.uuid}}, now);
      const auto fresh = ctx.store.create_person(tx, now);
      for (auto id : all) {
        if (moving.contains(id)) ctx.store.move_record(tx, event, id, person.id, fresh, now);
        ctx.store.mark_reviewed(tx, id);
        for (auto other : moving) {
          if (!moving.contains(id))
            ctx.store.add_do_not_link(tx, id, other, event, req.principal->subject, now);
        }
        if (comment) ctx.store.add_comment(tx, event, id, req.principal->subject, *comment, now);
      }
      audit(ctx, tx, req, "empi.person.split", person.uuid, event);
      return nlohmann::json{
          {"person", person_detail(tx, ctx.store, *ctx.store.find_person(tx, fresh))},
          {"event_id", std::to_string(event)}};
    });
    return Response::json(out);
  });

  r.add(Method::kPost, "/api/v1/persons/merge", empi_write_access(), [&ctx](Request& req) {
    const auto body = req.json_object();
    auto list = body.find("persons");
    if (list == body.end() || !list->is_array() || list->size() < 2)
      throw ApiError(ErrorCode::kValidationFailed,
                     "'persons' must list at least two {id, version}");
    std::vector<std::pair<std::string, int>> wanted;
    for (const auto& p : *list) {
      if (!p.is_object() || !p.contains("id") || !p["id"].is_string())
        throw ApiError(ErrorCode::kValidationFailed, "each of 'persons' needs an id and a version");
      wanted.emplace_back(p["id"].get<std::string>(), version_of(p));
    }
    const auto comment = comment_of(body);
    auto out = ctx.db.transact([&](Tx& tx) {
      const std::int64_t now = ctx.clock.now_ms();
      std::vector<PersonRow> persons;
      for (const auto& [uuid, version] : wanted) {
        for (const auto& seen : persons) {
          if (seen.uuid == uuid)
            throw ApiError(ErrorCode::kValidationFailed, "a person is listed twice");
        }
        persons.push_back(person_at_version(tx, ctx.store, uuid, version, now));
      }
      const auto target = persons.front();
      auto kept = record_ids_of(tx, ctx.store, target.id);
      const auto event = ctx.store.create_event(tx, "merge", req.principal->subject, std::nullopt,
                                                {{"into", target.uuid}}, now);
      for (std::size_t i = 1; i < persons.size(); ++i) {
        const auto moving = record_ids_of(tx, ctx.store, persons[i].id);
        if (auto apart = ctx.store.do_not_link_between(tx, kept, moving); !apart.empty()) {
          throw ApiError(ErrorCode::kConflict,
                         "records " + std::to_string(apart.front().first) + " and " +
                             std::to_string(apart.front().second) +
                             " are kept apart (do-not-link); undo that first");
        }
        for (auto id : moving) {
          ctx.store.move_record(tx, event, id, persons[i].id, target.id, now);
          kept.push_back(id);
        }
      }
      for (auto id : kept) {
        ctx.store.mark_reviewed(tx, id);
        if (comment) ctx.store.add_comment(tx, event, id, req.principal->subject, *comment, now);
      }
      audit(ctx, tx, req, "empi.person.merge", target.uuid, event);
      return nlohmann::json{
          {"person", person_detail(tx, ctx.store, *ctx.store.find_person(tx, target.id))},
          {"event_id", std::to_string(event)}};
    });
    return Response::json(out);
  });

  r.add(Method::kPost, "/api/v1/do-not-link", empi_write_access(), [&ctx](Request& req) {
    const auto body = req.json_object();
    auto ids = body.find("person_record_ids");
    if (ids == body.end() || !ids->is_array() || ids->size() != 2)
      throw ApiError(ErrorCode::kValidationFailed,
                     "'person_record_ids' must hold the two records to keep apart");
    const auto a = json_positive_id((*ids)[0], "a person record id"),
               b = json_positive_id((*ids)[1], "a person record id");
    if (a == b)
      throw ApiError(ErrorCode::kValidationFailed, "a record cannot be kept apart from itself");
    const auto comment = comment_of(body);
    auto event = ctx.db.transact([&](Tx& tx) {
      const std::int64_t now = ctx.clock.now_ms();
      const auto records = ctx.store.records_by_ids(tx, {a, b});
      if (records.size() != 2) throw ApiError(ErrorCode::kNotFound, "no such person record");
      if (records[0].person_id && records[0].person_id == records[1].person_id)
        throw ApiError(ErrorCode::kConflict,
                       "the two records are one person now; split them first");
      const auto event = ctx.store.create_event(tx, "do-not-link", req.principal->subject,
                                                std::nullopt, {{"records", {a, b}}}, now);
      ctx.store.add_do_not_link(tx, a, b, event, req.principal->subject, now);
      if (comment) ctx.store.add_comment(tx, event, a, req.principal->subject, *comment, now);
      AuditEvent e = AuditLog::from_request(req, "empi.do_not_link", "empi_record",
                                            std::to_string(a) + "," + std::to_string(b));
      ctx.audit.record(tx, e);
      return event;
    });
    return Response::json({{"event_id", std::to_string(event)}}, 201);
  });

  r.add(Method::kPost, "/api/v1/match-events/{id}/undo", empi_write_access(), [&ctx](Request& req) {
    const auto undone_id = parse_positive_id(req.param("id"), "match event id");
    auto out = ctx.db.transact([&](Tx& tx) {
      const std::int64_t now = ctx.clock.now_ms();
      auto event = ctx.store.find_event(tx, undone_id);
      if (!event) throw ApiError(ErrorCode::kNotFound, "no match event " + req.param("id"));
      if (event->type == "undo")
        throw ApiError(ErrorCode::kConflict, "an undo cannot be undone; act again instead");
      const auto undo = ctx.store.create_event(tx, "undo", req.principal->subject, std::nullopt,
                                               {{"undoes", undone_id}}, now);
      if (!ctx.store.mark_undone(tx, undone_id, undo))
        throw ApiError(ErrorCode::kConflict, "event " + req.param("id") + " was already undone");
      ctx.store.set_undoes(tx, undo, undone_id);
      auto actions = ctx.store.actions_of_event(tx, undone_id);
      std::reverse(actions.begin(), actions.end());
      for (const auto& a : actions) {
        const auto now_in = ctx.store.records_by_ids(tx, {a.record_id});
        if (now_in.empty() || now_in[0].person_id != a.to_person_id) {
          throw ApiError(ErrorCode::kConflict, "record " + std::to_string(a.record_id) +
                                                   " has moved since; undo the later events first");
        }
        // A record that was new in that event has nowhere to go back to: it keeps its person.
        if (a.from_person_id && a.to_person_id)
          ctx.store.move_record(tx, undo, a.record_id, a.to_person_id, *a.from_person_id, now);
      }
      ctx.store.remove_do_not_link_of_event(tx, undone_id);
      AuditEvent e = AuditLog::from_request(req, "empi.undo", "empi_match_event", req.param("id"));
      e.detail = {{"undo_event_id", undo}};
      ctx.audit.record(tx, e);
      return nlohmann::json{{"event_id", std::to_string(undo)}, {"undoes", req.param("id")}};
    });
    return Response::json(out);
  });

  r.add(Method::kGet, "/api/v1/persons/{id}/history", empi_read_access(), [&ctx](Request& req) {
    auto out = ctx.db.transact([&](Tx& tx) {
      auto p = ctx.store.find_person_by_uuid(tx, req.param("id"));
      if (!p) throw ApiError(ErrorCode::kNotFound, "no such person");
      nlohmann::json events = nlohmann::json::array();
      auto uuid_of = [&](const std::optional<std::int64_t>& id) -> nlohmann::json {
        if (!id) return nullptr;
        auto person = ctx.store.find_person(tx, *id);
        return person ? nlohmann::json(person->uuid) : nlohmann::json();
      };
      for (const auto& e : ctx.store.events_of_person(tx, p->id)) {
        nlohmann::json actions = nlohmann::json::array();
        for (const auto& a : ctx.store.actions_of_event(tx, e.id)) {
          if (a.from_person_id != p->id && a.to_person_id != p->id) continue;
          actions.push_back({{"person_record_id", std::to_string(a.record_id)},
                             {"from_person_id", uuid_of(a.from_person_id)},
                             {"to_person_id", uuid_of(a.to_person_id)}});
        }
        nlohmann::json comments = nlohmann::json::array();
        for (const auto& [rid, text] : ctx.store.comments_of_event(tx, e.id))
          comments.push_back({{"person_record_id", std::to_string(rid)}, {"comment", text}});
        auto opt = [](const std::optional<std::int64_t>& v) {
          return v ? nlohmann::json(std::to_string(*v)) : nlohmann::json();
        };
        events.push_back({{"id", std::to_string(e.id)},
                          {"type", e.type},
                          {"actor", e.actor},
                          {"created", format_rfc3339_ms(e.created_at_ms)},
                          {"potential_match_id", opt(e.potential_match_id)},
                          {"undoes_event_id", opt(e.undoes_event_id)},
                          {"undone_by_event_id", opt(e.undone_by_event_id)},
                          {"actions", actions},
                          {"comments", comments}});
      }
      ctx.audit.record(tx,
                       AuditLog::from_request(req, "empi.person.history", "empi_person", p->uuid));
      return nlohmann::json{{"person_id", p->uuid}, {"version", p->version}, {"events", events}};
    });
    return Response::json(out);
  });
}

}  // namespace carehub::empi

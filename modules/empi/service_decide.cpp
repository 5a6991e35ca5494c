// The service's decisions: a reviewer's decision on a potential match (Tuva's POST /matches),
// split, merge, keep apart and undo. Each is one match event with an action per record moved,
// checked against the versions the caller saw (a stale one is a 409: of two reviewers deciding at
// once, one wins), and audited.
#include <algorithm>
#include <map>
#include <set>

#include "carehub/error.hpp"
#include "empi/service.hpp"
#include "empi/views.hpp"

namespace carehub::empi {
namespace {

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

void audit_person(AuditLog& audit, Tx& tx, const Actor& actor, const char* action,
                  const std::string& id, std::int64_t event) {
  AuditEvent e = actor.event(action, "empi_person", id);
  e.detail = {{"event_id", event}};
  audit.record(tx, e);
}

}  // namespace

void EmpiService::decide(const Actor& actor, const Decision& d) {
  db_.transact([&](Tx& tx) {
    const std::int64_t now = clock_.now_ms();
    const auto pm_id = d.potential_match_id;
    auto pm = store_.find_potential_match(tx, pm_id);
    if (!pm) throw ApiError(ErrorCode::kNotFound, "no potential match " + std::to_string(pm_id));
    if (pm->status != "open" || pm->version != d.potential_match_version ||
        !store_.resolve_potential_match(tx, pm_id, d.potential_match_version, now)) {
      throw ApiError(ErrorCode::kConflict, "the potential match changed (version " +
                                               std::to_string(pm->version) + ", " + pm->status +
                                               "); reload it and decide again");
    }
    // Who holds what now.
    std::map<std::int64_t, std::int64_t> person_of;  // record -> person
    std::map<std::string, PersonRow> persons;        // uuid -> person
    for (auto pid : store_.potential_match_persons(tx, pm_id)) {
      auto p = store_.find_person(tx, pid);
      if (!p) continue;
      persons[p->uuid] = *p;
      for (const auto& rec : store_.records_of_person(tx, pid)) person_of[rec.id] = pid;
    }
    std::set<std::int64_t> placed;
    std::set<std::int64_t> updated_persons;
    for (const auto& u : d.updates) {
      if (u.uuid) {
        auto it = persons.find(*u.uuid);
        if (it == persons.end())
          throw ApiError(ErrorCode::kValidationFailed,
                         "a person of the updates is not in this potential match");
        if (!store_.claim_person_version(tx, it->second.id, *u.version, now))
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
    for (const auto& [rid, text] : d.comments) {
      if (!person_of.contains(rid))
        throw ApiError(ErrorCode::kValidationFailed, "comment on record " + std::to_string(rid) +
                                                         ", which is not in this potential match");
    }
    const auto event = store_.create_event(tx, "manual-match", actor.subject, std::nullopt,
                                           {{"potential_match_id", pm_id}}, now);
    std::map<std::int64_t, std::int64_t> final_person = person_of;
    for (const auto& u : d.updates) {
      const std::int64_t target = u.uuid ? persons.at(*u.uuid).id : store_.create_person(tx, now);
      for (auto rid : u.records) {
        if (person_of.at(rid) != target)
          store_.move_record(tx, event, rid, person_of.at(rid), target, now);
        final_person[rid] = target;
        store_.mark_reviewed(tx, rid);
      }
    }
    // Records the reviewer kept apart stay apart: automatic matching will not join them.
    for (auto a = final_person.begin(); a != final_person.end(); ++a) {
      for (auto b = std::next(a); b != final_person.end(); ++b) {
        if (a->second != b->second && placed.contains(a->first) && placed.contains(b->first))
          store_.add_do_not_link(tx, a->first, b->first, event, actor.subject, now);
      }
    }
    for (const auto& [rid, text] : d.comments)
      store_.add_comment(tx, event, rid, actor.subject, text, now);
    AuditEvent e = actor.event("empi.match", "empi_potential_match", std::to_string(pm_id));
    e.detail = {{"event_id", event}, {"records", placed.size()}};
    audit_.record(tx, e);
  });
}

nlohmann::json EmpiService::split(const Actor& actor, const std::string& uuid, int version,
                                  const std::set<std::int64_t>& moving,
                                  const std::optional<std::string>& comment) {
  return db_.transact([&](Tx& tx) {
    const std::int64_t now = clock_.now_ms();
    const auto person = person_at_version(tx, store_, uuid, version, now);
    const auto all = record_ids_of(tx, store_, person.id);
    for (auto id : moving) {
      if (std::find(all.begin(), all.end(), id) == all.end())
        throw ApiError(ErrorCode::kValidationFailed,
                       "record " + std::to_string(id) + " is not in person " + person.uuid);
    }
    if (moving.size() == all.size())
      throw ApiError(ErrorCode::kValidationFailed, "a split must leave at least one record behind");
    const auto event = store_.create_event(tx, "split", actor.subject, std::nullopt,
                                           {{"person", person.uuid}}, now);
    const auto fresh = store_.create_person(tx, now);
    for (auto id : all) {
      if (moving.contains(id)) store_.move_record(tx, event, id, person.id, fresh, now);
      store_.mark_reviewed(tx, id);
      for (auto other : moving) {
        if (!moving.contains(id)) store_.add_do_not_link(tx, id, other, event, actor.subject, now);
      }
      if (comment) store_.add_comment(tx, event, id, actor.subject, *comment, now);
    }
    audit_person(audit_, tx, actor, "empi.person.split", person.uuid, event);
    return nlohmann::json{{"person", person_detail(tx, store_, *store_.find_person(tx, fresh))},
                          {"event_id", std::to_string(event)}};
  });
}

nlohmann::json EmpiService::merge(const Actor& actor,
                                  const std::vector<std::pair<std::string, int>>& wanted,
                                  const std::optional<std::string>& comment) {
  return db_.transact([&](Tx& tx) {
    const std::int64_t now = clock_.now_ms();
    std::vector<PersonRow> persons;
    for (const auto& [uuid, version] : wanted) {
      for (const auto& seen : persons) {
        if (seen.uuid == uuid)
          throw ApiError(ErrorCode::kValidationFailed, "a person is listed twice");
      }
      persons.push_back(person_at_version(tx, store_, uuid, version, now));
    }
    const auto target = persons.front();
    auto kept = record_ids_of(tx, store_, target.id);
    const auto event =
        store_.create_event(tx, "merge", actor.subject, std::nullopt, {{"into", target.uuid}}, now);
    for (std::size_t i = 1; i < persons.size(); ++i) {
      const auto moving = record_ids_of(tx, store_, persons[i].id);
      if (auto apart = store_.do_not_link_between(tx, kept, moving); !apart.empty()) {
        throw ApiError(ErrorCode::kConflict, "records " + std::to_string(apart.front().first) +
                                                 " and " + std::to_string(apart.front().second) +
                                                 " are kept apart (do-not-link); undo that first");
      }
      for (auto id : moving) {
        store_.move_record(tx, event, id, persons[i].id, target.id, now);
        kept.push_back(id);
      }
    }
    for (auto id : kept) {
      store_.mark_reviewed(tx, id);
      if (comment) store_.add_comment(tx, event, id, actor.subject, *comment, now);
    }
    audit_person(audit_, tx, actor, "empi.person.merge", target.uuid, event);
    return nlohmann::json{{"person", person_detail(tx, store_, *store_.find_person(tx, target.id))},
                          {"event_id", std::to_string(event)}};
  });
}

std::int64_t EmpiService::keep_apart(const Actor& actor, std::int64_t a, std::int64_t b,
                                     const std::optional<std::string>& comment) {
  if (a == b)
    throw ApiError(ErrorCode::kValidationFailed, "a record cannot be kept apart from itself");
  return db_.transact([&](Tx& tx) {
    const std::int64_t now = clock_.now_ms();
    const auto records = store_.records_by_ids(tx, {a, b});
    if (records.size() != 2) throw ApiError(ErrorCode::kNotFound, "no such person record");
    if (records[0].person_id && records[0].person_id == records[1].person_id)
      throw ApiError(ErrorCode::kConflict, "the two records are one person now; split them first");
    const auto event = store_.create_event(tx, "do-not-link", actor.subject, std::nullopt,
                                           {{"records", {a, b}}}, now);
    store_.add_do_not_link(tx, a, b, event, actor.subject, now);
    if (comment) store_.add_comment(tx, event, a, actor.subject, *comment, now);
    audit_.record(tx, actor.event("empi.do_not_link", "empi_record",
                                  std::to_string(a) + "," + std::to_string(b)));
    return event;
  });
}

nlohmann::json EmpiService::undo(const Actor& actor, std::int64_t undone_id) {
  return db_.transact([&](Tx& tx) {
    const std::int64_t now = clock_.now_ms();
    const auto id_text = std::to_string(undone_id);
    auto event = store_.find_event(tx, undone_id);
    if (!event) throw ApiError(ErrorCode::kNotFound, "no match event " + id_text);
    if (event->type == "undo")
      throw ApiError(ErrorCode::kConflict, "an undo cannot be undone; act again instead");
    const auto undo =
        store_.create_event(tx, "undo", actor.subject, std::nullopt, {{"undoes", undone_id}}, now);
    if (!store_.mark_undone(tx, undone_id, undo))
      throw ApiError(ErrorCode::kConflict, "event " + id_text + " was already undone");
    store_.set_undoes(tx, undo, undone_id);
    auto actions = store_.actions_of_event(tx, undone_id);
    std::reverse(actions.begin(), actions.end());
    std::vector<std::int64_t> moved;
    for (const auto& a : actions) moved.push_back(a.record_id);
    std::map<std::int64_t, std::optional<std::int64_t>> person_now;  // record -> its person now
    for (const auto& r : store_.records_by_ids(tx, moved)) person_now[r.id] = r.person_id;
    for (const auto& a : actions) {
      const auto now_in = person_now.find(a.record_id);
      if (now_in == person_now.end() || now_in->second != a.to_person_id) {
        throw ApiError(ErrorCode::kConflict, "record " + std::to_string(a.record_id) +
                                                 " has moved since; undo the later events first");
      }
      // A record that was new in that event has nowhere to go back to: it keeps its person.
      if (a.from_person_id && a.to_person_id) {
        store_.move_record(tx, undo, a.record_id, a.to_person_id, *a.from_person_id, now);
        now_in->second = a.from_person_id;  // an event may have moved a record more than once
      }
    }
    store_.remove_do_not_link_of_event(tx, undone_id);
    AuditEvent e = actor.event("empi.undo", "empi_match_event", id_text);
    e.detail = {{"undo_event_id", undo}};
    audit_.record(tx, e);
    return nlohmann::json{{"event_id", std::to_string(undo)}, {"undoes", id_text}};
  });
}

}  // namespace carehub::empi

// Handlers of persons: search, read, history, split, merge, keep apart, undo.
#include <set>

#include "carehub/error.hpp"
#include "empi/routes.hpp"

namespace carehub::empi {
namespace {

int version_of(const nlohmann::json& body) {
  return json_version(body.value("version", nlohmann::json()), "version");
}

std::optional<std::string> comment_of(const nlohmann::json& body) {
  return json_comment(body.value("comment", nlohmann::json()), "comment");
}

}  // namespace

Response search_persons(EmpiService& svc, Request& req) {
  PersonQuery q;
  q.limit = req.int_query("limit", kDefaultPageSize, 1, kMaxPageSize);
  q.offset = req.int_query("offset", 0, 0, 1 << 30);
  q.filters = record_filters(req);
  if (auto id = req.query_param("person_id"); id && !id->empty()) q.person_uuid = *id;
  return Response::json(svc.search_persons(Actor::of(req), q));
}

Response get_person(EmpiService& svc, Request& req) {
  return Response::json({{"person", svc.person(Actor::of(req), req.param("id"))}});
}

Response person_history(EmpiService& svc, Request& req) {
  return Response::json(svc.history(Actor::of(req), req.param("id")));
}

Response split_person(EmpiService& svc, Request& req) {
  const auto body = req.json_object();
  const int version = version_of(body);
  auto ids = body.find("person_record_ids");
  if (ids == body.end() || !ids->is_array() || ids->empty())
    throw ApiError(ErrorCode::kValidationFailed,
                   "'person_record_ids' (the records to move out) is required");
  std::set<std::int64_t> moving;
  for (const auto& v : *ids) moving.insert(json_positive_id(v, "a person record id"));
  return Response::json(
      svc.split(Actor::of(req), req.param("id"), version, moving, comment_of(body)));
}

Response merge_persons(EmpiService& svc, Request& req) {
  const auto body = req.json_object();
  auto list = body.find("persons");
  if (list == body.end() || !list->is_array() || list->size() < 2)
    throw ApiError(ErrorCode::kValidationFailed, "'persons' must list at least two {id, version}");
  std::vector<std::pair<std::string, int>> wanted;
  for (const auto& p : *list) {
    if (!p.is_object() || !p.contains("id") || !p["id"].is_string())
      throw ApiError(ErrorCode::kValidationFailed, "each of 'persons' needs an id and a version");
    wanted.emplace_back(p["id"].get<std::string>(), version_of(p));
  }
  return Response::json(svc.merge(Actor::of(req), wanted, comment_of(body)));
}

Response keep_apart(EmpiService& svc, Request& req) {
  const auto body = req.json_object();
  auto ids = body.find("person_record_ids");
  if (ids == body.end() || !ids->is_array() || ids->size() != 2)
    throw ApiError(ErrorCode::kValidationFailed,
                   "'person_record_ids' must hold the two records to keep apart");
  const auto a = json_positive_id((*ids)[0], "a person record id"),
             b = json_positive_id((*ids)[1], "a person record id");
  const auto event = svc.keep_apart(Actor::of(req), a, b, comment_of(body));
  return Response::json({{"event_id", std::to_string(event)}}, 201);
}

Response undo_event(EmpiService& svc, Request& req) {
  const auto id = parse_positive_id(req.param("id"), "match event id");
  return Response::json(svc.undo(Actor::of(req), id));
}

}  // namespace carehub::empi

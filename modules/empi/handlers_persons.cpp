// Handlers of persons: search, read, history, split, merge, keep apart, undo.
#include <set>

#include "carehub/error.hpp"
#include "carehub/text_check.hpp"
#include "empi/routes.hpp"

namespace carehub::empi {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;

int version_of(const nlohmann::json& body, const char* key = "version") {
  auto it = body.find(key);
  if (it == body.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0 ||
      it->get<std::int64_t>() > INT32_MAX)
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

}  // namespace

RecordFilters record_filters(const Request& req) {
  RecordFilters filters;
  for (const char* name :
       {"first_name", "last_name", "birth_date", "source_person_id", "data_source"}) {
    auto v = req.query_param(name);
    if (!v || v->empty()) continue;
    require_text(name, *v, TextKind::kLine);
    auto value = normalize_value(*column_index(name), *v);
    // A value that does not normalise (a birth date half typed: "1987-0") is looked for as the
    // start of the stored text, not refused: a search box is typed into.
    if (value) {
      filters.push_back({name, std::move(value).value(), false});
    } else {
      filters.push_back({name, std::string(*v), true});
    }
  }
  return filters;
}

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

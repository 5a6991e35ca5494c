// Handlers of the review queue: the queue, one potential match, and a reviewer's decision (Tuva's
// POST /api/v1/matches: each person update names the records that person holds afterwards).
#include "carehub/error.hpp"
#include "empi/routes.hpp"

namespace carehub::empi {
namespace {

std::optional<double> probability_query(const Request& req, const char* name) {
  auto v = req.query_param(name);
  if (!v || v->empty()) return std::nullopt;
  double out = 0;
  try {
    std::size_t used = 0;
    out = std::stod(*v, &used);
    if (used != v->size()) throw std::invalid_argument("trailing text");
  } catch (const std::exception&) {
    throw ApiError(ErrorCode::kBadRequest, std::string(name) + " must be a number from 0 to 1");
  }
  if (!(out >= 0 && out <= 1))
    throw ApiError(ErrorCode::kBadRequest, std::string(name) + " must be a number from 0 to 1");
  return out;
}

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
      pu.version = json_version(*v, "version");
    }
    auto recs = u.find("new_person_record_ids");
    if (recs == u.end() || !recs->is_array())
      throw ApiError(ErrorCode::kValidationFailed, "'new_person_record_ids' must be an array");
    for (const auto& r : *recs) pu.records.push_back(json_positive_id(r, "a person record id"));
    out.push_back(std::move(pu));
  }
  return out;
}

std::vector<std::pair<std::int64_t, std::string>> parse_comments(const nlohmann::json& body) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  auto c = body.find("comments");
  if (c == body.end()) return out;
  if (!c->is_array()) throw ApiError(ErrorCode::kValidationFailed, "'comments' must be an array");
  for (const auto& item : *c) {
    if (!item.is_object())
      throw ApiError(ErrorCode::kValidationFailed,
                     "each comment needs person_record_id and comment");
    auto text = json_comment(item.value("comment", nlohmann::json()), "each comment");
    if (!text) throw ApiError(ErrorCode::kValidationFailed, "each comment needs a comment");
    out.emplace_back(
        json_positive_id(item.value("person_record_id", nlohmann::json()), "person_record_id"),
        std::move(*text));
  }
  return out;
}

}  // namespace

Response search_potential_matches(EmpiService& svc, Request& req) {
  PotentialMatchQuery q;
  q.limit = req.int_query("limit", kDefaultPageSize, 1, kMaxPageSize);
  q.offset = req.int_query("offset", 0, 0, 1 << 30);
  q.filters = record_filters(req);
  q.min_probability = probability_query(req, "min_match_probability");
  q.max_probability = probability_query(req, "max_match_probability");
  const auto sort = req.query_param("sort").value_or("probability_desc");
  if (sort != "probability_desc" && sort != "probability_asc")
    throw ApiError(ErrorCode::kBadRequest, "sort must be probability_desc or probability_asc");
  q.ascending = sort == "probability_asc";
  return Response::json(svc.search_potential_matches(Actor::of(req), q));
}

Response get_potential_match(EmpiService& svc, Request& req) {
  const auto id = parse_positive_id(req.param("id"), "the potential match id");
  return Response::json({{"potential_match", svc.potential_match(Actor::of(req), id)}});
}

Response decide_match(EmpiService& svc, Request& req) {
  const auto body = req.json_object();
  Decision d;
  if (!body.contains("potential_match_id"))
    throw ApiError(ErrorCode::kValidationFailed, "'potential_match_id' is required");
  d.potential_match_id = json_positive_id(body["potential_match_id"], "potential_match_id");
  if (!body.contains("potential_match_version"))
    throw ApiError(ErrorCode::kValidationFailed, "'potential_match_version' is required");
  d.potential_match_version =
      json_version(body["potential_match_version"], "potential_match_version");
  d.updates = parse_updates(body);
  d.comments = parse_comments(body);
  svc.decide(Actor::of(req), d);
  return Response::json(nlohmann::json::object());
}

}  // namespace carehub::empi

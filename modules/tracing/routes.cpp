// The tracing module's routes. Who met whom never appears in an answer: a user sees their own
// state, history and tokens; an accept answers with counts.
#include <fmt/format.h>

#include "carehub/error.hpp"
#include "carehub/text_check.hpp"
#include "tracing/module.hpp"
#include "tracing/service.hpp"
#include "tracing/tokens.hpp"

namespace carehub::tracing {
namespace {

std::int64_t caller(const Request& req) {
  const auto id = req.principal->user_id();
  if (!id) throw ApiError(ErrorCode::kForbidden, "contact tracing is for users, not API tokens");
  return *id;
}

const nlohmann::json& field(const nlohmann::json& body, const char* name) {
  static const nlohmann::json kNull;
  auto it = body.find(name);
  return it == body.end() ? kNull : *it;
}

int int_field(const nlohmann::json& body, const char* name, std::optional<int> fallback, int min,
              int max) {
  const auto& v = field(body, name);
  if (v.is_null() && fallback) return *fallback;
  if (!v.is_number_integer() || v.get<std::int64_t>() < min || v.get<std::int64_t>() > max) {
    throw ApiError(ErrorCode::kValidationFailed,
                   fmt::format("'{}' must be an integer from {} to {}", name, min, max));
  }
  return v.get<int>();
}

std::string string_field(const nlohmann::json& body, const char* name, std::size_t max_bytes,
                         bool required) {
  const auto& v = field(body, name);
  if (v.is_null() && !required) return {};
  if (!v.is_string() || (required && v.get<std::string>().empty()) ||
      v.get<std::string>().size() > max_bytes) {
    throw ApiError(ErrorCode::kValidationFailed,
                   fmt::format("'{}' must be a {}string of at most {} bytes", name,
                               required ? "non-empty " : "", max_bytes));
  }
  return v.get<std::string>();
}

// An RFC 3339 time, a YYYY-MM-DD date (midnight UTC) or epoch milliseconds.
std::optional<std::int64_t> time_of(const nlohmann::json& v) {
  if (v.is_number_integer()) return v.get<std::int64_t>();
  if (!v.is_string()) return std::nullopt;
  const auto& s = v.get_ref<const std::string&>();
  if (s.size() == 10) return parse_rfc3339_ms(s + "T00:00:00Z");
  return parse_rfc3339_ms(s);
}

std::vector<MeetingInput> meetings_of(const nlohmann::json& list, std::size_t max) {
  if (!list.is_array())
    throw ApiError(ErrorCode::kValidationFailed, "'meetings' must be a list of {token, timestamp}");
  if (list.size() > max) {
    throw ApiError(
        ErrorCode::kValidationFailed,
        fmt::format("'meetings' holds {} entries; at most {} are accepted", list.size(), max));
  }
  std::vector<MeetingInput> out;
  out.reserve(list.size());
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto& m = list[i];
    const auto token = m.is_object() ? m.find("token") : m.end();
    const auto at = m.is_object() ? time_of(field(m, "timestamp")) : std::nullopt;
    if (!m.is_object() || token == m.end() || !token->is_string() ||
        token->get_ref<const std::string&>().empty() ||
        token->get_ref<const std::string&>().size() > 256 || !at) {
      throw ApiError(
          ErrorCode::kValidationFailed,
          fmt::format("meetings[{}] must be {{\"token\": a string, \"timestamp\": an RFC 3339 "
                      "time or epoch milliseconds}}",
                      i));
    }
    out.push_back(MeetingInput{token->get<std::string>(), *at});
  }
  return out;
}

nlohmann::json profile_status_json(const Profile& p) {
  return {{"status_id", p.status_id},
          {"status_changed_on", format_rfc3339_ms(p.status_changed_on_ms)}};
}

const char* code_state_name(CodeState state) {
  switch (state) {
    case CodeState::kUsed: return "used";
    case CodeState::kExpired: return "expired";
    case CodeState::kUnused: break;
  }
  return "unused";
}

std::string day_name(std::int64_t day) {
  return format_rfc3339_ms(day * kDayMs).substr(0, 10);
}

// The caller's own codes: the code itself is not kept (only its hash), nor who used it.
Response issued_codes(TracingService& svc, Request& req) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& [c, state] :
       svc.issued_codes(req, caller(req), req.int_query("limit", 50, 1, 500),
                        req.int_query("offset", 0, 0, 1 << 30))) {
    items.push_back(
        {{"status_id", c.status_id},
         {"status_changed_on", format_rfc3339_ms(c.status_changed_on_ms)},
         {"comment", c.comment},
         {"created_at", format_rfc3339_ms(c.created_at_ms)},
         {"expires_at", format_rfc3339_ms(c.expires_at_ms)},
         {"used", state == CodeState::kUsed},
         {"used_at", c.used_at_ms ? nlohmann::json(format_rfc3339_ms(*c.used_at_ms)) : nullptr},
         {"state", code_state_name(state)}});
  }
  // The states too, so the screen names them without reading (and so making) a tracing profile.
  return Response::json({{"items", items}, {"statuses", svc.settings().states.to_json()}});
}

// Counts only: never a user, a name or a token.
Response overview(TracingService& svc, Request& req) {
  const auto o = svc.overview(req);
  nlohmann::json states = nlohmann::json::array();
  for (const auto& [state, users] : o.users_per_state)
    states.push_back({{"status_id", state->id}, {"status", state->name}, {"users", users}});
  nlohmann::json days = nlohmann::json::array();
  for (const auto& d : o.exposures_per_day)
    days.push_back({{"day", day_name(d.key)}, {"exposures", d.count}});
  return Response::json({{"users_per_state", states},
                         {"users_in_unknown_state", o.users_in_unknown_state},
                         {"exposures_per_day", days},
                         {"retention_days", o.retention_days}});
}

}  // namespace

void register_tracing_routes(Router& r, TracingService& svc) {
  r.add(Method::kGet, "/api/v1/tracing/profile", Access::signed_in(),
        [&svc](Request& req) { return Response::json(svc.profile_json(req, caller(req))); });

  r.add(Method::kGet, "/api/v1/tracing/history", Access::signed_in(), [&svc](Request& req) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& h : svc.history(req, caller(req), req.int_query("limit", 50, 1, 500),
                                     req.int_query("offset", 0, 0, 1 << 30))) {
      items.push_back({{"from_status", h.from_status},
                       {"to_status", h.to_status},
                       {"changed_on", format_rfc3339_ms(h.changed_on_ms)},
                       {"cause", h.cause},
                       {"recorded_at", format_rfc3339_ms(h.recorded_at_ms)}});
    }
    return Response::json({{"items", items}});
  });

  r.add(Method::kGet, "/api/v1/tracing/tokens", Access::signed_in(), [&svc](Request& req) {
    const int days = req.int_query("days", 1, 1, svc.settings().token_days_max);
    return Response::json(svc.tokens(req, caller(req), days));
  });

  r.add(Method::kPost, "/api/v1/tracing/health-security-ids", Access::admin(),
        [&svc](Request& req) {
          const auto body = req.json_object();
          const int count = int_field(body, "count", 1, 1, 1000);
          const int length = int_field(body, "length", 12, 8, 32);
          return Response::json({{"health_security_ids", svc.issue_health_ids(req, count, length)}},
                                201);
        });

  r.add(Method::kPost, "/api/v1/tracing/medical/register", Access::signed_in(),
        [&svc](Request& req) {
          const auto body = req.json_object();
          const auto id = string_field(body, "health_security_id", 64, true);
          const auto roles = svc.redeem_health_id(req, caller(req), id);
          return Response::json(
              {{"roles", roles},
               {"message",
                "the medical role is granted; refresh the session (POST /api/v1/auth/refresh) "
                "to use it"}});
        });

  r.add(Method::kPost, "/api/v1/tracing/status-changes", Access::roles({"medical"}),
        [&svc](Request& req) {
          const auto body = req.json_object();
          const int status_id = int_field(body, "status_id", std::nullopt, 1, 1 << 30);
          const auto on = time_of(field(body, "status_changed_on"));
          if (!on) {
            throw ApiError(ErrorCode::kValidationFailed,
                           "'status_changed_on' must be an RFC 3339 time or a YYYY-MM-DD date");
          }
          const auto comment = string_field(body, "comment", 2000, false);
          require_text("comment", comment, TextKind::kLines);  // a note for the record: lines
          auto [code, expires] = svc.create_code(req, caller(req), status_id, *on, comment);
          return Response::json(
              {{"medical_code", code}, {"expires_at", format_rfc3339_ms(expires)}}, 201);
        });

  r.add(Method::kGet, "/api/v1/tracing/status-changes", Access::roles({"medical"}),
        [&svc](Request& req) { return issued_codes(svc, req); });

  r.add(Method::kGet, "/api/v1/tracing/overview", Access::admin(),
        [&svc](Request& req) { return overview(svc, req); });

  RouteOptions accept_options;
  accept_options.body_limit = svc.settings().max_meetings * 256 + 4096;
  r.add(
      Method::kPost, "/api/v1/tracing/status-changes/accept", Access::signed_in(),
      [&svc](Request& req) {
        const auto body = req.json_object();
        const auto code = string_field(body, "medical_code", 64, true);
        std::optional<std::vector<MeetingInput>> meetings;
        if (!field(body, "meetings").is_null())
          meetings = meetings_of(body["meetings"], svc.settings().max_meetings);
        const auto out = svc.accept(req, caller(req), code, meetings);
        nlohmann::json answer = profile_status_json(out.profile);
        answer["meetings"] = {{"received", out.received},
                              {"stored", out.stored},
                              {"skipped_unknown_token", out.unknown_token},
                              {"skipped_out_of_window", out.out_of_window}};
        answer["contact_discovery"] = out.event_id.has_value();
        return Response::json(answer);
      },
      accept_options);

  r.add(Method::kPut, "/api/v1/tracing/users/{id}/status", Access::admin(), [&svc](Request& req) {
    const auto user = parse_positive_id(req.param("id"), "user id");
    const auto body = req.json_object();
    const int status_id = int_field(body, "status_id", std::nullopt, 1, 1 << 30);
    return Response::json(profile_status_json(svc.set_status_by_admin(req, user, status_id)));
  });

  r.add(Method::kGet, "/api/v1/tracing/recommendations", Access::signed_in(), [&svc](Request& req) {
    const auto lang = req.query_param("lang").value_or("en");
    const auto langs = svc.languages();
    if (std::find(langs.begin(), langs.end(), lang) == langs.end()) {
      throw ApiError(ErrorCode::kBadRequest,
                     fmt::format("lang must be one of {}", fmt::join(langs, ", ")));
    }
    const auto status = req.query_param("status_id");
    if (!status) throw ApiError(ErrorCode::kBadRequest, "status_id is required");
    const auto id = parse_positive_id(*status, "status_id");
    const State* state = svc.settings().states.find(static_cast<int>(id));
    if (!state) throw ApiError(ErrorCode::kNotFound, fmt::format("no state with id {}", id));
    const auto& advice = svc.texts(lang).at("recommendations");
    const auto key = std::to_string(state->id);
    return Response::json(
        {{"status_id", state->id},
         {"status", state->name},
         {"lang", lang},
         {"recommendations", advice.contains(key) ? advice.at(key) : nlohmann::json::array()}});
  });
}

}  // namespace carehub::tracing

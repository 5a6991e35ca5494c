#include "tracing/service.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "carehub/accounts.hpp"
#include "carehub/error.hpp"
#include "carehub/texts.hpp"
#include "tracing/tokens.hpp"

namespace carehub::tracing {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;

// What people type: upper-cased, spaces and dashes dropped.
std::string normalise_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == ' ' || c == '-') continue;
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out;
}

AuditEvent audit_event(const Request& request, std::string action, std::int64_t user_id) {
  return AuditLog::from_request(request, std::move(action), "tracing_user",
                                std::to_string(user_id));
}

}  // namespace

TracingService::TracingService(TracingSettings settings, ModuleContext& ctx)
    : settings_(std::move(settings)),
      db_(ctx.db),
      jobs_(ctx.jobs),
      audit_(ctx.audit),
      clock_(ctx.clock),
      services_(ctx.services),
      code_key_(ctx.db, "tracing.codes"),
      code_limiter_(ctx.clock, settings_.codes_per_hour, kHourMs),
      accept_limiter_(ctx.clock, settings_.accepts_per_hour, kHourMs),
      redeem_limiter_(ctx.clock, settings_.redemptions_per_hour, kHourMs) {
  for (const char* lang : {"en", "es"}) {
    auto text = shipped_text(std::string("tracing/") + lang + ".json");
    if (!text) throw std::logic_error(std::string("tracing texts missing for ") + lang);
    texts_[lang] = nlohmann::json::parse(*text);
  }
}

const nlohmann::json& TracingService::texts(const std::string& lang) const {
  auto it = texts_.find(lang);
  return it == texts_.end() ? texts_.at("en") : it->second;
}

std::vector<std::string> TracingService::languages() const {
  std::vector<std::string> out;
  for (const auto& [lang, _] : texts_) out.push_back(lang);
  return out;
}

void TracingService::limit(RateLimiter& limiter, const std::string& key, const char* what) {
  if (const auto wait_ms = limiter.hit(key); wait_ms > 0) {
    throw ApiError(ErrorCode::kTooManyRequests, fmt::format("too many {}; try again later", what))
        .with_header("Retry-After", std::to_string((wait_ms + 999) / 1000));
  }
}

Profile TracingService::ensure_profile(Tx& tx, std::int64_t user_id) {
  auto [profile, created] =
      store_.ensure_profile(tx, user_id, settings_.initial_status, clock_.now_ms());
  if (created) {
    store_.add_token(tx, token_hash(static_token(profile.token_secret)), user_id, std::nullopt);
  }
  return profile;
}

nlohmann::json TracingService::profile_json(const Request& request, std::int64_t user_id) {
  std::optional<AccountInfo> account;
  const auto p = db_.transact([&](Tx& tx) {
    auto profile = ensure_profile(tx, user_id);
    if (auto* accounts = services_.accounts.get()) account = accounts->find(tx, user_id);
    audit_.record(tx, audit_event(request, "tracing.profile.read", user_id));
    return profile;
  });
  nlohmann::json out = {{"status_id", p.status_id},
                        {"status_changed_on", format_rfc3339_ms(p.status_changed_on_ms)},
                        {"username", account && account->username ? *account->username
                                     : account && account->email  ? *account->email
                                                                  : request.principal->email},
                        {"roles", account ? account->roles : request.principal->roles},
                        {"statuses", settings_.states.to_json()},
                        {"broadcast_token", static_token(p.token_secret)}};
  return out;
}

std::vector<HistoryRow> TracingService::history(const Request& request, std::int64_t user_id,
                                                int limit_rows, int offset) {
  return db_.transact([&](Tx& tx) {
    auto rows = store_.history(tx, user_id, limit_rows, offset);
    audit_.record(tx, audit_event(request, "tracing.history.read", user_id));
    return rows;
  });
}

nlohmann::json TracingService::tokens(const Request& /*request*/, std::int64_t user_id, int days) {
  const std::int64_t today = day_of(clock_.now_ms());
  nlohmann::json list = nlohmann::json::array();
  std::string secret;
  db_.transact([&](Tx& tx) {
    list = nlohmann::json::array();
    secret = ensure_profile(tx, user_id).token_secret;
    for (std::int64_t day = today; day < today + days; ++day) {
      const auto token = day_token(secret, day);
      store_.add_token(tx, token_hash(token), user_id, day);
      list.push_back({{"day", format_rfc3339_ms(day * kDayMs).substr(0, 10)},
                      {"token", token},
                      {"valid_from", format_rfc3339_ms(day * kDayMs)},
                      {"valid_until", format_rfc3339_ms((day + 1) * kDayMs)}});
    }
  });
  return {{"static_token", static_token(secret)}, {"tokens", list}};
}

std::vector<std::string> TracingService::issue_health_ids(const Request& request, int count,
                                                          std::size_t length) {
  const auto admin = request.principal->user_id().value_or(0);
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) ids.push_back(random_code(kCodeAlphabet, length));
  std::vector<std::string> hashes;
  for (const auto& id : ids) hashes.push_back(code_key_.hash("health-id:" + id));
  db_.transact([&](Tx& tx) {
    const auto now = clock_.now_ms();
    for (const auto& h : hashes) store_.add_health_id(tx, h, admin, now);
    AuditEvent e = AuditLog::from_request(request, "tracing.health_ids.issue", "tracing", "");
    e.detail = {{"count", count}};
    audit_.record(tx, e);
  });
  return ids;
}

std::vector<std::string> TracingService::redeem_health_id(const Request& request,
                                                          std::int64_t user_id,
                                                          const std::string& health_id) {
  auto* accounts = services_.accounts.get();
  if (!accounts) throw ApiError(ErrorCode::kUnavailable, "accounts are not available");
  limit(redeem_limiter_, std::to_string(user_id), "health-security id attempts");
  const auto hash = code_key_.hash("health-id:" + normalise_code(health_id));
  return db_.transact([&](Tx& tx) {
    auto account = accounts->find(tx, user_id);
    if (!account) throw ApiError(ErrorCode::kForbidden, "no account for this user");
    if (std::find(account->roles.begin(), account->roles.end(), "medical") !=
        account->roles.end()) {
      throw ApiError(ErrorCode::kConflict, "this user already has the medical role");
    }
    if (!store_.redeem_health_id(tx, hash, user_id, clock_.now_ms())) {
      throw ApiError(ErrorCode::kNotFound, "health-security id not found or already used");
    }
    accounts->grant_role(tx, user_id, "medical");
    audit_.record(tx, audit_event(request, "tracing.medical.register", user_id));
    return accounts->find(tx, user_id)->roles;
  });
}

std::pair<std::string, std::int64_t> TracingService::create_code(const Request& request,
                                                                 std::int64_t user_id,
                                                                 int status_id,
                                                                 std::int64_t changed_on_ms,
                                                                 const std::string& comment) {
  if (!settings_.states.find(status_id))
    throw ApiError(ErrorCode::kValidationFailed, fmt::format("no state with id {}", status_id));
  const auto now = clock_.now_ms();
  if (changed_on_ms > now + settings_.clock_skew_ms)
    throw ApiError(ErrorCode::kValidationFailed, "'status_changed_on' is in the future");
  if (changed_on_ms < now - settings_.retention_ms)
    throw ApiError(ErrorCode::kValidationFailed,
                   "'status_changed_on' is older than the retention window");
  limit(code_limiter_, std::to_string(user_id), "status-change codes");
  const auto code = random_code(kCodeAlphabet, settings_.code_length);
  Code c{user_id, status_id, changed_on_ms, comment, now + settings_.code_ttl_ms};
  const auto hash = code_key_.hash("code:" + code);  // may read the key: not inside the unit
  db_.transact([&](Tx& tx) {
    store_.add_code(tx, hash, c, now);
    AuditEvent e = AuditLog::from_request(request, "tracing.code.create", "tracing", "");
    e.detail = {{"status_id", status_id}};
    audit_.record(tx, e);
  });
  return {code, c.expires_at_ms};
}

std::vector<IssuedCodeView> TracingService::issued_codes(const Request& request,
                                                         std::int64_t user_id, int limit_rows,
                                                         int offset) {
  const auto rows = db_.transact([&](Tx& tx) {
    auto codes = store_.codes_by(tx, user_id, limit_rows, offset);
    audit_.record(tx, audit_event(request, "tracing.codes.read", user_id));
    return codes;
  });
  const auto now = clock_.now_ms();
  std::vector<IssuedCodeView> out;
  for (const auto& c : rows) {
    const auto state = c.used_at_ms             ? CodeState::kUsed
                       : c.expires_at_ms <= now ? CodeState::kExpired
                                                : CodeState::kUnused;
    out.push_back(IssuedCodeView{c, state});
  }
  return out;
}

Overview TracingService::overview(const Request& request) {
  const auto now = clock_.now_ms();
  const std::int64_t first_day = day_of(std::max<std::int64_t>(0, now - settings_.retention_ms));
  const std::int64_t today = day_of(now);
  auto [users, exposures] = db_.transact([&](Tx& tx) {
    auto u = store_.users_per_state(tx);
    auto e = store_.exposures_per_day(tx, first_day * kDayMs);
    audit_.record(tx, AuditLog::from_request(request, "tracing.overview.read", "tracing", ""));
    return std::pair{std::move(u), std::move(e)};
  });
  Overview out;
  out.retention_days = settings_.retention_ms / kDayMs;
  for (const auto& state : settings_.states.all()) out.users_per_state.emplace_back(&state, 0);
  for (const auto& row : users) {
    auto it = std::find_if(out.users_per_state.begin(), out.users_per_state.end(),
                           [&](const auto& entry) { return entry.first->id == row.key; });
    if (it == out.users_per_state.end())
      out.users_in_unknown_state += row.count;
    else
      it->second = row.count;
  }
  // Every day of the window, so a chart or a table has no gaps; meetings a little in the
  // future (phones' clocks) count on their own day past today.
  std::map<std::int64_t, std::int64_t> per_day;
  for (std::int64_t day = first_day; day <= today; ++day) per_day[day] = 0;
  for (const auto& row : exposures) per_day[row.key] += row.count;
  for (const auto& [day, n] : per_day) out.exposures_per_day.push_back(CountBy{day, n});
  return out;
}

AcceptOutcome TracingService::accept(const Request& request, std::int64_t user_id,
                                     const std::string& code,
                                     const std::optional<std::vector<MeetingInput>>& meetings) {
  limit(accept_limiter_, std::to_string(user_id), "status-change attempts");
  const auto hash = code_key_.hash("code:" + normalise_code(code));
  std::vector<std::string> hashes;
  if (meetings) {
    for (const auto& m : *meetings) hashes.push_back(token_hash(m.token));
  }
  return db_.transact([&](Tx& tx) {
    const auto now = clock_.now_ms();
    auto [claim, claimed] = store_.claim_code(tx, hash, user_id, now);
    if (claim == ClaimResult::kExpired)
      throw ApiError(ErrorCode::kGone, "code expired; ask for a new one");
    if (claim != ClaimResult::kClaimed)
      throw ApiError(ErrorCode::kNotFound, "code not found or already used");
    const State* state = settings_.states.find(claimed->status_id);
    if (!state) throw ApiError(ErrorCode::kConflict, "the code's state is no longer configured");
    if (state->contact_discovery && !meetings) {
      throw ApiError(ErrorCode::kValidationFailed,
                     "'meetings' is required: the new state requires contact discovery");
    }
    if (!state->contact_discovery && meetings && !meetings->empty()) {
      throw ApiError(ErrorCode::kValidationFailed,
                     "'meetings' is refused: the new state does not require contact discovery");
    }
    AcceptOutcome out;
    const Profile before = ensure_profile(tx, user_id);
    store_.set_status(tx, before, state->id, claimed->status_changed_on_ms, "medical_code", now);
    out.profile = before;
    out.profile.status_id = state->id;
    out.profile.status_changed_on_ms = claimed->status_changed_on_ms;
    if (state->contact_discovery) {
      out.received = meetings->size();
      const auto event_id =
          store_.add_event(tx, user_id, state->id, claimed->status_changed_on_ms, now);
      out.event_id = event_id;
      std::unordered_map<std::string, std::optional<TokenOwner>> owners;
      for (std::size_t i = 0; i < meetings->size(); ++i) {
        const auto at = (*meetings)[i].at_ms;
        if (at < now - settings_.retention_ms || at > now + settings_.clock_skew_ms) {
          ++out.out_of_window;
          continue;
        }
        auto it = owners.find(hashes[i]);
        if (it == owners.end())
          it = owners.emplace(hashes[i], store_.token_owner(tx, hashes[i])).first;
        const auto& owner = it->second;
        // A rotating token counts on its own day, give or take one (phones' clocks and zones).
        if (!owner || owner->user_id == user_id ||
            (owner->day && std::abs(*owner->day - day_of(at)) > 1)) {
          ++out.unknown_token;
          continue;
        }
        store_.add_meeting(tx, event_id, owner->user_id, at);
        ++out.stored;
      }
      JobSpec trace;
      trace.type = kTraceJob;
      trace.queue = "tracing";
      trace.payload = {{"event_id", event_id}};
      trace.idempotency_key = fmt::format("{}:{}", kTraceJob, event_id);
      jobs_.enqueue(tx, trace);
    }
    AuditEvent e = audit_event(request, "tracing.status.change", user_id);
    e.detail = {{"to_status", state->id}, {"cause", "medical_code"}, {"meetings", out.stored}};
    audit_.record(tx, e);
    return out;
  });
}

Profile TracingService::set_status_by_admin(const Request& request, std::int64_t user_id,
                                            int status_id) {
  if (!settings_.states.find(status_id))
    throw ApiError(ErrorCode::kValidationFailed, fmt::format("no state with id {}", status_id));
  return db_.transact([&](Tx& tx) {
    auto* accounts = services_.accounts.get();
    if (accounts && !accounts->find(tx, user_id))
      throw ApiError(ErrorCode::kNotFound, fmt::format("no user {}", user_id));
    const auto now = clock_.now_ms();
    Profile p = ensure_profile(tx, user_id);
    if (p.status_id != status_id) {
      store_.set_status(tx, p, status_id, now, "admin", now);
      p.status_id = status_id;
      p.status_changed_on_ms = now;
    }
    AuditEvent e = audit_event(request, "tracing.status.change", user_id);
    e.detail = {{"to_status", status_id}, {"cause", "admin"}};
    audit_.record(tx, e);
    return p;
  });
}

void TracingService::load_keys() {
  code_key_.get();
}

}  // namespace carehub::tracing

// Contact tracing's rules, between the routes and the store: profiles and broadcast tokens,
// health-security ids and the medical role, status-change codes and their acceptance with
// meetings, and the jobs that find contacts and alert them.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "carehub/module.hpp"
#include "carehub/rate_limit.hpp"
#include "carehub/server_keys.hpp"
#include "tracing/states.hpp"
#include "tracing/store.hpp"

namespace carehub::tracing {

inline constexpr const char* kTraceJob = "tracing.trace";
inline constexpr const char* kExposeJob = "tracing.expose";
inline constexpr const char* kRetentionJob = "tracing.retention";
// Single-use codes and health-security ids use this alphabet: no 0/O, 1/I/L, 8/B.
inline constexpr std::string_view kCodeAlphabet = "2345679ACDEFGHJKMNPQRSTUVWXYZ";

struct TracingSettings {
  States states;
  int initial_status = 1;
  int exposure_status = 2;
  std::int64_t contact_window_ms = 14 * 86'400'000LL;
  std::int64_t retention_ms = 14 * 86'400'000LL;
  std::int64_t code_ttl_ms = 24 * 3'600'000LL;
  std::size_t code_length = 10;
  std::size_t max_meetings = 10000;
  std::size_t exposure_batch = 500;
  int token_days_max = 14;
  std::int64_t clock_skew_ms = 10 * 60'000;  // meetings this far in the future still count
  int codes_per_hour = 100;                  // status-change codes one medical user may create
  int accepts_per_hour = 10;                 // acceptance attempts per user
  int redemptions_per_hour = 10;             // health-security id attempts per user
};

struct MeetingInput {
  std::string token;
  std::int64_t at_ms = 0;
};

enum class CodeState { kUnused, kUsed, kExpired };

struct IssuedCodeView {
  IssuedCode code;
  CodeState state = CodeState::kUnused;
};

// Counts only: how many users are in each configured state, and exposures per UTC day over the
// retention window (oldest first, days without any included as 0).
struct Overview {
  std::vector<std::pair<const State*, std::int64_t>> users_per_state;
  std::int64_t users_in_unknown_state = 0;  // a state removed from the config since
  std::vector<CountBy> exposures_per_day;   // key: UTC day number
  std::int64_t retention_days = 0;
};

struct AcceptOutcome {
  Profile profile;  // after the change
  std::size_t received = 0, stored = 0, unknown_token = 0, out_of_window = 0;
  std::optional<std::int64_t> event_id;
};

class TracingService {
 public:
  TracingService(TracingSettings settings, ModuleContext& ctx);
  // Reads (or makes) the server keys, so no request's unit of work is the first to.
  void load_keys();

  const TracingSettings& settings() const { return settings_; }
  nlohmann::json profile_json(const Request& request, std::int64_t user_id);
  std::vector<HistoryRow> history(const Request& request, std::int64_t user_id, int limit,
                                  int offset);
  // Today's and the next days' rotating tokens (registered so meetings resolve), and the static
  // one.
  nlohmann::json tokens(const Request& request, std::int64_t user_id, int days);

  std::vector<std::string> issue_health_ids(const Request& request, int count, std::size_t length);
  // The caller gains the medical role; returns its roles after.
  std::vector<std::string> redeem_health_id(const Request& request, std::int64_t user_id,
                                            const std::string& health_id);

  // {medical_code, expires_at_ms}
  std::pair<std::string, std::int64_t> create_code(const Request& request, std::int64_t user_id,
                                                   int status_id, std::int64_t changed_on_ms,
                                                   const std::string& comment);
  // The codes user_id issued, newest first, each unused, used or expired now.
  std::vector<IssuedCodeView> issued_codes(const Request& request, std::int64_t user_id, int limit,
                                           int offset);
  Overview overview(const Request& request);
  AcceptOutcome accept(const Request& request, std::int64_t user_id, const std::string& code,
                       const std::optional<std::vector<MeetingInput>>& meetings);
  Profile set_status_by_admin(const Request& request, std::int64_t user_id, int status_id);

  // Job handlers.
  nlohmann::json run_trace(JobContext& job);
  nlohmann::json run_expose(JobContext& job);
  nlohmann::json run_retention(JobContext& job);

  const nlohmann::json& texts(const std::string& lang) const;  // en when lang is unknown
  std::vector<std::string> languages() const;

 private:
  void limit(RateLimiter& limiter, const std::string& key, const char* what);
  Profile ensure_profile(Tx& tx, std::int64_t user_id);
  bool expose_one(Tx& tx, const Event& event, std::int64_t contact_user_id);

  TracingSettings settings_;
  Database& db_;
  JobQueue& jobs_;
  AuditLog& audit_;
  const Clock& clock_;
  Services& services_;
  TracingStore store_;
  ServerKey code_key_;
  RateLimiter code_limiter_, accept_limiter_, redeem_limiter_;
  std::map<std::string, nlohmann::json> texts_;
};

}  // namespace carehub::tracing

// The tracing module's tables. SQL lives here and nowhere else in the module; every function runs
// inside the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "carehub/db.hpp"

namespace carehub::tracing {

struct Profile {
  std::int64_t user_id = 0;
  int status_id = 0;
  std::int64_t status_changed_on_ms = 0;
  std::string token_secret;  // what the user's broadcast tokens are derived from
};

struct HistoryRow {
  int from_status = 0, to_status = 0;
  std::int64_t changed_on_ms = 0;
  std::string cause;  // medical_code, exposure, admin
  std::int64_t recorded_at_ms = 0;
};

struct TokenOwner {
  std::int64_t user_id = 0;
  std::optional<std::int64_t> day;  // rotating tokens: the UTC day number it is valid on
};

struct Code {
  std::int64_t created_by = 0;
  int status_id = 0;
  std::int64_t status_changed_on_ms = 0;
  std::string comment;
  std::int64_t expires_at_ms = 0;
};

struct Event {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  int status_id = 0;
  std::int64_t status_on_ms = 0;
  std::optional<std::int64_t> traced_at_ms;
};

struct Contact {
  std::int64_t user_id = 0;
  std::int64_t met_at_ms = 0;  // the latest meeting
};

// A code as its issuer sees it in their list: never the code itself (only its hash is kept), nor
// who used it.
struct IssuedCode {
  int status_id = 0;
  std::int64_t status_changed_on_ms = 0;
  std::string comment;
  std::int64_t created_at_ms = 0, expires_at_ms = 0;
  std::optional<std::int64_t> used_at_ms;
};

// Counts for the overview: users per state id, exposures per UTC day number.
struct CountBy {
  std::int64_t key = 0, count = 0;
};

enum class ClaimResult { kClaimed, kUnknownOrUsed, kExpired };

struct PurgeCounts {
  std::int64_t meetings = 0, exposures = 0, events = 0, tokens = 0, codes = 0, health_ids = 0;
};

class TracingStore {
 public:
  std::optional<Profile> profile(Tx& tx, std::int64_t user_id);
  // The profile, created in initial_status if missing (then second is true).
  std::pair<Profile, bool> ensure_profile(Tx& tx, std::int64_t user_id, int initial_status,
                                          std::int64_t now_ms);
  void set_status(Tx& tx, const Profile& before, int to_status, std::int64_t changed_on_ms,
                  const std::string& cause, std::int64_t now_ms);
  std::vector<HistoryRow> history(Tx& tx, std::int64_t user_id, int limit, int offset);

  void add_token(Tx& tx, const std::string& token_hash, std::int64_t user_id,
                 std::optional<std::int64_t> day);
  std::optional<TokenOwner> token_owner(Tx& tx, const std::string& token_hash);

  void add_health_id(Tx& tx, const std::string& id_hash, std::int64_t created_by,
                     std::int64_t now_ms);
  // One conditional update: of two racing redemptions exactly one returns true.
  bool redeem_health_id(Tx& tx, const std::string& id_hash, std::int64_t user_id,
                        std::int64_t now_ms);

  void add_code(Tx& tx, const std::string& code_hash, const Code& code, std::int64_t now_ms);
  // One conditional update claims an unused, unexpired code for user_id.
  std::pair<ClaimResult, std::optional<Code>> claim_code(Tx& tx, const std::string& code_hash,
                                                         std::int64_t user_id, std::int64_t now_ms);

  // The codes created_by issued, newest first.
  std::vector<IssuedCode> codes_by(Tx& tx, std::int64_t created_by, int limit, int offset);
  std::vector<CountBy> users_per_state(Tx& tx);
  // Exposures by the UTC day of the meeting, from from_ms on.
  std::vector<CountBy> exposures_per_day(Tx& tx, std::int64_t from_ms);

  std::int64_t add_event(Tx& tx, std::int64_t user_id, int status_id, std::int64_t status_on_ms,
                         std::int64_t now_ms);
  std::optional<Event> event(Tx& tx, std::int64_t id);
  void add_meeting(Tx& tx, std::int64_t event_id, std::int64_t contact_user_id,
                   std::int64_t met_at_ms);
  // Everyone met between from_ms and to_ms except the reporter, once each with the latest
  // meeting, by user id.
  std::vector<Contact> contacts(Tx& tx, const Event& event, std::int64_t from_ms,
                                std::int64_t to_ms);
  // Records the exposure of each contact (a no-op for those already there) and marks the event
  // traced.
  void add_exposures(Tx& tx, const Event& event, const std::vector<Contact>& contacts,
                     std::int64_t now_ms);
  // The exposure of contact_user_id through event_id when not applied yet.
  std::optional<Contact> pending_exposure(Tx& tx, std::int64_t event_id,
                                          std::int64_t contact_user_id);
  void mark_exposure_applied(Tx& tx, std::int64_t event_id, std::int64_t contact_user_id,
                             bool changed, std::int64_t now_ms);

  PurgeCounts purge(Tx& tx, std::int64_t before_ms, std::int64_t before_day, std::int64_t now_ms);
};

}  // namespace carehub::tracing

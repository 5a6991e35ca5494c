#include "tracing/store.hpp"

#include "carehub/hash.hpp"

namespace carehub::tracing {
namespace {

Profile profile_from(const Row& r) {
  return Profile{r.integer(0), static_cast<int>(r.integer(1)), r.integer(2), r.text(3)};
}

}  // namespace

std::optional<Profile> TracingStore::profile(Tx& tx, std::int64_t user_id) {
  auto row = tx.query_one(
      "SELECT user_id, status_id, status_changed_on_ms, token_secret FROM tracing_users "
      "WHERE user_id = $1",
      {user_id});
  if (!row) return std::nullopt;
  return profile_from(*row);
}

std::pair<Profile, bool> TracingStore::ensure_profile(Tx& tx, std::int64_t user_id,
                                                      int initial_status, std::int64_t now_ms) {
  if (auto p = profile(tx, user_id)) return {*p, false};
  const std::string secret = random_hex(32);
  const auto added = tx.exec(
      "INSERT INTO tracing_users (user_id, status_id, status_changed_on_ms, token_secret, "
      "created_at_ms) VALUES ($1, $2, $3, $4, $3) ON CONFLICT (user_id) DO NOTHING",
      {user_id, std::int64_t{initial_status}, now_ms, secret});
  return {*profile(tx, user_id), added == 1};
}

void TracingStore::set_status(Tx& tx, const Profile& before, int to_status,
                              std::int64_t changed_on_ms, const std::string& cause,
                              std::int64_t now_ms) {
  tx.exec("UPDATE tracing_users SET status_id = $2, status_changed_on_ms = $3 WHERE user_id = $1",
          {before.user_id, std::int64_t{to_status}, changed_on_ms});
  tx.exec(
      "INSERT INTO tracing_status_history (user_id, from_status, to_status, changed_on_ms, cause, "
      "recorded_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
      {before.user_id, std::int64_t{before.status_id}, std::int64_t{to_status}, changed_on_ms,
       cause, now_ms});
}

std::vector<HistoryRow> TracingStore::history(Tx& tx, std::int64_t user_id, int limit, int offset) {
  std::vector<HistoryRow> out;
  for (const auto& r :
       tx.query("SELECT from_status, to_status, changed_on_ms, cause, recorded_at_ms "
                "FROM tracing_status_history WHERE user_id = $1 ORDER BY id DESC "
                "LIMIT $2 OFFSET $3",
                {user_id, std::int64_t{limit}, std::int64_t{offset}})) {
    out.push_back(HistoryRow{static_cast<int>(r.integer(0)), static_cast<int>(r.integer(1)),
                             r.integer(2), r.text(3), r.integer(4)});
  }
  return out;
}

void TracingStore::add_token(Tx& tx, const std::string& token_hash, std::int64_t user_id,
                             std::optional<std::int64_t> day) {
  tx.exec(
      "INSERT INTO tracing_tokens (token_hash, user_id, day) VALUES ($1, $2, $3) "
      "ON CONFLICT (token_hash) DO NOTHING",
      {token_hash, user_id, nullable(day)});
}

std::optional<TokenOwner> TracingStore::token_owner(Tx& tx, const std::string& token_hash) {
  auto row =
      tx.query_one("SELECT user_id, day FROM tracing_tokens WHERE token_hash = $1", {token_hash});
  if (!row) return std::nullopt;
  return TokenOwner{row->integer(0), row->opt_integer(1)};
}

void TracingStore::add_health_id(Tx& tx, const std::string& id_hash, std::int64_t created_by,
                                 std::int64_t now_ms) {
  tx.exec("INSERT INTO tracing_health_ids (id_hash, created_by, created_at_ms) VALUES ($1, $2, $3)",
          {id_hash, created_by, now_ms});
}

bool TracingStore::redeem_health_id(Tx& tx, const std::string& id_hash, std::int64_t user_id,
                                    std::int64_t now_ms) {
  return tx.exec(
             "UPDATE tracing_health_ids SET redeemed_by = $2, redeemed_at_ms = $3 "
             "WHERE id_hash = $1 AND redeemed_by IS NULL",
             {id_hash, user_id, now_ms}) == 1;
}

void TracingStore::add_code(Tx& tx, const std::string& code_hash, const Code& c,
                            std::int64_t now_ms) {
  tx.exec(
      "INSERT INTO tracing_codes (code_hash, created_by, status_id, status_changed_on_ms, "
      "comment, created_at_ms, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      {code_hash, c.created_by, std::int64_t{c.status_id}, c.status_changed_on_ms, c.comment,
       now_ms, c.expires_at_ms});
}

std::pair<ClaimResult, std::optional<Code>> TracingStore::claim_code(Tx& tx,
                                                                     const std::string& code_hash,
                                                                     std::int64_t user_id,
                                                                     std::int64_t now_ms) {
  const auto claimed = tx.exec(
      "UPDATE tracing_codes SET used_by = $2, used_at_ms = $3 "
      "WHERE code_hash = $1 AND used_by IS NULL AND expires_at_ms > $3",
      {code_hash, user_id, now_ms});
  auto row = tx.query_one(
      "SELECT created_by, status_id, status_changed_on_ms, comment, expires_at_ms, used_by "
      "FROM tracing_codes WHERE code_hash = $1",
      {code_hash});
  if (claimed != 1) {
    const bool expired = row && row->is_null(5) && row->integer(4) <= now_ms;
    return {expired ? ClaimResult::kExpired : ClaimResult::kUnknownOrUsed, std::nullopt};
  }
  return {ClaimResult::kClaimed, Code{row->integer(0), static_cast<int>(row->integer(1)),
                                      row->integer(2), row->text(3), row->integer(4)}};
}

std::vector<IssuedCode> TracingStore::codes_by(Tx& tx, std::int64_t created_by, int limit,
                                               int offset) {
  std::vector<IssuedCode> out;
  for (const auto& r :
       tx.query("SELECT status_id, status_changed_on_ms, comment, created_at_ms, expires_at_ms, "
                "used_at_ms FROM tracing_codes WHERE created_by = $1 "
                "ORDER BY created_at_ms DESC, code_hash LIMIT $2 OFFSET $3",
                {created_by, std::int64_t{limit}, std::int64_t{offset}})) {
    out.push_back(IssuedCode{static_cast<int>(r.integer(0)), r.integer(1), r.text(2), r.integer(3),
                             r.integer(4), r.opt_integer(5)});
  }
  return out;
}

std::vector<CountBy> TracingStore::users_per_state(Tx& tx) {
  std::vector<CountBy> out;
  for (const auto& r : tx.query(
           "SELECT status_id, COUNT(*) FROM tracing_users GROUP BY status_id ORDER BY status_id"))
    out.push_back(CountBy{r.integer(0), r.integer(1)});
  return out;
}

std::vector<CountBy> TracingStore::exposures_per_day(Tx& tx, std::int64_t from_ms) {
  std::vector<CountBy> out;
  // Integer division on both backends: met_at_ms is never negative past from_ms (>= 0).
  for (const auto& r :
       tx.query("SELECT met_at_ms / 86400000 AS day, COUNT(*) FROM tracing_exposures "
                "WHERE met_at_ms >= $1 GROUP BY met_at_ms / 86400000 ORDER BY day",
                {from_ms}))
    out.push_back(CountBy{r.integer(0), r.integer(1)});
  return out;
}

std::int64_t TracingStore::add_event(Tx& tx, std::int64_t user_id, int status_id,
                                     std::int64_t status_on_ms, std::int64_t now_ms) {
  return tx
      .query_one(
          "INSERT INTO tracing_events (user_id, status_id, status_on_ms, created_at_ms) "
          "VALUES ($1, $2, $3, $4) RETURNING id",
          {user_id, std::int64_t{status_id}, status_on_ms, now_ms})
      ->integer(0);
}

std::optional<Event> TracingStore::event(Tx& tx, std::int64_t id) {
  auto r = tx.query_one(
      "SELECT id, user_id, status_id, status_on_ms, traced_at_ms FROM tracing_events "
      "WHERE id = $1",
      {id});
  if (!r) return std::nullopt;
  return Event{r->integer(0), r->integer(1), static_cast<int>(r->integer(2)), r->integer(3),
               r->opt_integer(4)};
}

void TracingStore::add_meeting(Tx& tx, std::int64_t event_id, std::int64_t contact_user_id,
                               std::int64_t met_at_ms) {
  tx.exec("INSERT INTO tracing_meetings (event_id, contact_user_id, met_at_ms) VALUES ($1, $2, $3)",
          {event_id, contact_user_id, met_at_ms});
}

std::vector<Contact> TracingStore::contacts(Tx& tx, const Event& e, std::int64_t from_ms,
                                            std::int64_t to_ms) {
  std::vector<Contact> out;
  for (const auto& r :
       tx.query("SELECT contact_user_id, MAX(met_at_ms) FROM tracing_meetings WHERE event_id = $1 "
                "AND contact_user_id <> $2 AND met_at_ms >= $3 AND met_at_ms <= $4 "
                "GROUP BY contact_user_id ORDER BY contact_user_id",
                {e.id, e.user_id, from_ms, to_ms})) {
    out.push_back(Contact{r.integer(0), r.integer(1)});
  }
  return out;
}

void TracingStore::add_exposures(Tx& tx, const Event& e, const std::vector<Contact>& contacts,
                                 std::int64_t now_ms) {
  for (const auto& c : contacts) {
    tx.exec(
        "INSERT INTO tracing_exposures (event_id, contact_user_id, met_at_ms) VALUES ($1, $2, $3) "
        "ON CONFLICT (event_id, contact_user_id) DO NOTHING",
        {e.id, c.user_id, c.met_at_ms});
  }
  tx.exec("UPDATE tracing_events SET contacts = $2, traced_at_ms = $3 WHERE id = $1",
          {e.id, static_cast<std::int64_t>(contacts.size()), now_ms});
}

std::optional<Contact> TracingStore::pending_exposure(Tx& tx, std::int64_t event_id,
                                                      std::int64_t contact_user_id) {
  auto r = tx.query_one(
      "SELECT contact_user_id, met_at_ms FROM tracing_exposures WHERE event_id = $1 "
      "AND contact_user_id = $2 AND applied_at_ms IS NULL",
      {event_id, contact_user_id});
  if (!r) return std::nullopt;
  return Contact{r->integer(0), r->integer(1)};
}

void TracingStore::mark_exposure_applied(Tx& tx, std::int64_t event_id,
                                         std::int64_t contact_user_id, bool changed,
                                         std::int64_t now_ms) {
  tx.exec(
      "UPDATE tracing_exposures SET applied_at_ms = $3, changed = $4 WHERE event_id = $1 "
      "AND contact_user_id = $2",
      {event_id, contact_user_id, now_ms, std::int64_t{changed ? 1 : 0}});
}

PurgeCounts TracingStore::purge(Tx& tx, std::int64_t before_ms, std::int64_t before_day,
                                std::int64_t now_ms) {
  PurgeCounts n;
  n.meetings = tx.exec("DELETE FROM tracing_meetings WHERE met_at_ms < $1", {before_ms});
  const char* old_events = "SELECT id FROM tracing_events WHERE created_at_ms < $1";
  n.meetings +=
      tx.exec(std::string("DELETE FROM tracing_meetings WHERE event_id IN (") + old_events + ")",
              {before_ms});
  n.exposures =
      tx.exec(std::string("DELETE FROM tracing_exposures WHERE event_id IN (") + old_events + ")",
              {before_ms});
  n.events = tx.exec("DELETE FROM tracing_events WHERE created_at_ms < $1", {before_ms});
  n.tokens = tx.exec("DELETE FROM tracing_tokens WHERE day IS NOT NULL AND day < $1", {before_day});
  n.codes = tx.exec("DELETE FROM tracing_codes WHERE expires_at_ms < $1", {now_ms});
  n.health_ids = tx.exec(
      "DELETE FROM tracing_health_ids WHERE redeemed_at_ms IS NOT NULL AND redeemed_at_ms < $1",
      {before_ms});
  return n;
}

}  // namespace carehub::tracing

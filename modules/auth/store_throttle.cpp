// Failed sign-ins, counted per login and client address (login_failures) and per login across
// all addresses in a window (login_ceilings). Upserts with RETURNING: concurrent failures count
// one by one on both backends.
#include "auth/auth_store.hpp"

namespace carehub::auth {

AuthStore::LoginHold AuthStore::login_hold(Tx& tx, const std::string& login_hash,
                                           const std::string& address) {
  LoginHold hold;
  if (auto row =
          tx.query_one("SELECT blocked_until_ms FROM login_failures WHERE login_hash = $1 AND "
                       "client_address = $2",
                       {login_hash, address}))
    hold.address_until_ms = row->integer(0);
  if (auto row = tx.query_one("SELECT slow_until_ms FROM login_ceilings WHERE login_hash = $1",
                              {login_hash}))
    hold.anywhere_until_ms = row->integer(0);
  return hold;
}

int AuthStore::add_login_failure(Tx& tx, const std::string& login_hash, const std::string& address,
                                 std::int64_t now_ms) {
  return static_cast<int>(
      tx.query_one(
            "INSERT INTO login_failures (login_hash, client_address, failures, blocked_until_ms, "
            "last_failure_ms) VALUES ($1, $2, 1, 0, $3) ON CONFLICT (login_hash, client_address) "
            "DO UPDATE SET failures = login_failures.failures + 1, last_failure_ms = $3 "
            "RETURNING failures",
            {login_hash, address, now_ms})
          ->integer(0));
}

void AuthStore::hold_login_at_address(Tx& tx, const std::string& login_hash,
                                      const std::string& address, std::int64_t until_ms) {
  tx.exec(
      "UPDATE login_failures SET blocked_until_ms = $3 WHERE login_hash = $1 AND "
      "client_address = $2",
      {login_hash, address, until_ms});
}

void AuthStore::clear_login_failures(Tx& tx, const std::string& login_hash,
                                     const std::string& address) {
  tx.exec("DELETE FROM login_failures WHERE login_hash = $1 AND client_address = $2",
          {login_hash, address});
}

AuthStore::CeilingCount AuthStore::add_ceiling_failure(Tx& tx, const std::string& login_hash,
                                                       std::int64_t now_ms,
                                                       std::int64_t window_ms) {
  // Every SET expression sees the row as it was, on both backends: the window test is the same
  // in all three.
  auto row = tx.query_one(
      "INSERT INTO login_ceilings (login_hash, window_start_ms, failures, alerted, slow_until_ms) "
      "VALUES ($1, $2, 1, 0, 0) ON CONFLICT (login_hash) DO UPDATE SET "
      "failures = CASE WHEN login_ceilings.window_start_ms <= $2 - $3 THEN 1 "
      "ELSE login_ceilings.failures + 1 END, "
      "alerted = CASE WHEN login_ceilings.window_start_ms <= $2 - $3 THEN 0 "
      "ELSE login_ceilings.alerted END, "
      "window_start_ms = CASE WHEN login_ceilings.window_start_ms <= $2 - $3 THEN $2 "
      "ELSE login_ceilings.window_start_ms END "
      "RETURNING failures, alerted",
      {login_hash, now_ms, window_ms});
  return {static_cast<int>(row->integer(0)), row->integer(1) != 0};
}

void AuthStore::mark_ceiling(Tx& tx, const std::string& login_hash, bool alerted,
                             std::int64_t slow_until_ms) {
  tx.exec("UPDATE login_ceilings SET alerted = $2, slow_until_ms = $3 WHERE login_hash = $1",
          {login_hash, alerted ? 1 : 0, slow_until_ms});
}

std::int64_t AuthStore::failing_addresses(Tx& tx, const std::string& login_hash,
                                          std::int64_t since_ms) {
  return tx
      .query_one(
          "SELECT COUNT(*) FROM login_failures WHERE login_hash = $1 AND last_failure_ms >= $2",
          {login_hash, since_ms})
      ->integer(0);
}

}  // namespace carehub::auth

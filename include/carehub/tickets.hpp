// Short-lived, single-use tickets that stand for a principal in a URL's query string, for clients
// that cannot set an Authorization header (a browser's WebSocket or EventSource): an access token
// never goes into a URL (they end up in logs and histories). A ticket is 32 random bytes, stored
// as its SHA-256 only, valid for one purpose, redeemed once by one conditional update (of two
// racing redemptions exactly one wins), and useless after its time to live.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "carehub/clock.hpp"
#include "carehub/db.hpp"
#include "carehub/principal.hpp"

namespace carehub {

class TicketStore {
 public:
  TicketStore(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  // The ticket's secret (shown once).
  std::string issue(const Principal& principal, std::string_view purpose, std::chrono::seconds ttl);
  // The principal it was issued for, once; nullopt when unknown, used, expired or for another
  // purpose.
  std::optional<Principal> redeem(std::string_view secret, std::string_view purpose);
  // Deletes used and expired tickets; returns how many.
  std::int64_t purge();

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace carehub

// Keys the server makes once and every process sharing the database uses: 32 random bytes per
// name, created on first use by whichever process gets there first (an insert that does nothing
// when the name exists, then a read), then cached. What they key (hashes of single-use codes,
// pseudonymous ids) is useless to someone holding those tables without the key.
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "carehub/db.hpp"

namespace carehub {

class ServerKey {
 public:
  ServerKey(Database& db, std::string name) : db_(db), name_(std::move(name)) {}
  // The key's bytes (as 64 hex digits). The first call runs its own unit of work: call it before
  // opening one (a write inside another would deadlock on SQLite). Throws DbError when the
  // database cannot be reached.
  const std::string& get();
  // HMAC-SHA-256 of data under this key, in hex.
  std::string hash(std::string_view data);

 private:
  Database& db_;
  const std::string name_;
  std::mutex mutex_;
  std::optional<std::string> key_;
};

}  // namespace carehub

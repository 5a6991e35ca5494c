#include "carehub/server_keys.hpp"

#include <chrono>

#include "carehub/hash.hpp"

namespace carehub {

const std::string& ServerKey::get() {
  std::lock_guard lock(mutex_);
  if (!key_) {
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    key_ = db_.transact([&](Tx& tx) {
      tx.exec(
          "INSERT INTO server_keys (name, key_hex, created_at_ms) VALUES ($1, $2, $3) "
          "ON CONFLICT (name) DO NOTHING",
          {name_, random_hex(32), static_cast<std::int64_t>(now)});
      return tx.query_one("SELECT key_hex FROM server_keys WHERE name = $1", {name_})->text(0);
    });
  }
  return *key_;
}

std::string ServerKey::hash(std::string_view data) {
  return hmac_sha256_hex(get(), data);
}

}  // namespace carehub

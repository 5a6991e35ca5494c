// Broadcast tokens: what a phone sends over Bluetooth so others can record a meeting. Each user
// has a random secret; the static token (COVID Resistance's fixed per-user id) and the rotating
// daily tokens are HMAC-SHA-256 of the secret with "static" or "day:<N>" (N days since
// 1970-01-01, UTC), cut to 128 bits. A token never reveals its secret, and a day's token says
// nothing about another day's. The server keeps only SHA-256 of each token it hands out, which is
// how an uploaded meeting resolves back to a user.
#pragma once

#include <cstdint>
#include <string>

#include "carehub/hash.hpp"

namespace carehub::tracing {

inline constexpr std::int64_t kDayMs = 86'400'000;

inline std::int64_t day_of(std::int64_t epoch_ms) {
  return epoch_ms >= 0 ? epoch_ms / kDayMs : (epoch_ms - kDayMs + 1) / kDayMs;
}

inline std::string static_token(const std::string& secret) {
  return hmac_sha256_hex(secret, "static").substr(0, 32);
}

inline std::string day_token(const std::string& secret, std::int64_t day) {
  return hmac_sha256_hex(secret, "day:" + std::to_string(day)).substr(0, 32);
}

inline std::string token_hash(const std::string& token) {
  return sha256_hex(token);
}

}  // namespace carehub::tracing

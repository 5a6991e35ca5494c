// A time in an API answer: RFC 3339 with milliseconds, or null when there is none (a job not yet
// finished, a notification not yet read).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "carehub/clock.hpp"

namespace carehub {

inline nlohmann::json rfc3339_or_null(const std::optional<std::int64_t>& ms) {
  return ms ? nlohmann::json(format_rfc3339_ms(*ms)) : nlohmann::json();
}

}  // namespace carehub

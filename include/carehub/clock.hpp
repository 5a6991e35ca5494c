// Time as milliseconds since the Unix epoch: what every table stores, on both backends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace carehub {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
 public:
  std::int64_t now_ms() const override;
};

// 2026-11-22T10:48:28.123Z: how every API answer shows a time.
std::string format_rfc3339_ms(std::int64_t epoch_ms);
// The reverse, for times clients send: YYYY-MM-DDTHH:MM:SS, optional fraction, then Z or an
// offset (+01:00). nullopt when it is not such a time.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);

}  // namespace carehub

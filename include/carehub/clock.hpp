// Time as milliseconds since the Unix epoch: what every table stores, on both backends.
#pragma once

#include <cstdint>
#include <string>

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

}  // namespace carehub

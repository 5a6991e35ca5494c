// Time as milliseconds since the Unix epoch: what every table stores, on both backends.
#pragma once

#include <cstdint>

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

}  // namespace carehub

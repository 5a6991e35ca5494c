#include "carehub/rate_limit.hpp"

#include <catch2/catch.hpp>

namespace {

class StepClock final : public carehub::Clock {
 public:
  std::int64_t now_ms() const override { return now; }
  std::int64_t now = 1'000'000;
};

}  // namespace

TEST_CASE("rate limiter allows the limit per window and says when to retry", "[rate]") {
  StepClock clock;
  carehub::RateLimiter limiter(clock, 3, 60000);
  CHECK(limiter.hit("10.0.0.1") == 0);
  CHECK(limiter.hit("10.0.0.1") == 0);
  CHECK(limiter.hit("10.0.0.1") == 0);
  clock.now += 1000;
  CHECK(limiter.hit("10.0.0.1") == 59000);
  CHECK(limiter.hit("10.0.0.2") == 0);  // other clients are not affected
  clock.now += 59000;
  CHECK(limiter.hit("10.0.0.1") == 0);  // a new window
}

TEST_CASE("rate limiter memory stays bounded under many distinct keys", "[rate]") {
  StepClock clock;
  carehub::RateLimiter limiter(clock, 1, 60000, 100);
  for (int i = 0; i < 1000; ++i) CHECK(limiter.hit("client-" + std::to_string(i)) == 0);
}

// The floor on a request body's rate (src/http/request_body.hpp), with a clock the test moves.
#include <catch2/catch.hpp>

#include "http/request_body.hpp"

using carehub::BodyPace;
using namespace std::chrono_literals;

TEST_CASE("body pace: a window at or above the floor passes, one below it fails", "[http]") {
  const auto t0 = BodyPace::Clock::time_point{} + 1000s;
  BodyPace pace(1000, 10s, t0);
  CHECK(pace.on_bytes(500, t0 + 1s));    // inside the first window: not judged yet
  CHECK(pace.on_bytes(9500, t0 + 10s));  // 10,000 bytes in 10 s: exactly the floor
  CHECK(pace.on_bytes(100, t0 + 15s));
  CHECK_FALSE(pace.on_bytes(100, t0 + 20s));  // 200 bytes in the second window
}

TEST_CASE("body pace: a byte every 20 s fails at the first read past the window", "[http]") {
  const auto t0 = BodyPace::Clock::time_point{} + 1000s;
  BodyPace pace(16384, 30s, t0);
  CHECK(pace.on_bytes(1, t0 + 20s));
  CHECK_FALSE(pace.on_bytes(1, t0 + 40s));
}

TEST_CASE("body pace: a long read is judged over its own length", "[http]") {
  const auto t0 = BodyPace::Clock::time_point{} + 1000s;
  BodyPace pace(1000, 10s, t0);
  // 15,000 bytes after 30 s: 500 bytes/s, below the floor although more than one window's worth.
  CHECK_FALSE(pace.on_bytes(15000, t0 + 30s));
}

TEST_CASE("body pace: a floor of 0 never fails", "[http]") {
  const auto t0 = BodyPace::Clock::time_point{} + 1000s;
  BodyPace pace(0, 1s, t0);
  CHECK(pace.on_bytes(0, t0 + 100s));
}

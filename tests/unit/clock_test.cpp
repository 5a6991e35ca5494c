#include "carehub/clock.hpp"

#include <catch2/catch.hpp>
#include <ctime>

TEST_CASE("RFC 3339 times are UTC with milliseconds", "[clock]") {
  using carehub::format_rfc3339_ms;
  CHECK(format_rfc3339_ms(0) == "1970-01-01T00:00:00.000Z");
  CHECK(format_rfc3339_ms(1) == "1970-01-01T00:00:00.001Z");
  CHECK(format_rfc3339_ms(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(format_rfc3339_ms(951782400000) == "2000-02-29T00:00:00.000Z");  // a leap day
  CHECK(format_rfc3339_ms(1795351708123) == "2026-11-22T12:48:28.123Z");
  CHECK(format_rfc3339_ms(253402300799999) == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("RFC 3339 formatting agrees with gmtime over many instants", "[clock]") {
  // A spread of instants from 1900 to 2200, each checked against the C library.
  for (std::int64_t ms = -2208988800000; ms < 7258118400000; ms += 86'399'937'777) {
    std::int64_t secs = ms / 1000, frac = ms % 1000;
    if (frac < 0) {
      frac += 1000;
      secs -= 1;
    }
    const std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char expected[64];
    std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(frac));
    INFO(ms);
    CHECK(carehub::format_rfc3339_ms(ms) == expected);
  }
}

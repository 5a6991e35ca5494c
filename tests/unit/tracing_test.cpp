// Contact tracing's pure parts: codes from the CSPRNG over the unambiguous alphabet, keyed hashes,
// broadcast token derivation, and the states config with its errors.
#include <catch2/catch.hpp>
#include <set>

#include "carehub/config.hpp"
#include "carehub/hash.hpp"
#include "tracing/service.hpp"
#include "tracing/states.hpp"
#include "tracing/tokens.hpp"

using namespace carehub;
using namespace carehub::tracing;

TEST_CASE("tracing: codes use only the unambiguous alphabet, every letter of it, no repeats",
          "[unit][tracing]") {
  std::set<std::string> seen;
  std::set<char> letters;
  for (int i = 0; i < 2000; ++i) {
    const auto code = random_code(kCodeAlphabet, 10);
    REQUIRE(code.size() == 10);
    CHECK(code.find_first_of("01OIL8B") == std::string::npos);
    for (char c : code) {
      REQUIRE(kCodeAlphabet.find(c) != std::string_view::npos);
      letters.insert(c);
    }
    seen.insert(code);
  }
  CHECK(seen.size() == 2000);
  CHECK(letters.size() == kCodeAlphabet.size());
  CHECK(kCodeAlphabet.size() == 29);
}

TEST_CASE("tracing: HMAC-SHA-256 matches RFC 4231", "[unit][tracing]") {
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST_CASE("tracing: broadcast tokens are stable per secret and day, distinct otherwise",
          "[unit][tracing]") {
  const std::string s1 = "secret-one", s2 = "secret-two";
  CHECK(static_token(s1) == static_token(s1));
  CHECK(static_token(s1) != static_token(s2));
  CHECK(day_token(s1, 20000) == day_token(s1, 20000));
  CHECK(day_token(s1, 20000) != day_token(s1, 20001));
  CHECK(day_token(s1, 20000) != static_token(s1));
  CHECK(static_token(s1).size() == 32);
  CHECK(day_of(0) == 0);
  CHECK(day_of(kDayMs - 1) == 0);
  CHECK(day_of(kDayMs) == 1);
  CHECK(day_of(-1) == -1);
}

TEST_CASE("tracing: states from config, defaults as COVID Resistance, errors named",
          "[unit][tracing]") {
  const auto states = States::from_config(States::defaults());
  REQUIRE(states.all().size() == 4);
  CHECK(states.find(3)->contact_discovery);
  CHECK(states.find(2)->name == "At risk");
  CHECK_FALSE(states.find(5));
  CHECK_THROWS_WITH(States::from_config(nlohmann::json::array()),
                    Catch::Contains("at least one state"));
  CHECK_THROWS_WITH(States::from_config(nlohmann::json::parse(R"([{"id":1,"name":"A","severity":0},
                                                      {"id":1,"name":"B","severity":1}])")),
                    Catch::Contains("appears twice"));
  CHECK_THROWS_WITH(States::from_config(nlohmann::json::parse(R"([{"id":1,"severity":0}])")),
                    Catch::Contains("tracing.states[0].name"));
  CHECK_THROWS_WITH(
      States::from_config(nlohmann::json::parse(R"([{"id":1,"name":"A","severity":0,"x":1}])")),
      Catch::Contains("unknown key 'x'"));
}

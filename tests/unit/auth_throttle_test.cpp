// The waits failed sign-ins cost, and the per-server account states that revocation checks read.
#include <catch2/catch.hpp>

#include "auth/account_states.hpp"
#include "auth/login_throttle.hpp"

using namespace carehub::auth;

TEST_CASE("login throttle: free failures, then waits that double up to lockout_s", "[auth]") {
  AuthConfig config{};
  config.lockout_failures = 5;
  config.lockout_s = 900;
  const LoginThrottle throttle(config);
  for (int i = 0; i < 5; ++i) CHECK(throttle.wait_after(i) == 0);
  CHECK(throttle.wait_after(5) == 1000);
  CHECK(throttle.wait_after(6) == 2000);
  CHECK(throttle.wait_after(14) == 512'000);
  CHECK(throttle.wait_after(15) == 900'000);
  CHECK(throttle.wait_after(1'000'000) == 900'000);  // no overflow however long it goes on
}

TEST_CASE(
    "login throttle: keys name no one, and tell known accounts from typed logins only "
    "inside",
    "[auth]") {
  const auto known = LoginThrottle::key_of(12, "Ana@Clinic.Example");
  CHECK(known.size() == 64);
  CHECK(known.find("ana") == std::string::npos);
  CHECK(known == LoginThrottle::key_of(12, "other spelling"));
  CHECK(LoginThrottle::key_of(std::nullopt, "Ana@Clinic.Example") ==
        LoginThrottle::key_of(std::nullopt, "ana@clinic.example"));
  CHECK(LoginThrottle::key_of(std::nullopt, "a@b") != LoginThrottle::key_of(std::nullopt, "c@d"));
}

TEST_CASE("account states: loaded once, dropped on forget, never brought back by a stale read",
          "[auth]") {
  AccountStates states;
  int loads = 0;
  auto load = [&](std::int64_t generation) {
    return [&loads, generation]() -> std::optional<AccountState> {
      ++loads;
      return AccountState{generation, true};
    };
  };
  CHECK(states.get(1, load(0))->token_generation == 0);
  CHECK(states.get(1, load(7))->token_generation == 0);  // cached: not read again
  CHECK(loads == 1);
  states.forget(1);
  CHECK(states.get(1, load(1))->token_generation == 1);
  CHECK(loads == 2);

  // A read that started before a revocation and ends after it must not be kept.
  auto racing = [&]() -> std::optional<AccountState> {
    states.forget(2);  // the revocation commits while the row is being read
    return AccountState{3, true};
  };
  CHECK(states.get(2, racing)->token_generation == 3);   // this request sees what it read
  CHECK(states.get(2, load(4))->token_generation == 4);  // but the next one reads again

  // No account: not kept, asked again each time.
  int misses = 0;
  auto none = [&]() -> std::optional<AccountState> {
    ++misses;
    return std::nullopt;
  };
  CHECK_FALSE(states.get(9, none));
  CHECK_FALSE(states.get(9, none));
  CHECK(misses == 2);
  states.forget_all();
  CHECK(states.size() == 0);
}

TEST_CASE("account states: memory stays bounded", "[auth]") {
  AccountStates states(10);
  for (std::int64_t id = 1; id <= 100; ++id)
    states.get(id, [] { return std::optional<AccountState>(AccountState{0, true}); });
  CHECK(states.size() <= 10);
}

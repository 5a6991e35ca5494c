// Sign-in and sessions through the real pipeline on both backends: login, the one 401 for every
// failure, lockout, the per-address rate limit, refresh rotation with reuse detection, logout.
#include <catch2/catch.hpp>

#include "support/auth_fixture.hpp"

using namespace carehub;
using namespace carehub::test;

namespace {

std::string error_message(const Response& r) {
  return body_of(r)["error"]["message"].get<std::string>();
}

void check_unauthorized(const Response& r, const std::string& expected_message) {
  INFO(r.body);
  CHECK(r.status == 401);
  CHECK(header_of(r, "www-authenticate").has_value());
  CHECK(error_message(r) == expected_message);
}

}  // namespace

TEST_CASE("auth: login answers a session and every kind of failure alike", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto user = f.add_user("Dr.Who@Clinic.example", {"physician"});
    f.add_user("gone@clinic.example", {"physician"}, kTestPassword, "disabled");
    f.add_user("oidc@clinic.example", {"physician"}, std::nullopt);

    auto ok = f.login("dr.who@clinic.example", kTestPassword);
    INFO(ok.body);
    REQUIRE(ok.status == 200);
    auto s = body_of(ok);
    CHECK(s["token_type"] == "Bearer");
    CHECK(s["expires_in"] == 900);
    CHECK(s["access_token"].get<std::string>().size() > 20);
    CHECK(s["refresh_token"].get<std::string>().size() >= 64);
    CHECK(s["user"]["id"] == std::to_string(user.id));
    CHECK(s["user"]["roles"] == nlohmann::json::array({"physician"}));
    CHECK(s.dump().find("password_hash") == std::string::npos);
    CHECK(s.dump().find("$argon2") == std::string::npos);

    // "username" and "login" name the same account.
    CHECK(f.post("/api/v1/auth/login",
                 {{"login", "dr.who@clinic.example"}, {"password", kTestPassword}})
              .status == 200);
    CHECK(f.post("/api/v1/auth/login",
                 {{"username", "dr.who@clinic.example"}, {"password", kTestPassword}})
              .status == 200);

    const std::string same = error_message(f.login("dr.who@clinic.example", "wrong password!!"));
    check_unauthorized(f.login("nobody@clinic.example", kTestPassword), same);
    check_unauthorized(f.login("gone@clinic.example", kTestPassword), same);
    check_unauthorized(f.login("oidc@clinic.example", kTestPassword), same);
    check_unauthorized(f.login("dr.who@clinic.example", "wrong password!!"), same);

    CHECK(f.post("/api/v1/auth/login", {{"email", "dr.who@clinic.example"}}).status == 422);
    CHECK(f.post("/api/v1/auth/login", {{"password", kTestPassword}}).status == 422);
    CHECK(f.call(Method::kPost, "/api/v1/auth/login", nlohmann::json::array({1})).status == 422);

    auto good = f.audit_of(user.id, "auth.login");
    int successes = 0, failures = 0;
    for (const auto& e : good) {
      if (e.outcome == "success") ++successes;
      if (e.outcome == "failure") ++failures;
    }
    CHECK(successes == 3);
    CHECK(failures == 2);
  }
}

TEST_CASE("auth: failed sign-ins slow the guessing address down, never the owner elsewhere",
          "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);  // lockout_failures 5, lockout_s 900
    const auto user = f.add_user("target@clinic.example");
    const std::string same = error_message(f.login("nobody@clinic.example", "whatever"));
    const std::string stranger = "10.66.0.1", owner = "10.1.0.1";

    for (int i = 1; i <= 5; ++i) {
      INFO("failure " << i);
      check_unauthorized(f.login("target@clinic.example", "not the password", stranger), same);
    }
    // The stranger now waits 1 s, even with the right password (nothing is checked meanwhile).
    auto held = f.login("target@clinic.example", kTestPassword, stranger);
    CHECK(held.status == 429);
    CHECK(header_of(held, "retry-after") == "1");
    // The owner, from elsewhere, signs in at once: nobody is locked out.
    CHECK(f.login("target@clinic.example", kTestPassword, owner).status == 200);

    // Each further failure from the stranger doubles the wait, up to auth.lockout_s.
    std::vector<std::string> waits;
    for (int i = 0; i < 12; ++i) {
      f.clock.advance(900'000);
      check_unauthorized(f.login("target@clinic.example", "not the password", stranger), same);
      waits.push_back(
          header_of(f.login("target@clinic.example", "x", stranger), "retry-after").value_or("-"));
    }
    CHECK(waits == std::vector<std::string>{"2", "4", "8", "16", "32", "64", "128", "256", "512",
                                            "900", "900", "900"});
    CHECK(f.login("target@clinic.example", kTestPassword, owner).status == 200);

    // An unknown login is slowed exactly alike: the answers never tell which logins exist.
    for (int i = 0; i < 5; ++i) f.login("ghost@clinic.example", "guess", stranger);
    auto ghost = f.login("ghost@clinic.example", "guess", stranger);
    CHECK(ghost.status == 429);
    CHECK(header_of(ghost, "retry-after") == "1");

    // Once the wait is over, a success from that address starts its count again.
    f.clock.advance(900'000);
    CHECK(f.login("target@clinic.example", kTestPassword, stranger).status == 200);
    for (int i = 0; i < 4; ++i) f.login("target@clinic.example", "not the password", stranger);
    CHECK(f.login("target@clinic.example", kTestPassword, stranger).status == 200);
    CHECK(f.audit_of(user.id, "auth.login_ceiling").empty());  // 21 failures: under 100
  }
}

TEST_CASE(
    "auth: failures from many addresses reach the ceiling, which is audited once and slows "
    "the account without locking it",
    "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend, [](auth::AuthConfig& c) {
      c.login_ceiling = 10;
      c.login_ceiling_window_s = 3600;
      c.login_ceiling_interval_ms = 1000;
    });
    const auto user = f.add_user("target@clinic.example");
    for (int i = 0; i < 9; ++i) {
      const std::string address = "10.77.0." + std::to_string(i + 1);
      CHECK(f.login("target@clinic.example", "guess", address).status == 401);
    }
    CHECK(f.audit_of(user.id, "auth.login_ceiling").empty());
    CHECK(f.login("target@clinic.example", "guess", "10.77.0.10").status == 401);
    auto alerts = f.audit_of(user.id, "auth.login_ceiling");
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].detail["failures"] == 10);
    CHECK(alerts[0].detail["addresses"] == 10);
    // Past the ceiling: one try a second, from anywhere, the owner's too; not a lock.
    CHECK(f.login("target@clinic.example", kTestPassword, "10.1.0.1").status == 429);
    f.clock.advance(1000);
    CHECK(f.login("target@clinic.example", "guess", "10.77.0.11").status == 401);
    f.clock.advance(1000);
    CHECK(f.login("target@clinic.example", kTestPassword, "10.1.0.1").status == 200);
    CHECK(f.audit_of(user.id, "auth.login_ceiling").size() == 1);  // once per window
  }
}

TEST_CASE("auth: login attempts are rate limited per client address", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend, [](auth::AuthConfig& c) { c.login_rate_per_minute = 3; });
    f.add_user("busy@clinic.example");
    for (int i = 0; i < 3; ++i) CHECK(f.login("busy@clinic.example", kTestPassword).status == 200);
    auto limited = f.login("busy@clinic.example", kTestPassword);
    INFO(limited.body);
    CHECK(limited.status == 429);
    CHECK(body_of(limited)["error"]["code"] == "too_many_requests");
    // Unknown emails count too, and another address has its own budget.
    CHECK(f.login("nobody@clinic.example", kTestPassword).status == 429);
    CHECK(f.login("busy@clinic.example", kTestPassword, "192.0.2.99").status == 200);

    f.clock.advance(61'000);
    CHECK(f.login("busy@clinic.example", kTestPassword).status == 200);
  }
}

TEST_CASE("auth: refresh rotates and a reused refresh token ends the whole family",
          "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto user = f.add_user("rotate@clinic.example");
    const auto first = f.session("rotate@clinic.example");
    const auto other_session = f.session("rotate@clinic.example");
    const std::string r1 = first["refresh_token"];

    auto rotated = f.refresh(r1);
    INFO(rotated.body);
    REQUIRE(rotated.status == 200);
    const auto second = body_of(rotated);
    const std::string r2 = second["refresh_token"];
    CHECK(r2 != r1);
    CHECK(second["token_type"] == "Bearer");
    CHECK(second["user"]["id"] == std::to_string(user.id));
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", second["access_token"]).status == 200);

    auto r3_response = f.refresh(r2);
    REQUIRE(r3_response.status == 200);
    const std::string r3 = body_of(r3_response)["refresh_token"];

    // r1 was already rotated: presenting it again is theft or a replay.
    check_unauthorized(f.refresh(r1), "refresh token is not valid; sign in again");
    check_unauthorized(f.refresh(r3), "refresh token is not valid; sign in again");
    CHECK(f.audit_of(user.id, "auth.refresh_reuse").size() == 1);
    // Another sign-in of the same user is a different family and keeps working.
    CHECK(f.refresh(other_session["refresh_token"]).status == 200);

    check_unauthorized(f.refresh(std::string(64, 'a')),
                       "refresh token is not valid; sign in again");
    CHECK(f.post("/api/v1/auth/refresh", nlohmann::json::object()).status == 422);
  }
}

TEST_CASE("auth: an expired refresh token is refused", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend, [](auth::AuthConfig& c) { c.refresh_token_ttl_s = 3600; });
    f.add_user("late@clinic.example");
    const auto s = f.session("late@clinic.example");
    f.clock.advance(3'601'000);
    check_unauthorized(f.refresh(s["refresh_token"]), "refresh token expired; sign in again");
  }
}

TEST_CASE("auth: logout ends the session's refresh token", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto user = f.add_user("bye@clinic.example");
    const auto s = f.session("bye@clinic.example");
    const auto kept = f.session("bye@clinic.example");

    auto out = f.post("/api/v1/auth/logout", {{"refresh_token", s["refresh_token"]}});
    CHECK(out.status == 204);
    CHECK(out.body.empty());
    check_unauthorized(f.refresh(s["refresh_token"]), "refresh token is not valid; sign in again");
    CHECK(f.refresh(kept["refresh_token"]).status == 200);

    auto events = f.audit_of(user.id, "auth.logout");
    REQUIRE(events.size() == 1);
    CHECK(events[0].outcome == "success");
    CHECK(events[0].client_address == kClientAddress);
  }
}

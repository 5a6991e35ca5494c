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

TEST_CASE("auth: five failed logins lock the account until the lock expires", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto user = f.add_user("locked@clinic.example");
    const auto other = f.add_user("bystander@clinic.example");
    const std::string same = error_message(f.login("nobody@clinic.example", "whatever"));

    for (int i = 1; i <= 5; ++i) {
      INFO("failure " << i);
      check_unauthorized(f.login("locked@clinic.example", "not the password"), same);
    }
    CHECK(f.audit_of(user.id, "auth.lockout").size() == 1);
    // The right password is refused with the same words while the lock lasts.
    check_unauthorized(f.login("locked@clinic.example", kTestPassword), same);
    f.clock.advance(899'000);
    check_unauthorized(f.login("locked@clinic.example", kTestPassword), same);
    // Another account is not affected.
    CHECK(f.login("bystander@clinic.example", kTestPassword).status == 200);
    CHECK(f.audit_of(other.id, "auth.lockout").empty());

    f.clock.advance(2'000);
    CHECK(f.login("locked@clinic.example", kTestPassword).status == 200);
    // The success cleared the count: four more failures do not lock again.
    for (int i = 0; i < 4; ++i) f.login("locked@clinic.example", "not the password");
    CHECK(f.login("locked@clinic.example", kTestPassword).status == 200);
    CHECK(f.audit_of(user.id, "auth.lockout").size() == 1);
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

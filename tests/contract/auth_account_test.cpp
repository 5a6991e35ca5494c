// The caller's own account through the real pipeline on both backends: /me, its changes, the
// password change that ends other sessions, bootstrap's set-password token, the public keys.
#include <catch2/catch.hpp>

#include "support/auth_fixture.hpp"

using namespace carehub;
using namespace carehub::test;

TEST_CASE("auth: me shows the signed-in user and takes only names and language",
          "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto user = f.add_user("me@clinic.example", {"medical"});
    const std::string access = f.session("me@clinic.example")["access_token"];

    auto me = f.with_bearer(Method::kGet, "/api/v1/auth/me", access);
    INFO(me.body);
    REQUIRE(me.status == 200);
    CHECK(body_of(me)["id"] == std::to_string(user.id));
    CHECK(body_of(me)["email"] == "me@clinic.example");
    CHECK(body_of(me)["language"] == "en");
    CHECK(body_of(me)["last_login"].is_string());

    auto none = f.call(Method::kGet, "/api/v1/auth/me");
    CHECK(none.status == 401);
    CHECK(header_of(none, "www-authenticate").has_value());

    auto patched =
        f.with_bearer(Method::kPatch, "/api/v1/auth/me", access,
                      {{"first_name", "Ada"}, {"last_name", "Lovelace"}, {"language", "es"}});
    INFO(patched.body);
    REQUIRE(patched.status == 200);
    CHECK(body_of(patched)["first_name"] == "Ada");
    auto again = body_of(f.with_bearer(Method::kGet, "/api/v1/auth/me", access));
    CHECK(again["first_name"] == "Ada");
    CHECK(again["last_name"] == "Lovelace");
    CHECK(again["language"] == "es");

    for (const auto& bad :
         {nlohmann::json{{"roles", {"admin"}}},
          nlohmann::json{{"first_name", "Eve"}, {"status", "active"}},
          nlohmann::json{{"email", "x@clinic.example"}}, nlohmann::json{{"language", "fr"}},
          nlohmann::json{{"first_name", 42}}}) {
      INFO(bad.dump());
      CHECK(f.with_bearer(Method::kPatch, "/api/v1/auth/me", access, bad).status == 422);
    }
    auto after = body_of(f.with_bearer(Method::kGet, "/api/v1/auth/me", access));
    CHECK(after["roles"] == nlohmann::json::array({"medical"}));
    CHECK(after["first_name"] == "Ada");
    CHECK(after["language"] == "es");
    CHECK(f.audit_of(user.id, "user.update_self").size() == 1);
  }
}

TEST_CASE("auth: a disabled account's access token no longer shows me", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto user = f.add_user("soon-gone@clinic.example");
    const auto s = f.session("soon-gone@clinic.example");
    f.db().transact([&](Tx& tx) { f.store().update_user(tx, user.id, {.status = "disabled"}); });
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", s["access_token"]).status == 401);
    CHECK(f.refresh(s["refresh_token"]).status == 401);
  }
}

TEST_CASE("auth: changing the password ends the other sessions and keeps the one given",
          "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto user = f.add_user("pw@clinic.example");
    const auto phone = f.session("pw@clinic.example");
    const auto laptop = f.session("pw@clinic.example");
    const auto tablet = f.session("pw@clinic.example");
    const std::string access = laptop["access_token"];
    const std::string next = "a much better passphrase";

    auto wrong = f.with_bearer(Method::kPost, "/api/v1/auth/password", access,
                               {{"current_password", "not my password"}, {"new_password", next}});
    CHECK(wrong.status == 403);
    auto short_one =
        f.with_bearer(Method::kPost, "/api/v1/auth/password", access,
                      {{"current_password", kTestPassword}, {"new_password", "short pw"}});
    CHECK(short_one.status == 422);
    CHECK(f.call(Method::kPost, "/api/v1/auth/password",
                 {{"current_password", kTestPassword}, {"new_password", next}})
              .status == 401);
    // Nothing changed so far.
    CHECK(f.login("pw@clinic.example", kTestPassword).status == 200);

    auto changed = f.with_bearer(Method::kPost, "/api/v1/auth/password", access,
                                 {{"current_password", kTestPassword},
                                  {"new_password", next},
                                  {"refresh_token", laptop["refresh_token"]}});
    INFO(changed.body);
    REQUIRE(changed.status == 204);
    CHECK(f.refresh(phone["refresh_token"]).status == 401);
    CHECK(f.refresh(tablet["refresh_token"]).status == 401);
    CHECK(f.refresh(laptop["refresh_token"]).status == 200);
    CHECK(f.login("pw@clinic.example", kTestPassword).status == 401);
    CHECK(f.login("pw@clinic.example", next).status == 200);

    int successes = 0, failures = 0;
    for (const auto& e : f.audit_of(user.id, "auth.password_change")) {
      if (e.outcome == "success") ++successes;
      if (e.outcome == "failure") ++failures;
    }
    CHECK(successes == 1);
    CHECK(failures == 1);
  }
}

TEST_CASE("auth: bootstrap's set-password token sets the admin's password once",
          "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const std::string token = f.bootstrap_admin("root@clinic.example");
    REQUIRE(!f.bootstrap_output.empty());
    CHECK(f.bootstrap_output[0].find("created admin root@clinic.example") != std::string::npos);
    // No password yet: nobody can sign in as the admin.
    CHECK(f.login("root@clinic.example", "").status == 422);
    CHECK(f.login("root@clinic.example", kTestPassword).status == 401);

    auto again = f.service->bootstrap("other@clinic.example", std::nullopt);
    REQUIRE(again.size() == 1);
    CHECK(again[0].find("already exists") != std::string::npos);
    CHECK(f.login("other@clinic.example", kTestPassword).status == 401);

    const nlohmann::json reset = {{"token", token}, {"password", kTestPassword}};
    CHECK(f.post("/api/v1/auth/reset-password", {{"token", token}, {"password", "too short"}})
              .status == 422);
    CHECK(f.post("/api/v1/auth/reset-password", reset).status == 204);
    CHECK(f.post("/api/v1/auth/reset-password", reset).status == 400);
    CHECK(f.post("/api/v1/auth/reset-password",
                 {{"token", std::string(64, 'f')}, {"password", kTestPassword}})
              .status == 400);

    auto admin = f.session("root@clinic.example");
    CHECK(admin["user"]["roles"] == nlohmann::json::array({"admin"}));
    auto job = f.with_bearer(Method::kGet, "/api/v1/jobs/999", admin["access_token"]);
    INFO(job.body);
    CHECK(job.status == 404);
  }
}

TEST_CASE("auth: bootstrap with a password lets the admin sign in at once", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    CHECK_THROWS(f.service->bootstrap("root@clinic.example", std::string("short")));
    auto said = f.service->bootstrap("root@clinic.example", kTestPassword);
    for (const auto& line : said) CHECK(line.find("token") == std::string::npos);
    CHECK(f.login("root@clinic.example", kTestPassword).status == 200);
  }
}

TEST_CASE("auth: the JWKS document publishes public keys only", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    auto r = f.call(Method::kGet, "/.well-known/jwks.json");
    REQUIRE(r.status == 200);
    auto doc = body_of(r);
    REQUIRE(doc["keys"].is_array());
    REQUIRE(doc["keys"].size() == 1);
    for (const auto& key : doc["keys"]) {
      CHECK(key.contains("kid"));
      CHECK(key.contains("x"));
      CHECK_FALSE(key.contains("d"));
    }
    // The kid in an access token's header names the published key.
    f.add_user("kid@clinic.example");
    const std::string access = f.session("kid@clinic.example")["access_token"];
    const auto header = nlohmann::json::parse(unb64url(access.substr(0, access.find('.'))));
    CHECK(header["kid"] == doc["keys"][0]["kid"]);
    CHECK(header["alg"] == "EdDSA");
  }
}

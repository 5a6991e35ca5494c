// User and API-token administration, self-registration, and the brute-force answers, through
// the real routes and pipeline on both backends.
#include <catch2/catch.hpp>

#include "support/auth_fixture.hpp"

using namespace carehub;
using namespace carehub::test;

TEST_CASE("auth: admins create, list, read and change users, and the last admin stays",
          "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto admin = f.admin_token();
    auto created = f.with_bearer(Method::kPost, "/api/v1/users", admin,
                                 {{"email", "doc@clinic.example"},
                                  {"roles", {"physician"}},
                                  {"first_name", "Ada"},
                                  {"password", kTestPassword}});
    REQUIRE(created.status == 201);
    const auto doc = body_of(created);
    CHECK(doc["roles"] == nlohmann::json::array({"physician"}));
    CHECK(created.body.find("argon2") == std::string::npos);
    CHECK(f.session("doc@clinic.example")["user"]["first_name"] == "Ada");

    CHECK(f.with_bearer(Method::kPost, "/api/v1/users", admin, {{"email", "DOC@clinic.example"}})
              .status == 409);
    CHECK(f.with_bearer(Method::kPost, "/api/v1/users", admin,
                        {{"email", "x@clinic.example"}, {"roles", {"wizard"}}})
              .status == 422);
    CHECK(f.with_bearer(Method::kPost, "/api/v1/users", admin,
                        {{"email", "y@clinic.example"}, {"password", "short"}})
              .status == 422);

    auto list = body_of(f.with_bearer(Method::kGet, "/api/v1/users", admin));
    CHECK(list["total"] == 2);
    Request filtered =
        f.request(Method::kGet, "/api/v1/users", {}, {{"authorization", "Bearer " + admin}});
    filtered.query = "role=physician";
    auto physicians = body_of(f.call(filtered));
    REQUIRE(physicians["users"].size() == 1);
    CHECK(physicians["users"][0]["email"] == "doc@clinic.example");
    CHECK(physicians["users"][0]["id"].is_string());  // Tuva EMPI's user shape
    CHECK(physicians["users"][0].contains("role"));

    const std::string doc_path = "/api/v1/users/" + doc["id"].get<std::string>();
    CHECK(body_of(f.with_bearer(Method::kGet, doc_path, admin))["email"] == "doc@clinic.example");
    CHECK(f.with_bearer(Method::kGet, "/api/v1/users/424242", admin).status == 404);
    CHECK(f.with_bearer(Method::kPatch, doc_path, admin, {{"email", "new@x.example"}}).status ==
          422);
    // Tuva EMPI's role update.
    CHECK(
        f.with_bearer(Method::kPost, doc_path, admin, {{"user_id", doc["id"]}, {"role", "member"}})
            .status == 200);
    CHECK(body_of(f.with_bearer(Method::kGet, doc_path, admin))["role"] == "member");
    CHECK(f.with_bearer(Method::kPost, doc_path, admin, {{"user_id", doc["id"]}, {"role", "owner"}})
              .status == 422);

    // Disabling ends the account's sessions; the last active admin cannot be demoted.
    auto doc_session = f.session("doc@clinic.example");
    CHECK(f.with_bearer(Method::kPatch, doc_path, admin, {{"status", "disabled"}}).status == 200);
    CHECK(f.refresh(doc_session["refresh_token"]).status == 401);
    CHECK(f.login("doc@clinic.example", kTestPassword).status == 401);
    const std::string root_path =
        "/api/v1/users/" +
        body_of(f.with_bearer(Method::kGet, "/api/v1/auth/me", admin))["id"].get<std::string>();
    CHECK(f.with_bearer(Method::kPatch, root_path, admin, {{"roles", {"physician"}}}).status ==
          409);

    // A one-time set-password token from an admin.
    auto reset = f.with_bearer(Method::kPost, doc_path + "/reset-password", admin);
    REQUIRE(reset.status == 201);
    CHECK(f.post("/api/v1/auth/reset-password",
                 {{"token", body_of(reset)["token"]}, {"password", "a brand new secret"}})
              .status == 204);
    CHECK_FALSE(f.audit_of(std::stoll(doc["id"].get<std::string>()), "user.update").empty());
  }
}

TEST_CASE("auth: API tokens are shown once, work by scope, and stop when revoked",
          "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto admin = f.admin_token();
    auto made =
        f.with_bearer(Method::kPost, "/api/v1/tokens", admin,
                      {{"name", "CT scanner"}, {"scopes", {"dicom:write"}}, {"expires_in", 3600}});
    REQUIRE(made.status == 201);
    const auto token = body_of(made);
    const std::string bearer = token["token"];
    CHECK(bearer.starts_with("cht_"));
    CHECK(token["expires_at"].is_string());

    auto listed = f.with_bearer(Method::kGet, "/api/v1/tokens", admin);
    CHECK(listed.body.find(bearer.substr(bearer.rfind('_') + 1)) ==
          std::string::npos);  // never again
    CHECK(body_of(listed)["tokens"][0]["name"] == "CT scanner");

    // The token authenticates (403: a machine client is not an admin), the admin routes stay
    // closed.
    CHECK(f.with_bearer(Method::kGet, "/api/v1/tokens", bearer).status == 403);
    CHECK(f.with_bearer(Method::kDelete, "/api/v1/tokens/" + token["id"].get<std::string>(), admin)
              .status == 204);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/tokens", bearer).status == 401);
    CHECK(f.with_bearer(Method::kDelete, "/api/v1/tokens/" + token["id"].get<std::string>(), admin)
              .status == 404);

    CHECK(
        f.with_bearer(Method::kPost, "/api/v1/tokens", admin, {{"name", "x"}, {"scopes", {"root"}}})
            .status == 422);
    CHECK(f.with_bearer(Method::kPost, "/api/v1/tokens", admin, {{"name", "x"}}).status == 422);
    CHECK(f.with_bearer(Method::kPost, "/api/v1/tokens", admin,
                        {{"name", "x"}, {"scopes", {"empi:read"}}, {"expires_in", -5}})
              .status == 422);
  }
}

TEST_CASE("auth: self-registration only for the roles the config opens", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture closed(backend);
    CHECK(closed
              .post("/api/v1/auth/register",
                    {{"email", "p@x.example"}, {"role", "patient"}, {"password", kTestPassword}})
              .status == 403);

    AuthServiceFixture open(backend, [](auth::AuthConfig& c) {
      c.registration_roles = {"patient", "user"};
    });
    CHECK(open.post("/api/v1/auth/register",
                    {{"email", "p@x.example"}, {"role", "patient"}, {"password", kTestPassword}})
              .status == 201);
    CHECK(open.session("p@x.example")["user"]["roles"] == nlohmann::json::array({"patient"}));
    // An app user with a username only.
    CHECK(open.post("/api/v1/auth/register",
                    {{"username", "tracer42"}, {"role", "user"}, {"password", kTestPassword}})
              .status == 201);
    CHECK(open.post("/api/v1/auth/register",
                    {{"email", "a@x.example"}, {"role", "admin"}, {"password", kTestPassword}})
              .status == 403);
    CHECK(open.post("/api/v1/auth/register",
                    {{"email", "p@x.example"}, {"role", "patient"}, {"password", kTestPassword}})
              .status == 409);
  }
}

TEST_CASE(
    "auth: a throttled login says when to retry, and password guesses are slowed like "
    "sign-ins",
    "[auth][contract]") {
  AuthServiceFixture f(Backend::kSqlite, [](auth::AuthConfig& c) {
    c.login_rate_per_minute = 2;
    c.lockout_failures = 3;
  });
  f.add_user("doc@clinic.example");
  CHECK(f.login("nobody@x.example", "whatever password").status == 401);
  CHECK(f.login("nobody@x.example", "whatever password").status == 401);
  auto throttled = f.login("nobody@x.example", "whatever password");
  CHECK(throttled.status == 429);
  REQUIRE(header_of(throttled, "retry-after"));
  CHECK(std::stoi(*header_of(throttled, "retry-after")) > 0);

  // Guessing the current password through a signed-in session waits like guessing at sign-in.
  auto signed_in = f.login("doc@clinic.example", kTestPassword, "10.9.9.9");
  REQUIRE(signed_in.status == 200);
  const std::string access = body_of(signed_in)["access_token"];
  auto guess = [&](int i) {
    return f.with_bearer(Method::kPost, "/api/v1/auth/password", access,
                         {{"current_password", "guess number " + std::to_string(i)},
                          {"new_password", "a brand new secret"}});
  };
  for (int i = 0; i < 3; ++i) CHECK(guess(i).status == 403);
  auto held = guess(3);
  CHECK(held.status == 429);
  CHECK(header_of(held, "retry-after") == "1");
  // The owner signing in from elsewhere is not held back.
  CHECK(f.login("doc@clinic.example", kTestPassword, "10.8.8.8").status == 200);
}

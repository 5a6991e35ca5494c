// The auth module in the real binary on SQLite: `carehub bootstrap` as an operator runs it, then
// the admin sets a password, signs in, refreshes and calls an admin-only route over HTTP.
#include <catch2/catch.hpp>
#include <regex>

#include "support/e2e_server.hpp"

using namespace carehub::test;

namespace {

const std::string kAdmin = "a@b.example";
const std::string kPassword = "a long admin passphrase";

ServerOptions options_not_started() {
  ServerOptions options;
  options.start = false;
  // Cheap hashing keeps the test quick; the rest is the shipped defaults.
  options.extra = {{"auth", {{"password_memory_kib", 8192}, {"password_iterations", 1}}}};
  return options;
}

}  // namespace

TEST_CASE("auth: bootstrap prints a set-password token that lets the first admin in",
          "[e2e][auth]") {
  ServerUnderTest server(options_not_started());

  const auto first = server.cli({"bootstrap", "--admin-email", kAdmin});
  INFO(describe(first));
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("created admin " + kAdmin) != std::string::npos);
  std::smatch m;
  REQUIRE(std::regex_search(first.out, m, std::regex(R"re("token":"([0-9a-f]+)")re")));
  const std::string token = m[1].str();

  const auto second = server.cli({"bootstrap", "--admin-email", "someone.else@b.example"});
  INFO(describe(second));
  CHECK(second.exit_code == 0);
  CHECK(second.out.find("already exists") != std::string::npos);
  CHECK(second.out.find("token") == std::string::npos);

  server.start();
  auto http = server.client();
  CHECK(http.post_json("/api/v1/auth/login", {{"email", kAdmin}, {"password", kPassword}}).status ==
        401);
  const nlohmann::json reset = {{"token", token}, {"password", kPassword}};
  auto set = http.post_json("/api/v1/auth/reset-password", reset);
  INFO(set.summary());
  REQUIRE(set.status == 204);
  CHECK(http.post_json("/api/v1/auth/reset-password", reset).status == 400);

  auto login = http.post_json("/api/v1/auth/login", {{"email", kAdmin}, {"password", kPassword}});
  INFO(login.summary());
  REQUIRE(login.status == 200);
  const auto session = login.json();
  CHECK(session["token_type"] == "Bearer");
  const std::string access = session["access_token"];

  auto me = http.get("/api/v1/auth/me", bearer(access));
  INFO(me.summary());
  REQUIRE(me.status == 200);
  CHECK(me.json()["email"] == kAdmin);
  CHECK(me.json()["roles"] == nlohmann::json::array({"admin"}));

  auto refreshed =
      http.post_json("/api/v1/auth/refresh", {{"refresh_token", session["refresh_token"]}});
  INFO(refreshed.summary());
  REQUIRE(refreshed.status == 200);
  CHECK(refreshed.json()["refresh_token"] != session["refresh_token"]);
  CHECK(http.get("/api/v1/auth/me", bearer(refreshed.json()["access_token"])).status == 200);
  CHECK(http.post_json("/api/v1/auth/refresh", {{"refresh_token", session["refresh_token"]}})
            .status == 401);
  // That reuse looked like a stolen token: every access token issued until then ends at once,
  // this one too although it was issued the same second.
  CHECK(http.get("/api/v1/auth/me", bearer(access)).status == 401);
  auto again = http.post_json("/api/v1/auth/login", {{"email", kAdmin}, {"password", kPassword}});
  REQUIRE(again.status == 200);
  const std::string access_now = again.json()["access_token"];

  // Authorized and the job is absent: 404; no credentials: 401 saying how to authenticate.
  auto job = http.get("/api/v1/jobs/999", bearer(access_now));
  INFO(job.summary());
  CHECK(job.status == 404);
  auto anonymous = http.get("/api/v1/jobs/999");
  CHECK(anonymous.status == 401);
  CHECK(anonymous.header("www-authenticate").has_value());
  CHECK(http.get("/api/v1/jobs/999", bearer(access_now + "x")).status == 401);

  auto jwks = http.get("/.well-known/jwks.json");
  REQUIRE(jwks.status == 200);
  REQUIRE(jwks.json()["keys"].size() == 1);
  CHECK_FALSE(jwks.json()["keys"][0].contains("d"));

  // The signing key was generated once and kept: a restarted server accepts the same token.
  server.stop();
  server.start();
  auto after_restart = server.client().get("/api/v1/auth/me", bearer(access_now));
  INFO(after_restart.summary());
  CHECK(after_restart.status == 200);
}

TEST_CASE("auth: bootstrap with --password-file lets the admin sign in directly", "[e2e][auth]") {
  ServerUnderTest server(options_not_started());
  const std::string password_file = server.dir() + "/admin-password";
  write_file(password_file, kPassword + "\n");

  const auto r =
      server.cli({"bootstrap", "--admin-email", kAdmin, "--password-file", password_file});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.find("created admin " + kAdmin) != std::string::npos);
  CHECK(r.out.find("token") == std::string::npos);

  server.start();
  auto http = server.client();
  auto login = http.post_json("/api/v1/auth/login", {{"email", kAdmin}, {"password", kPassword}});
  INFO(login.summary());
  REQUIRE(login.status == 200);
  CHECK(http.get("/api/v1/auth/me", bearer(login.json()["access_token"])).status == 200);
}

TEST_CASE("auth: bootstrap refuses a short password from --password-file", "[e2e][auth]") {
  ServerUnderTest server(options_not_started());
  const std::string password_file = server.dir() + "/admin-password";
  write_file(password_file, "short\n");
  const auto r =
      server.cli({"bootstrap", "--admin-email", kAdmin, "--password-file", password_file});
  INFO(describe(r));
  REQUIRE(r.exit_code.has_value());
  CHECK(*r.exit_code != 0);
  // Nothing was created: a later run with a good password creates the admin.
  write_file(password_file, kPassword);
  const auto retry =
      server.cli({"bootstrap", "--admin-email", kAdmin, "--password-file", password_file});
  INFO(describe(retry));
  CHECK(retry.exit_code == 0);
  CHECK(retry.out.find("created admin") != std::string::npos);
}

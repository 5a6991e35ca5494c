// Two `carehub serve` processes on one PostgreSQL database and one keys directory, as a site with
// several replicas runs them: a session opened on one works on the other, a user disabled on one
// is refused by the other within moments, and a key rotated on one verifies on the other.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "support/e2e_server.hpp"

using namespace carehub::test;

namespace {

const std::string kAdmin = "admin@clinic.example";
const std::string kPassword = "a long admin passphrase";

std::string login(HttpClient& http, const std::string& email) {
  auto r = http.post_json("/api/v1/auth/login", {{"email", email}, {"password", kPassword}});
  INFO(r.summary());
  REQUIRE(r.status == 200);
  return r.json()["access_token"].get<std::string>();
}

}  // namespace

TEST_CASE("auth: two replicas on PostgreSQL share sessions, revocations and rotated keys",
          "[e2e][auth]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions a_options;
  a_options.database_url = pg.url();
  a_options.start = false;
  a_options.extra = {{"auth", {{"password_memory_kib", 8192}, {"password_iterations", 1}}}};
  ServerUnderTest a(a_options);
  const std::string password_file = a.dir() + "/admin-password";
  write_file(password_file, kPassword + "\n");
  REQUIRE(
      a.cli({"bootstrap", "--admin-email", kAdmin, "--password-file", password_file}).exit_code ==
      0);
  a.start();

  ServerOptions b_options = a_options;
  b_options.migrate = false;
  b_options.start = true;
  b_options.extra["auth"]["keys_dir"] = a.dir() + "/data/keys";
  ServerUnderTest b(b_options);

  auto on_a = a.client();
  auto on_b = b.client();
  const auto admin = login(on_a, kAdmin);
  auto created = on_a.post_json(
      "/api/v1/users",
      {{"email", "doc@clinic.example"}, {"roles", {"physician"}}, {"password", kPassword}},
      bearer(admin));
  INFO(created.summary());
  REQUIRE(created.status == 201);
  const std::string doc_id = created.json()["id"];

  const auto doc = login(on_a, "doc@clinic.example");
  CHECK(on_b.get("/api/v1/auth/me", bearer(doc)).status == 200);  // a session from A works on B

  // Disabled through B at once (the same second as the sign-in): B refuses the token from the
  // answer on, A once the notification arrives, on every route (not only /auth/me).
  REQUIRE(on_a.get("/api/v1/cases", bearer(doc)).status == 200);  // A knows the account now
  auto disabled =
      on_b.request("PATCH", "/api/v1/users/" + doc_id, bearer(admin), R"({"status":"disabled"})");
  INFO(disabled.summary());
  REQUIRE(disabled.status == 200);
  const auto disabled_at = std::chrono::steady_clock::now();
  CHECK(on_b.get("/api/v1/cases", bearer(doc)).status == 401);
  CHECK(eventually([&] { return on_a.get("/api/v1/cases", bearer(doc)).status == 401; },
                   std::chrono::seconds(5)));
  const auto propagated = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - disabled_at);
  INFO("revocation reached the other replica in " << propagated.count() << " ms");
  CHECK(propagated < std::chrono::seconds(2));
  CHECK(on_a.get("/api/v1/auth/me", bearer(admin)).status == 200);

  // A rotates; B has never seen the new key but finds it in the shared directory.
  auto rotated =
      on_a.post_json("/api/v1/auth/keys/rotate", nlohmann::json::object(), bearer(admin));
  INFO(rotated.summary());
  REQUIRE(rotated.status == 201);
  const auto fresh = login(on_a, kAdmin);
  auto on_b_fresh = on_b.get("/api/v1/auth/me", bearer(fresh));
  INFO(on_b_fresh.summary());
  CHECK(on_b_fresh.status == 200);
  CHECK(on_b.get("/api/v1/auth/me", bearer(admin)).status == 200);  // the old key still verifies
}

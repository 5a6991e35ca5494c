#include "support/signed_in_server.hpp"

#include <catch2/catch.hpp>

namespace carehub::test {

std::unique_ptr<ServerUnderTest> started_server(ServerOptions options) {
  options.start = false;
  nlohmann::json extra = {{"auth", {{"password_memory_kib", 8192}, {"password_iterations", 1}}}};
  extra.merge_patch(options.extra);
  options.extra = extra;
  auto server = std::make_unique<ServerUnderTest>(options);
  write_file(server->dir() + "/pw", kPassword + "\n");
  REQUIRE(
      server->cli({"bootstrap", "--admin-email", kAdmin, "--password-file", server->dir() + "/pw"})
          .exit_code == 0);
  server->start();
  return server;
}

std::string login(HttpClient& http, const std::string& email) {
  auto r = http.post_json("/api/v1/auth/login", {{"email", email}, {"password", kPassword}});
  INFO(r.summary());
  REQUIRE(r.status == 200);
  return r.json()["access_token"].get<std::string>();
}

std::int64_t add_user(HttpClient& http, const std::string& admin_token, const std::string& email,
                      const std::vector<std::string>& roles) {
  auto r =
      http.post_json("/api/v1/users", {{"email", email}, {"roles", roles}, {"password", kPassword}},
                     bearer(admin_token));
  INFO(r.summary());
  REQUIRE(r.status == 201);
  const auto id = r.json()["id"];
  return id.is_string() ? std::stoll(id.get<std::string>()) : id.get<std::int64_t>();
}

std::string api_token(HttpClient& http, const std::string& admin_token,
                      const std::vector<std::string>& scopes) {
  auto r = http.post_json("/api/v1/tokens", {{"name", "test-client"}, {"scopes", scopes}},
                          bearer(admin_token));
  INFO(r.summary());
  REQUIRE(r.status == 201);
  return r.json()["token"].get<std::string>();
}

}  // namespace carehub::test

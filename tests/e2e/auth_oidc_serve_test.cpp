// External OpenID Connect end to end: a real provider on loopback issues access tokens, the real
// carehub binary (auth.oidc configured) accepts them for users that exist here, by email.
#include <catch2/catch.hpp>

#include "support/e2e_server.hpp"
#include "support/oidc_provider.hpp"

using namespace carehub::test;

TEST_CASE("oidc: the provider's tokens sign in existing users, and unknown emails get 403",
          "[e2e][oidc]") {
  OidcTestProvider provider;
  ServerOptions options;
  options.extra = {
      {"auth", {{"oidc", {{"issuer", provider.issuer()}, {"audience", "carehub-test"}}}}}};
  options.start = false;
  ServerUnderTest server(options);
  // The admin is created with no password: it signs in through the provider.
  auto boot = server.cli({"bootstrap", "--admin-email", "alice@clinic.example"});
  INFO(boot.err);
  REQUIRE(boot.exit_code == 0);
  CHECK(boot.out.find("identity provider") != std::string::npos);
  server.start();
  auto http = server.client();

  const auto alice = provider.token("alice", "urn:carehub:rs256");
  auto me = http.get("/api/v1/auth/me", {{"Authorization", "Bearer " + alice}});
  INFO(me.body);
  REQUIRE(me.status == 200);
  CHECK(me.json()["email"] == "alice@clinic.example");
  CHECK(me.json()["roles"] == nlohmann::json::array({"admin"}));
  CHECK(me.json()["has_password"] == false);
  // Admin routes work with the provider's token (ES256 this time).
  const auto alice_es = provider.token("alice", "urn:carehub:es256");
  CHECK(http.get("/api/v1/users", {{"Authorization", "Bearer " + alice_es}}).status == 200);

  // bob has a valid identity at the provider but no account here.
  auto bob = http.get("/api/v1/auth/me",
                      {{"Authorization", "Bearer " + provider.token("bob", "urn:carehub:rs256")}});
  CHECK(bob.status == 403);
  CHECK(bob.json()["error"]["code"] == "forbidden");

  // A tampered token: 401 with WWW-Authenticate.
  std::string forged = alice;
  forged[forged.size() - 5] = forged[forged.size() - 5] == 'A' ? 'B' : 'A';
  auto bad = http.get("/api/v1/auth/me", {{"Authorization", "Bearer " + forged}});
  CHECK(bad.status == 401);
  CHECK(bad.headers.count("www-authenticate") == 1);

  // Local password sign-in does not exist for an identity-provider user.
  CHECK(http.post_json("/api/v1/auth/login",
                       {{"email", "alice@clinic.example"}, {"password", "anything at all"}})
            .status == 401);
}

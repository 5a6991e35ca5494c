#include "auth/auth_config.hpp"

#include <catch2/catch.hpp>

using namespace carehub;
using Catch::Matchers::Contains;

TEST_CASE("auth config: defaults, overrides, and an OIDC issuer needs an audience",
          "[auth][config]") {
  ConfigSchema schema;
  add_core_config_schema(schema);
  auth::add_auth_config_schema(schema);
  auto defaults = auth::read_auth_config(Config::load(schema, std::nullopt, {}));
  CHECK(defaults.access_token_ttl_s == 900);
  CHECK(defaults.signing_algorithm == "EdDSA");
  CHECK(defaults.local_passwords());
  CHECK(defaults.registration_roles.empty());

  auto with_oidc =
      auth::read_auth_config(Config::load(schema, std::nullopt,
                                          {{"CAREHUB_AUTH__OIDC__ISSUER", "https://idp.example"},
                                           {"CAREHUB_AUTH__OIDC__AUDIENCE", "carehub"}}));
  CHECK_FALSE(with_oidc.local_passwords());
  CHECK(with_oidc.oidc.header == "Authorization");

  CHECK_THROWS_WITH(auth::read_auth_config(Config::load(
                        schema, std::nullopt, {{"CAREHUB_AUTH__OIDC__ISSUER", "https://idp"}})),
                    Contains("auth.oidc.audience"));
  CHECK_THROWS_WITH(
      Config::load(schema, std::nullopt, {{"CAREHUB_AUTH__SIGNING_ALGORITHM", "HS256"}}),
      Contains("auth.signing_algorithm"));
}

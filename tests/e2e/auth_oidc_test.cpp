// External OpenID Connect against a real provider (tests/oidc/provider.mjs, the npm package
// oidc-provider) that each test starts on loopback through scripts/oidc-test-provider.sh: real
// access tokens from its token endpoint verify and give the email; forged, expired, foreign and
// unsigned tokens do not; key rotation at the provider is followed with one JWKS fetch.
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "auth/jws.hpp"
#include "auth/oidc.hpp"
#include "support/http_client.hpp"
#include "support/oidc_provider.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

using carehub::auth::OidcConfig;
using carehub::auth::OidcFailure;
using carehub::auth::OidcResult;
using carehub::auth::OidcVerifier;
using carehub::test::HttpClient;
using carehub::test::OidcTestProvider;
using carehub::test::TempDir;
using nlohmann::json;

namespace {

class TestClock final : public carehub::Clock {
 public:
  TestClock() : now_(carehub::SystemClock().now_ms()) {}
  std::int64_t now_ms() const override { return now_.load(); }
  void advance_s(std::int64_t s) { now_ += s * 1000; }

 private:
  std::atomic<std::int64_t> now_;
};

const std::string kRs256 = "urn:carehub:rs256";
const std::string kEs256 = "urn:carehub:es256";

OidcConfig config_for(const OidcTestProvider& provider) {
  OidcConfig config;
  config.issuer = provider.issuer();
  config.audience = "carehub-test";
  return config;
}

std::vector<std::string> split_token(const std::string& token) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t dot; (dot = token.find('.', start)) != std::string::npos; start = dot + 1) {
    parts.push_back(token.substr(start, dot - start));
  }
  parts.push_back(token.substr(start));
  return parts;
}

json decode_part(const std::string& part) {
  return json::parse(carehub::auth::base64url_decode(part).value());
}

std::string encode_part(const json& j) {
  return carehub::auth::base64url_encode(j.dump());
}

std::string kid_of(const std::string& token) {
  return decode_part(split_token(token).at(0)).at("kid").get<std::string>();
}

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

}  // namespace

TEST_CASE("oidc: real RS256 and ES256 access tokens verify and give the email", "[e2e][oidc]") {
  OidcTestProvider provider;
  TestClock clock;
  OidcVerifier verifier(config_for(provider), clock);

  const auto alice = verifier.verify(provider.token("alice", kRs256));
  INFO(alice.reason);
  REQUIRE(alice.ok());
  CHECK(alice.email == "alice@clinic.example");
  CHECK(alice.subject == "alice");

  const auto bob_token = provider.token("bob", kEs256);
  CHECK(decode_part(split_token(bob_token).at(0)).at("alg") == "ES256");
  const auto bob = verifier.verify(bob_token);
  INFO(bob.reason);
  REQUIRE(bob.ok());
  CHECK(bob.email == "bob@clinic.example");

  // Discovery once, keys fetched once, then served from the cache.
  CHECK(verifier.verify(provider.token("carol", kRs256)).email == "carol@clinic.example");
  CHECK(verifier.jwks_fetches() == 1);
  CHECK(provider.jwks_requests() == 1);

  SECTION("with jwks_url configured, no discovery is needed") {
    auto config = config_for(provider);
    config.jwks_url = provider.issuer() + "/jwks";
    config.issuer = "http://127.0.0.1:1/not-served";  // the tokens' iss no longer matches
    OidcVerifier direct(config, clock);
    const auto wrong_issuer = direct.verify(provider.token("alice", kRs256));
    CHECK(wrong_issuer.failure == OidcFailure::kInvalidToken);
    CHECK_THAT(wrong_issuer.reason, Catch::Contains("issuer"));

    config.issuer = provider.issuer();
    OidcVerifier matching(config, clock);
    CHECK(matching.verify(provider.token("alice", kRs256)).email == "alice@clinic.example");
  }
}

TEST_CASE("oidc: tokens for another audience, without email or of an unaccepted alg are refused",
          "[e2e][oidc]") {
  OidcTestProvider provider;
  TestClock clock;
  OidcVerifier verifier(config_for(provider), clock);

  const auto other = verifier.verify(provider.token("alice", "urn:other:api"));
  CHECK(other.failure == OidcFailure::kInvalidToken);
  CHECK_THAT(other.reason, Catch::Contains("audience"));

  const auto service = verifier.verify(provider.token("service", kRs256));
  CHECK(service.failure == OidcFailure::kNoEmail);
  CHECK(service.email.empty());

  auto config = config_for(provider);
  config.algorithms = {"RS256"};
  OidcVerifier rs_only(config, clock);
  CHECK(rs_only.verify(provider.token("alice", kRs256)).ok());
  const auto es = rs_only.verify(provider.token("alice", kEs256));
  CHECK(es.failure == OidcFailure::kInvalidToken);
  CHECK_THAT(es.reason, Catch::Contains("algorithm"));

  CHECK(verifier.verify("").failure == OidcFailure::kInvalidToken);
  CHECK(verifier.verify("not.a.token").failure == OidcFailure::kInvalidToken);
}

TEST_CASE("oidc: forged, unsigned and expired tokens are refused", "[e2e][oidc]") {
  OidcTestProvider provider;
  TestClock clock;
  OidcVerifier verifier(config_for(provider), clock);
  const auto real = provider.token("alice", kRs256);
  REQUIRE(verifier.verify(real).ok());
  const auto parts = split_token(real);
  auto header = decode_part(parts.at(0));
  auto claims = decode_part(parts.at(1));
  claims["email"] = "admin@clinic.example";

  // Re-signed with a key of our own under the provider's kid.
  std::unique_ptr<EVP_PKEY, PkeyFree> own(EVP_RSA_gen(2048));
  REQUIRE(own);
  const auto input = encode_part(header) + "." + encode_part(claims);
  const auto forged = input + "." +
                      carehub::auth::base64url_encode(carehub::auth::jws_sign(
                          own.get(), carehub::auth::JwsAlgorithm::kRS256, input));
  const auto forged_result = verifier.verify(forged);
  CHECK(forged_result.failure == OidcFailure::kInvalidToken);
  CHECK(forged_result.email.empty());

  // The provider's real signature over changed claims.
  CHECK(verifier.verify(input + "." + parts.at(2)).failure == OidcFailure::kInvalidToken);

  // alg none (empty signature), and HS256 (which a confused verifier might key with the JWK).
  for (const std::string alg : {"none", "HS256"}) {
    INFO("alg " << alg);
    auto unsigned_header = header;
    unsigned_header["alg"] = alg;
    const auto body = encode_part(unsigned_header) + "." + encode_part(claims);
    CHECK(verifier.verify(body + ".").failure == OidcFailure::kInvalidToken);
    CHECK(verifier.verify(body + "." + parts.at(2)).failure == OidcFailure::kInvalidToken);
  }

  // Expired: the provider's tokens live 300 s; past that and the leeway they are refused.
  clock.advance_s(claims.at("exp").get<std::int64_t>() - claims.at("iat").get<std::int64_t>() + 60);
  const auto expired = verifier.verify(real);
  CHECK(expired.failure == OidcFailure::kInvalidToken);
  CHECK_THAT(expired.reason, Catch::Contains("expired"));

  // None of the refusals made the verifier fetch keys again.
  CHECK(verifier.jwks_fetches() == 1);
}

TEST_CASE("oidc: after key rotation at the provider, a new kid verifies after one JWKS fetch",
          "[e2e][oidc]") {
  OidcTestProvider provider;
  TestClock clock;
  auto config = config_for(provider);
  config.min_refresh_interval_s = 60;
  OidcVerifier verifier(config, clock);
  REQUIRE(verifier.verify(provider.token("alice", kRs256)).ok());
  REQUIRE(provider.jwks_requests() == 1);

  const auto second_kids = provider.rotate();
  const auto rotated = provider.token("alice", kRs256);
  CHECK(kid_of(rotated) == second_kids.at(0));
  // Keys fetched moments ago are not fetched again for an unknown kid...
  CHECK(verifier.verify(rotated).failure == OidcFailure::kInvalidToken);
  CHECK(provider.jwks_requests() == 1);
  // ...but once the interval has passed they are, and the new kid verifies.
  clock.advance_s(61);
  const auto after_rotation = verifier.verify(rotated);
  INFO(after_rotation.reason);
  CHECK(after_rotation.email == "alice@clinic.example");
  CHECK(provider.jwks_requests() == 2);
  CHECK(verifier.verify(provider.token("bob", kEs256)).ok());  // the new EC key came too
  CHECK(provider.jwks_requests() == 2);

  // A second rotation within the interval: its kid stays unknown, no fetch.
  provider.rotate();
  const auto third = provider.token("carol", kRs256);
  const auto too_soon = verifier.verify(third);
  CHECK(too_soon.failure == OidcFailure::kInvalidToken);
  CHECK_THAT(too_soon.reason, Catch::Contains("unknown kid"));
  auto made_up = split_token(third);
  auto made_up_header = decode_part(made_up.at(0));
  made_up_header["kid"] = "no-such-kid";
  CHECK(!verifier.verify(encode_part(made_up_header) + "." + made_up.at(1) + "." + made_up.at(2))
             .ok());
  CHECK(provider.jwks_requests() == 2);
  CHECK(verifier.jwks_fetches() == 2);

  // Once the interval has passed, the next unknown kid fetches again, once for all callers.
  clock.advance_s(61);
  std::vector<std::thread> threads;
  std::atomic<int> verified{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (verifier.verify(third).email == "carol@clinic.example") ++verified;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(verified == 8);
  CHECK(provider.jwks_requests() == 3);
  CHECK(verifier.jwks_fetches() == 3);
}

TEST_CASE("oidc: a provider that cannot be used is an error value", "[e2e][oidc]") {
  TestClock clock;
  OidcConfig config;
  config.audience = "carehub-test";
  config.fetch_timeout_ms = 2000;

  SECTION("nothing listens at the issuer") {
    config.issuer = "http://127.0.0.1:" + std::to_string(carehub::test::free_loopback_port());
    OidcVerifier verifier(config, clock);
    const auto result = verifier.verify("eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
    CHECK(result.failure == OidcFailure::kProviderUnavailable);
    CHECK_FALSE(result.reason.empty());
    // A dead provider is not asked again for every request, only every few seconds.
    CHECK(verifier.verify("eyJhbGciOiJSUzI1NiJ9.e30.c2ln").failure ==
          OidcFailure::kProviderUnavailable);
    CHECK(verifier.jwks_fetches() == 1);
    clock.advance_s(6);
    CHECK(verifier.verify("eyJhbGciOiJSUzI1NiJ9.e30.c2ln").failure ==
          OidcFailure::kProviderUnavailable);
    CHECK(verifier.jwks_fetches() == 2);
  }
  SECTION("the discovery document names another issuer") {
    OidcTestProvider provider;
    config.issuer = provider.issuer() + "/";  // same document, but "iss" differs by the slash
    OidcVerifier verifier(config, clock);
    const auto result = verifier.verify(provider.token("alice", kRs256));
    CHECK(result.failure == OidcFailure::kProviderUnavailable);
    CHECK_THAT(result.reason, Catch::Contains("issuer"));
    CHECK(provider.jwks_requests() == 0);
  }
  SECTION("keys over plain http from a non-loopback host are refused at construction") {
    config.issuer = "http://idp.example.org/realms/clinic";
    CHECK_THROWS_AS(OidcVerifier(config, clock), std::invalid_argument);
    config.issuer = "https://idp.example.org/realms/clinic";
    config.jwks_url = "http://idp.example.org/jwks";
    CHECK_THROWS_AS(OidcVerifier(config, clock), std::invalid_argument);
  }
}

TEST_CASE("oidc: the token is read from the configured header", "[e2e][oidc]") {
  using carehub::auth::token_from_header;
  CHECK(token_from_header("Authorization", "Bearer abc.def.ghi") == "abc.def.ghi");
  CHECK(token_from_header("authorization", "bearer   abc ") == "abc");
  CHECK_FALSE(token_from_header("Authorization", "Basic YTpi").has_value());
  CHECK_FALSE(token_from_header("Authorization", "Bearer ").has_value());
  CHECK_FALSE(token_from_header("Authorization", "Bearerabc").has_value());
  CHECK(token_from_header("X-Forwarded-Access-Token", " abc.def.ghi ") == "abc.def.ghi");
  CHECK_FALSE(token_from_header("X-Forwarded-Access-Token", "").has_value());
}

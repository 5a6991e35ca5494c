// Access tokens: time, issuer and audience claims, malformed input, tokens without kid, and
// RS256 tokens from an external provider's RSA key.
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "auth/jwk.hpp"
#include "auth/jwt.hpp"
#include "support/auth_forge.hpp"

using carehub::auth::JwkSet;
using carehub::auth::JwtError;
using carehub::auth::verify_jwt;
using carehub::test::access_claims;
using carehub::test::access_options;
using carehub::test::b64url;
using carehub::test::forge;
using carehub::test::jws_parts;
using carehub::test::kTokenAudience;
using carehub::test::kTokenNow;
using carehub::test::Signer;
using carehub::test::unb64url;
using nlohmann::json;

TEST_CASE("auth jwt: expiry and not-before are enforced with leeway", "[unit][auth][jwt]") {
  Signer s(GENERATE(as<std::string>{}, "EdDSA", "ES256"));
  json claims = access_claims(kTokenNow - 1000);  // exp 100 s ago
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kExpired);

  claims = access_claims(kTokenNow);
  claims["exp"] = kTokenNow - 10;  // within the 30 s leeway
  CHECK(s.verify(s.ring.sign(claims)).ok());
  claims["exp"] = kTokenNow - 30;
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kExpired);

  claims.erase("exp");
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kExpired);
  claims["exp"] = "tomorrow";
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kMalformed);

  claims = access_claims(kTokenNow);
  claims["nbf"] = kTokenNow + 120;
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kNotYetValid);
  claims["nbf"] = kTokenNow + 20;
  CHECK(s.verify(s.ring.sign(claims)).ok());

  claims = access_claims(kTokenNow);
  claims["iat"] = kTokenNow + 120;
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kNotYetValid);
}

TEST_CASE("auth jwt: issuer and audience must be ours", "[unit][auth][jwt]") {
  Signer s(GENERATE(as<std::string>{}, "EdDSA", "ES256"));
  json claims = access_claims(kTokenNow);
  claims["iss"] = "https://evil.test";
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kWrongIssuer);
  claims.erase("iss");
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kWrongIssuer);

  claims = access_claims(kTokenNow);
  claims["aud"] = "other-api";
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kWrongAudience);
  claims["aud"] = {"other-api", "reporting"};
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kWrongAudience);
  claims.erase("aud");
  CHECK(s.error_of(s.ring.sign(claims)) == JwtError::kWrongAudience);

  claims["aud"] = {"other-api", kTokenAudience};
  const auto result = s.verify(s.ring.sign(claims));
  REQUIRE(result.ok());
  CHECK(result.claims()["aud"] == json{"other-api", kTokenAudience});
}

TEST_CASE("auth jwt: truncated, garbage and padded tokens are malformed", "[unit][auth][jwt]") {
  Signer s(GENERATE(as<std::string>{}, "EdDSA", "ES256"));
  const std::string token = s.ring.sign(access_claims(kTokenNow));
  const auto p = jws_parts(token);

  for (const std::string& bad :
       {std::string(), std::string("garbage"), std::string("a.b.c"), std::string(".."),
        p[0] + "." + p[1], p[0], token + ".", token + "." + p[2], p[0] + "=." + p[1] + "." + p[2],
        p[0] + "." + p[1] + "=." + p[2], p[0] + "." + p[1] + "." + p[2] + "==",
        p[0] + "." + p[1] + "." + p[2] + "+", "+" + token.substr(1), p[0] + ".." + p[2],
        " " + token, b64url("[1,2]") + "." + p[1] + "." + p[2],
        b64url("{\"alg\":\"EdDSA\"") + "." + p[1] + "." + p[2]}) {
    INFO(bad);
    CHECK(s.error_of(bad) == JwtError::kMalformed);
  }
  // Cut inside the signature: never accepted (its length no longer fits, or it is not base64url).
  for (std::size_t cut = 1; cut <= 4; ++cut) {
    CHECK_FALSE(s.verify(token.substr(0, token.size() - cut)).ok());
  }
  json huge = access_claims(kTokenNow);
  huge["pad"] = std::string(carehub::auth::kMaxTokenBytes, 'x');
  CHECK(s.error_of(s.ring.sign(huge)) == JwtError::kMalformed);

  json header = s.header();
  header["crit"] = {"b64"};
  CHECK(s.error_of(forge(s.key.get(), header, access_claims(kTokenNow))) == JwtError::kMalformed);
  header = s.header();
  header["kid"] = 17;
  CHECK(s.error_of(forge(s.key.get(), header, access_claims(kTokenNow))) == JwtError::kMalformed);
}

TEST_CASE("auth jwt: a token without kid is tried against the keys only when allowed",
          "[unit][auth][jwt]") {
  Signer s(GENERATE(as<std::string>{}, "EdDSA", "ES256"));
  json header = s.header();
  header.erase("kid");
  const std::string token = forge(s.key.get(), header, access_claims(kTokenNow));
  auto o = access_options(s.algorithm);
  CHECK(s.error_of(token, o) == JwtError::kMalformed);
  o.require_kid = false;
  const auto result = verify_jwt(token, s.ring.verification_keys(), o);
  REQUIRE(result.ok());
  CHECK(result.claims()["sub"] == "user-42");
  Signer other(s.algorithm);
  CHECK(other.error_of(token, o) == JwtError::kBadSignature);
}

TEST_CASE("auth jwt: RS256 tokens verify against an RSA JWK", "[unit][auth][jwt]") {
  const auto rsa = carehub::test::generate_key("RSA");
  const auto param = [&](const char* name) {
    BIGNUM* raw = nullptr;
    REQUIRE(EVP_PKEY_get_bn_param(rsa.get(), name, &raw) == 1);
    std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(raw, &BN_free);
    std::string out(static_cast<std::size_t>(BN_num_bytes(bn.get())), '\0');
    BN_bn2bin(bn.get(), reinterpret_cast<unsigned char*>(out.data()));
    return b64url(out);
  };
  const json jwks = {{"keys",
                      {{{"kty", "RSA"},
                        {"kid", "provider-rsa-1"},
                        {"alg", "RS256"},
                        {"use", "sig"},
                        {"n", param(OSSL_PKEY_PARAM_RSA_N)},
                        {"e", param(OSSL_PKEY_PARAM_RSA_E)}}}}};
  const JwkSet keys = JwkSet::from_json(jwks);
  REQUIRE(keys.has_kid("provider-rsa-1"));

  auto o = access_options("RS256");
  o.algorithms = {"RS256", "ES256"};
  const json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "provider-rsa-1"}};
  const std::string token = forge(rsa.get(), header, access_claims(kTokenNow));
  const auto result = verify_jwt(token, keys, o);
  REQUIRE(result.ok());
  CHECK(result.claims()["email"] == "ana@example.org");

  const auto p = jws_parts(token);
  std::string sig = unb64url(p[2]);
  sig[100] = static_cast<char>(sig[100] ^ 1);
  CHECK(verify_jwt(p[0] + "." + p[1] + "." + b64url(sig), keys, o).error() ==
        JwtError::kBadSignature);
  CHECK(verify_jwt(p[0] + "." + p[1] + "." + b64url(sig.substr(1)), keys, o).error() ==
        JwtError::kBadSignature);
  CHECK(verify_jwt(token, keys, access_options("ES256")).error() == JwtError::kAlgorithmNotAllowed);
  // The RSA key's kid on an ES256 token: the RSA key cannot be used for it.
  Signer ec("ES256");
  json ec_header = header;
  ec_header["alg"] = "ES256";
  CHECK(verify_jwt(forge(ec.key.get(), ec_header, access_claims(kTokenNow)), keys, o).error() ==
        JwtError::kAlgorithmNotAllowed);
}

// Reading other publishers' JWKS documents, and the base64url rules underneath.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "auth/jwk.hpp"
#include "auth/jwt.hpp"
#include "auth/keys.hpp"
#include "support/auth_forge.hpp"

using carehub::auth::base64url_decode;
using carehub::auth::base64url_encode;
using carehub::auth::JwkSet;
using carehub::auth::KeyRing;
using carehub::auth::verify_jwt;
using carehub::auth::VerifyOptions;
using carehub::test::kTokenNow;
using nlohmann::json;

namespace {

json claims() {
  return {{"sub", "u1"}, {"iat", kTokenNow}, {"exp", kTokenNow + 900}, {"iss", "i"}, {"aud", "a"}};
}

bool verifies(const std::string& token, const JwkSet& keys) {
  VerifyOptions o;
  o.algorithms = {"EdDSA", "ES256"};
  o.issuer = "i";
  o.audience = "a";
  o.now_s = kTokenNow;
  return verify_jwt(token, keys, o).ok();
}

}  // namespace

TEST_CASE("auth jwk: JwkSet reads the keys it can use and skips the rest", "[unit][auth][jwk]") {
  carehub::test::TempDir tmp;
  const KeyRing ed = KeyRing::load_or_generate({"EdDSA", {}, tmp.path() + "/ed"});
  const KeyRing ec = KeyRing::load_or_generate({"ES256", {}, tmp.path() + "/ec"});
  const json ed_jwk = ed.jwks()["keys"][0];
  const json ec_jwk = ec.jwks()["keys"][0];

  const auto variant = [](json jwk, const std::string& kid, const json& changes) {
    jwk["kid"] = kid;
    for (const auto& [k, v] : changes.items()) {
      if (v.is_null())
        jwk.erase(k);
      else
        jwk[k] = v;
    }
    return jwk;
  };
  std::string off_curve = *base64url_decode(ec_jwk["y"].get<std::string>());
  off_curve[31] = static_cast<char>(off_curve[31] ^ 1);
  const json jwks = {
      {"keys",
       {ed_jwk,
        ec_jwk,
        variant(ed_jwk, "no-alg", {{"alg", nullptr}, {"use", nullptr}}),
        variant(ed_jwk, "hmac", {{"kty", "oct"}, {"k", "c2VjcmV0"}, {"alg", "HS256"}}),
        variant(ed_jwk, "enc", {{"use", "enc"}}),
        variant(ed_jwk, "ops", {{"key_ops", {"encrypt"}}}),
        variant(ed_jwk, "x25519", {{"crv", "X25519"}}),
        variant(ed_jwk, "alg-mismatch", {{"alg", "ES256"}}),
        variant(ed_jwk, "padded", {{"x", ed_jwk["x"].get<std::string>() + "="}}),
        variant(ec_jwk, "p384", {{"crv", "P-384"}}),
        variant(ec_jwk, "off-curve", {{"y", base64url_encode(off_curve)}}),
        variant(ec_jwk, "short", {{"x", "AAAA"}}),
        {{"kty", "RSA"},
         {"kid", "rsa-small"},
         {"n", base64url_encode(std::string(128, '\xff'))},
         {"e", "AQAB"}},
        "not an object",
        {{"kid", 7}, {"kty", "OKP"}}}}};
  const JwkSet set = JwkSet::from_json(jwks);
  CHECK(set.size() == 3);
  CHECK(set.has_kid(ed.active_kid()));
  CHECK(set.has_kid(ec.active_kid()));
  CHECK(set.has_kid("no-alg"));
  for (const char* skipped : {"hmac", "enc", "ops", "x25519", "alg-mismatch", "padded", "p384",
                              "off-curve", "short", "rsa-small"}) {
    INFO(skipped);
    CHECK_FALSE(set.has_kid(skipped));
  }
  CHECK(verifies(ed.sign(claims()), set));
  CHECK(verifies(ec.sign(claims()), set));

  CHECK(JwkSet::from_json(json{{"keys", json::array()}}).empty());
  CHECK_THROWS_AS(JwkSet::from_json(json::array()), std::invalid_argument);
  CHECK_THROWS_AS(JwkSet::from_json(json{{"keys", "none"}}), std::invalid_argument);
}

TEST_CASE("auth jwk: base64url is unpadded and strict", "[unit][auth][jwk]") {
  // RFC 4648 section 10 vectors, without padding.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [raw, text] : vectors) {
    CHECK(base64url_encode(raw) == text);
    CHECK(base64url_decode(text) == raw);
  }
  CHECK(base64url_encode("\xfb\xff\xbf") == "-_-_");
  CHECK(base64url_decode("-_-_") == std::string("\xfb\xff\xbf"));
  for (const std::string bad :
       {"Zg==", "Zm8=", "Z", "Zm9vY", "+/+/", "Zm9v!", "Zm 9v", "Zh", "Zm9"}) {
    INFO(bad);
    CHECK_FALSE(base64url_decode(bad).has_value());
  }
}

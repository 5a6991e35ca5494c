// Request authentication through the real pipeline on both backends: API tokens by Bearer and
// Basic, and access tokens that must be refused (forged, expired, for another issuer or audience).
#include <openssl/hmac.h>

#include <catch2/catch.hpp>

#include "support/auth_fixture.hpp"

using namespace carehub;
using namespace carehub::test;

namespace {

const std::string kMe = "/api/v1/auth/me";

void check_refused(const Response& r) {
  INFO(r.body);
  CHECK(r.status == 401);
  CHECK(header_of(r, "www-authenticate").has_value());
}

nlohmann::json claims_for(AuthServiceFixture& f, std::int64_t user_id) {
  const std::int64_t now = f.clock.now_ms() / 1000;
  return {{"sub", std::to_string(user_id)},
          {"roles", {"admin"}},
          {"iat", now},
          {"gen", 0},  // a fresh account's token generation
          {"exp", now + 900},
          {"iss", f.config.issuer},
          {"aud", f.config.audience},
          {"jti", "forged"}};
}

std::string hs256(const std::string& key, const nlohmann::json& header,
                  const nlohmann::json& payload) {
  const std::string input = b64url(header.dump()) + "." + b64url(payload.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), ubytes(input), input.size(), mac,
       &len);
  return input + "." + b64url(std::string(reinterpret_cast<char*>(mac), len));
}

}  // namespace

TEST_CASE("auth: API tokens authenticate by Bearer and by Basic with their scopes",
          "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto device = f.api_token({"dicom:write", "dicom:read"});
    const std::string id = std::to_string(device.id);

    for (const std::string& value : {"Bearer " + device.bearer(), "bearer " + device.bearer(),
                                     "Basic " + base64(id + ":" + device.secret),
                                     "Basic " + base64("cht_" + id + ":" + device.secret)}) {
      INFO(value);
      auto principal = f.service->authenticate(
          f.request(Method::kGet, "/api/v1/jobs/1", {}, {{"authorization", value}}));
      REQUIRE(principal.has_value());
      CHECK(principal->kind == Principal::Kind::kApiToken);
      CHECK(principal->subject == "token:" + id);
      CHECK(principal->scopes == std::vector<std::string>{"dicom:write", "dicom:read"});
      CHECK(principal->roles.empty());
    }
    CHECK_FALSE(f.service->authenticate(f.request(Method::kGet, "/api/v1/jobs/1")).has_value());

    // Known but not allowed: a token is no admin, and /me is for users.
    auto users =
        f.call(Method::kGet, "/api/v1/users", {}, {{"authorization", "Bearer " + device.bearer()}});
    CHECK(users.status == 403);
    auto me = f.call(Method::kGet, kMe, {}, {{"authorization", "Bearer " + device.bearer()}});
    CHECK(me.status == 403);

    const std::string wrong_secret = std::string(device.secret.size(), '0');
    for (const std::string& value :
         {"Bearer " + auth::format_api_token(device.id, wrong_secret),
          "Bearer " + auth::format_api_token(device.id + 1000, device.secret),
          "Basic " + base64(id + ":" + wrong_secret), "Basic " + base64(id + ":"),
          "Basic " + base64("admin:" + device.secret), std::string("Basic !!!!"),
          "Bearer cht_abc_" + device.secret, std::string("Bearer cht_12"),
          std::string("Digest username=\"x\""), std::string("Bearer")}) {
      INFO(value);
      check_refused(f.call(Method::kGet, "/api/v1/jobs/1", {}, {{"authorization", value}}));
    }
  }
}

TEST_CASE("auth: revoked and expired API tokens are refused", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto revoked = f.api_token({"empi:read"});
    const auto expiring = f.api_token({"empi:read"}, f.clock.now_ms() + 60'000);
    auto as = [&](const AuthServiceFixture::ApiTokenSecret& t) {
      return f.call(Method::kGet, "/api/v1/jobs/1", {},
                    {{"authorization", "Bearer " + t.bearer()}});
    };
    CHECK(as(revoked).status == 403);
    CHECK(as(expiring).status == 403);

    REQUIRE(f.db().transact([&](Tx& tx) { return f.store().revoke_api_token(tx, revoked.id); }));
    check_refused(as(revoked));
    f.clock.advance(60'001);
    check_refused(as(expiring));
    check_refused(f.call(Method::kGet, "/api/v1/jobs/1", {},
                         {{"authorization", "Basic " + base64(std::to_string(expiring.id) + ":" +
                                                              expiring.secret)}}));
  }
}

TEST_CASE("auth: forged, expired and foreign access tokens are refused", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto user = f.add_user("target@clinic.example", {"physician"});
    const std::string good = f.session("target@clinic.example")["access_token"];
    REQUIRE(f.with_bearer(Method::kGet, kMe, good).status == 200);
    const auto parts = jws_parts(good);
    const auto header = nlohmann::json::parse(unb64url(parts[0]));
    const std::string kid = header["kid"];

    // The same key files sign a token the server accepts: the forgeries below differ only in
    // what they forge.
    auth::KeyRingConfig same_files;
    same_files.algorithm = "EdDSA";
    same_files.keys_dir = f.config.keys_dir;
    const auto same_ring = auth::KeyRing::load_or_generate(same_files);
    REQUIRE(same_ring.active_kid() == kid);
    REQUIRE(f.with_bearer(Method::kGet, kMe, same_ring.sign(claims_for(f, user.id))).status == 200);

    SECTION("alg none") {
      auto h = header;
      h["alg"] = "none";
      check_refused(f.with_bearer(Method::kGet, kMe, b64url(h.dump()) + "." + parts[1] + "."));
      check_refused(f.with_bearer(
          Method::kGet, kMe,
          b64url(h.dump()) + "." + b64url(claims_for(f, user.id).dump()) + "." + parts[2]));
    }
    SECTION("HS256 keyed with the published public key") {
      auto h = header;
      h["alg"] = "HS256";
      const auto jwks = f.service->jwks();
      const std::string x = unb64url(jwks["keys"][0]["x"].get<std::string>());
      check_refused(f.with_bearer(Method::kGet, kMe, hs256(x, h, claims_for(f, user.id))));
      check_refused(f.with_bearer(Method::kGet, kMe,
                                  hs256(jwks["keys"][0].dump(), h, claims_for(f, user.id))));
    }
    SECTION("signature changed") {
      std::string sig = parts[2];
      sig[sig.size() / 2] = sig[sig.size() / 2] == 'A' ? 'B' : 'A';
      check_refused(f.with_bearer(Method::kGet, kMe, parts[0] + "." + parts[1] + "." + sig));
      // Claims changed under the original signature.
      auto claims = nlohmann::json::parse(unb64url(parts[1]));
      claims["roles"] = {"admin"};
      check_refused(f.with_bearer(Method::kGet, kMe,
                                  parts[0] + "." + b64url(claims.dump()) + "." + parts[2]));
    }
    SECTION("signed by another key") {
      Signer other("EdDSA");
      check_refused(f.with_bearer(Method::kGet, kMe, other.ring.sign(claims_for(f, user.id))));
      // Another key claiming our kid.
      check_refused(
          f.with_bearer(Method::kGet, kMe, forge(other.key.get(), header, claims_for(f, user.id))));
    }
    SECTION("expired") {
      f.clock.advance((900 + 31) * 1000);
      auto r = f.with_bearer(Method::kGet, kMe, good);
      check_refused(r);
      CHECK(body_of(r)["error"]["message"].get<std::string>().find("expired") != std::string::npos);
    }
    SECTION("not yet valid") {
      auto claims = claims_for(f, user.id);
      claims["nbf"] = claims["iat"].get<std::int64_t>() + 600;
      check_refused(f.with_bearer(Method::kGet, kMe, same_ring.sign(claims)));
    }
    SECTION("wrong issuer or audience") {
      auto wrong_iss = claims_for(f, user.id);
      wrong_iss["iss"] = "https://elsewhere.example";
      check_refused(f.with_bearer(Method::kGet, kMe, same_ring.sign(wrong_iss)));
      auto wrong_aud = claims_for(f, user.id);
      wrong_aud["aud"] = "another-api";
      check_refused(f.with_bearer(Method::kGet, kMe, same_ring.sign(wrong_aud)));
      auto no_exp = claims_for(f, user.id);
      no_exp.erase("exp");
      check_refused(f.with_bearer(Method::kGet, kMe, same_ring.sign(no_exp)));
    }
    SECTION("garbage") {
      for (const std::string& token :
           {std::string("x"), std::string("a.b.c"), parts[0] + "..", std::string(9000, 'a')}) {
        check_refused(f.with_bearer(Method::kGet, kMe, token));
      }
    }
  }
}

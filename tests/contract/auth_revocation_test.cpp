// Cutting access short: access tokens stop at once on disable, role change, password change and
// sign-out, also on a second server sharing the database; signing keys rotate and are removed at
// run time; expired tokens are purged. Both backends.
#include <catch2/catch.hpp>

#include "support/auth_fixture.hpp"

using namespace carehub;
using namespace carehub::test;

namespace {

std::string message_of(const Response& r) {
  return body_of(r)["error"]["message"].get<std::string>();
}

// The kid in a compact JWS header.
std::string kid_of(const std::string& jwt) {
  const auto header = jwt.substr(0, jwt.find('.'));
  std::string b64(header);
  for (auto& c : b64) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (b64.size() % 4) b64 += '=';
  std::string raw(b64.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(raw.data()),
                                reinterpret_cast<const unsigned char*>(b64.data()),
                                static_cast<int>(b64.size()));
  raw.resize(static_cast<std::size_t>(n));
  raw = raw.substr(0, raw.rfind('}') + 1);
  return nlohmann::json::parse(raw)["kid"].get<std::string>();
}

}  // namespace

TEST_CASE("auth: disabling a user or changing roles ends their access tokens at once",
          "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto admin = f.admin_token();
    const auto doc = f.add_user("doc@clinic.example", {"physician"});
    auto session = f.session("doc@clinic.example");
    const auto token = session["access_token"].get<std::string>();
    REQUIRE(f.with_bearer(Method::kGet, "/api/v1/auth/me", token).status == 200);
    f.clock.advance(1000);

    // A name change is not a security event: the token keeps working.
    REQUIRE(f.with_bearer(Method::kPatch, "/api/v1/users/" + std::to_string(doc.id), admin,
                          {{"first_name", "Ada"}})
                .status == 200);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", token).status == 200);

    // A role change: the old token (which says "physician") is refused; a refresh brings the new
    // roles.
    REQUIRE(f.with_bearer(Method::kPatch, "/api/v1/users/" + std::to_string(doc.id), admin,
                          {{"roles", {"physician", "admin"}}})
                .status == 200);
    auto refused = f.with_bearer(Method::kGet, "/api/v1/auth/me", token);
    CHECK(refused.status == 401);
    CHECK(message_of(refused).find("revoked") != std::string::npos);
    auto refreshed = f.refresh(session["refresh_token"].get<std::string>());
    REQUIRE(refreshed.status == 200);
    const auto fresh = body_of(refreshed)["access_token"].get<std::string>();
    CHECK(f.with_bearer(Method::kGet, "/api/v1/users", fresh).status == 200);  // now an admin
    f.clock.advance(1000);

    // Disabled: the token is refused and no refresh brings it back.
    REQUIRE(f.with_bearer(Method::kPatch, "/api/v1/users/" + std::to_string(doc.id), admin,
                          {{"status", "disabled"}})
                .status == 200);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/users", fresh).status == 401);
    CHECK(f.refresh(body_of(refreshed)["refresh_token"].get<std::string>()).status == 401);
    // Others are untouched.
    CHECK(f.with_bearer(Method::kGet, "/api/v1/users", admin).status == 200);
  }
}

TEST_CASE("auth: sign-out and password change end access tokens issued before them",
          "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    f.add_user("doc@clinic.example", {"physician"});
    auto phone = f.session("doc@clinic.example");
    auto laptop = f.session("doc@clinic.example");
    f.clock.advance(1000);

    REQUIRE(f.post("/api/v1/auth/logout", {{"refresh_token", phone["refresh_token"]}}).status ==
            204);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", phone["access_token"]).status == 401);
    // The other session's access token must be refreshed once; its refresh token still works.
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", laptop["access_token"]).status == 401);
    auto again = f.refresh(laptop["refresh_token"].get<std::string>());
    REQUIRE(again.status == 200);
    laptop = body_of(again);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", laptop["access_token"]).status == 200);
    // Signing in again right away (the same second) works.
    auto back = f.session("doc@clinic.example");
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", back["access_token"]).status == 200);
    f.clock.advance(1000);

    REQUIRE(f.with_bearer(Method::kPost, "/api/v1/auth/password",
                          laptop["access_token"].get<std::string>(),
                          {{"current_password", kTestPassword},
                           {"new_password", "a brand new passphrase"},
                           {"refresh_token", laptop["refresh_token"]}})
                .status == 204);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", back["access_token"]).status == 401);
    CHECK(f.refresh(back["refresh_token"].get<std::string>()).status == 401);  // session ended
    auto kept = f.refresh(laptop["refresh_token"].get<std::string>());
    REQUIRE(kept.status == 200);  // the session that changed the password goes on
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", body_of(kept)["access_token"]).status ==
          200);
  }
}

TEST_CASE("auth: a second server on the same database learns of revocations", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto admin = f.admin_token();
    const auto doc = f.add_user("doc@clinic.example", {"physician"});
    const auto token = f.session("doc@clinic.example")["access_token"].get<std::string>();
    auth::AuthService other(f.config, f.db(), f.audit, f.clock);
    other.start_background();
    auto authenticate_on_other = [&] {
      auto req =
          f.request(Method::kGet, "/api/v1/auth/me", {}, {{"authorization", "Bearer " + token}});
      try {
        return other.authenticate(req).has_value();
      } catch (const ApiError&) {
        return false;
      }
    };
    REQUIRE(authenticate_on_other());
    f.clock.advance(1000);
    REQUIRE(f.with_bearer(Method::kPatch, "/api/v1/users/" + std::to_string(doc.id), admin,
                          {{"status", "disabled"}})
                .status == 200);
    CHECK(eventually([&] { return !authenticate_on_other(); }));
  }
}

TEST_CASE("auth: signing keys rotate and old keys are removed at run time", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto admin = f.admin_token();
    f.add_user("doc@clinic.example", {"physician"});
    const auto old_token = f.session("doc@clinic.example")["access_token"].get<std::string>();
    const std::string old_kid = kid_of(old_token);
    auth::AuthService other(f.config, f.db(), f.audit, f.clock);  // shares keys_dir

    auto listed = body_of(f.with_bearer(Method::kGet, "/api/v1/auth/keys", admin));
    REQUIRE(listed["keys"].size() == 1);
    CHECK(listed["keys"][0]["kid"] == old_kid);
    CHECK(listed["keys"][0]["active"] == true);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/keys", old_token).status == 403);

    auto rotated = f.with_bearer(Method::kPost, "/api/v1/auth/keys/rotate", admin);
    REQUIRE(rotated.status == 201);
    const std::string new_kid = body_of(rotated)["active_kid"];
    CHECK(new_kid != old_kid);
    CHECK(body_of(rotated)["keys"].size() == 2);
    auto jwks = body_of(f.call(Method::kGet, "/.well-known/jwks.json"));
    CHECK(jwks["keys"].size() == 2);

    // New tokens carry the new kid; old ones still pass until removed.
    const auto new_token = f.session("doc@clinic.example")["access_token"].get<std::string>();
    CHECK(kid_of(new_token) == new_kid);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", old_token).status == 200);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", new_token).status == 200);
    // The other server did not rotate, yet verifies the new kid from the shared directory.
    auto req =
        f.request(Method::kGet, "/api/v1/auth/me", {}, {{"authorization", "Bearer " + new_token}});
    CHECK(other.authenticate(req).has_value());

    CHECK(f.with_bearer(Method::kDelete, "/api/v1/auth/keys/" + new_kid, admin).status == 409);
    CHECK(f.with_bearer(Method::kDelete, "/api/v1/auth/keys/nosuchkid", admin).status == 404);
    CHECK(f.with_bearer(Method::kDelete, "/api/v1/auth/keys/..%2Fx", admin).status == 404);
    REQUIRE(f.with_bearer(Method::kDelete, "/api/v1/auth/keys/" + old_kid, admin).status == 204);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", old_token).status == 401);
    CHECK(f.with_bearer(Method::kGet, "/api/v1/auth/me", new_token).status == 200);
    CHECK(body_of(f.call(Method::kGet, "/.well-known/jwks.json"))["keys"].size() == 1);

    AuditQuery q;
    q.resource_type = "signing_key";
    q.limit = 10;
    std::vector<std::string> actions;
    for (auto& rec : f.audit.find(q)) actions.push_back(rec.event.action);
    CHECK(std::count(actions.begin(), actions.end(), "auth.key_rotate") == 1);
    CHECK(std::count(actions.begin(), actions.end(), "auth.key_remove") == 1);
  }
}

TEST_CASE("auth: the purge removes dead tokens and keeps live families whole", "[auth][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(backend_name(backend)) {
    AuthServiceFixture f(backend);
    const auto user = f.add_user("doc@clinic.example", {"physician"});
    auto old_session = f.session("doc@clinic.example");
    f.clock.advance(29LL * 86400 * 1000);
    auto live = f.session("doc@clinic.example");
    auto rotated = f.refresh(live["refresh_token"].get<std::string>());
    REQUIRE(rotated.status == 200);
    auto reset = f.db().transact(
        [&](Tx& tx) { return f.store().create_reset_token(tx, user.id, 3600 * 1000); });
    f.clock.advance(2LL * 86400 * 1000);  // the first session's tokens expired; reset token too

    auto count = [&](const char* table) {
      return f.db().transact(
          [&](Tx& tx) {
            return tx.query_one(std::string("SELECT COUNT(*) FROM ") + table)->integer(0);
          },
          TxMode::kRead);
    };
    REQUIRE(count("refresh_tokens") == 3);
    REQUIRE(count("password_reset_tokens") == 1);
    CHECK(f.service->purge_expired_tokens() == 2);
    CHECK(count("refresh_tokens") == 2);
    CHECK(count("password_reset_tokens") == 0);
    // The live family still detects reuse of its rotated token.
    CHECK(f.refresh(live["refresh_token"].get<std::string>()).status == 401);
    CHECK(f.refresh(body_of(rotated)["refresh_token"].get<std::string>()).status == 401);
    (void)old_session;
    (void)reset;
  }
}

// API tokens and password-reset tokens on both backends, and the promise that no secret is
// stored in plain text.
#include <catch2/catch.hpp>

#include "carehub/hash.hpp"
#include "contract/auth_store_support.hpp"

using namespace carehub;
using namespace carehub::auth;
using namespace carehub::test;

namespace {

constexpr std::int64_t kMinute = 60'000;

std::optional<ApiToken> authenticate(AuthFixture& f, std::int64_t id, const std::string& secret) {
  return f.tx([&](Tx& tx) { return f.store.authenticate_api_token(tx, id, secret); });
}

std::optional<std::int64_t> consume(AuthFixture& f, const std::string& secret) {
  return f.tx([&](Tx& tx) { return f.store.consume_reset_token(tx, secret); });
}

}  // namespace

TEST_CASE("auth store: an API token authenticates with its secret only", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  const auto admin = f.user("admin@clinic.example", {"admin"});
  const std::vector<std::string> scopes{"dicom:write", "empi:read"};
  auto ct = f.tx([&](Tx& tx) {
    return f.store.create_api_token(tx, "modality-ct1", scopes, admin.id, std::nullopt);
  });
  auto other = f.tx([&](Tx& tx) {
    return f.store.create_api_token(tx, "integration", {"empi:read"}, std::nullopt, std::nullopt);
  });
  CHECK(ct.secret.size() == 64);
  CHECK(ct.id != other.id);

  auto ok = authenticate(f, ct.id, ct.secret);
  REQUIRE(ok);
  CHECK(ok->name == "modality-ct1");
  CHECK(ok->scopes == scopes);
  CHECK(ok->has_scope("dicom:write"));
  CHECK_FALSE(ok->has_scope("dicom:read"));
  CHECK(ok->created_by == admin.id);
  CHECK(ok->created_at_ms == f.clock.now_ms());
  CHECK_FALSE(ok->expires_at_ms);
  CHECK(ok->last_used_ms == f.clock.now_ms());

  CHECK_FALSE(authenticate(f, ct.id, other.secret));  // a real secret, but not this token's
  CHECK_FALSE(authenticate(f, other.id, ct.secret));
  CHECK_FALSE(authenticate(f, ct.id, ct.secret.substr(0, 63)));
  CHECK_FALSE(authenticate(f, ct.id, ""));
  CHECK_FALSE(authenticate(f, ct.id + other.id + 10, ct.secret));

  auto listed = f.tx([&](Tx& tx) { return f.store.list_api_tokens(tx); });
  REQUIRE(listed.size() == 2);
  CHECK(listed[0].name == "modality-ct1");
  CHECK(listed[1].name == "integration");
  CHECK_FALSE(listed[1].created_by);
  CHECK_FALSE(listed[1].last_used_ms);
}

TEST_CASE("auth store: last use of an API token is stamped at most once a minute",
          "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  auto t = f.tx([&](Tx& tx) {
    return f.store.create_api_token(tx, "device", {"dicom:write"}, std::nullopt, std::nullopt);
  });
  auto stored_last_use = [&] {
    return f.tx([&](Tx& tx) { return f.store.find_api_token(tx, t.id); })->last_used_ms;
  };
  const std::int64_t first = f.clock.now_ms();
  REQUIRE(authenticate(f, t.id, t.secret));
  CHECK(stored_last_use() == first);
  f.clock.advance(kMinute - 1);
  REQUIRE(authenticate(f, t.id, t.secret));
  CHECK(stored_last_use() == first);
  f.clock.advance(1);
  REQUIRE(authenticate(f, t.id, t.secret));
  CHECK(stored_last_use() == f.clock.now_ms());
}

TEST_CASE("auth store: revoked and expired API tokens are refused", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  auto revoked = f.tx([&](Tx& tx) {
    return f.store.create_api_token(tx, "old", {"empi:read"}, std::nullopt, std::nullopt);
  });
  const std::int64_t expiry = f.clock.now_ms() + 1000;
  auto expiring = f.tx([&](Tx& tx) {
    return f.store.create_api_token(tx, "temp", {"empi:read"}, std::nullopt, expiry);
  });

  CHECK(f.tx([&](Tx& tx) { return f.store.revoke_api_token(tx, revoked.id); }));
  CHECK_FALSE(f.tx([&](Tx& tx) { return f.store.revoke_api_token(tx, revoked.id); }));
  CHECK_FALSE(f.tx([&](Tx& tx) { return f.store.revoke_api_token(tx, revoked.id + 100); }));
  CHECK_FALSE(authenticate(f, revoked.id, revoked.secret));
  auto shown = f.tx([&](Tx& tx) { return f.store.find_api_token(tx, revoked.id); });
  REQUIRE(shown);
  CHECK(shown->revoked_at_ms == f.clock.now_ms());

  f.clock.advance(999);
  CHECK(authenticate(f, expiring.id, expiring.secret));
  f.clock.advance(1);
  CHECK_FALSE(authenticate(f, expiring.id, expiring.secret));
  CHECK(f.tx([&](Tx& tx) { return f.store.find_api_token(tx, expiring.id); })->expires_at_ms ==
        expiry);
}

TEST_CASE("auth store: a password-reset token works once, before it expires", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  const auto u = f.user("forgetful@clinic.example");
  auto issue = [&](std::int64_t ttl) {
    return f.tx([&](Tx& tx) { return f.store.create_reset_token(tx, u.id, ttl); });
  };

  const std::string secret = issue(kMinute);
  CHECK(secret.size() == 64);
  CHECK(consume(f, secret) == u.id);
  CHECK_FALSE(consume(f, secret));
  CHECK_FALSE(consume(f, random_hex(32)));

  const std::string short_lived = issue(1000);
  f.clock.advance(1000);
  CHECK_FALSE(consume(f, short_lived));

  // Issuing a new token retires the previous unused one.
  const std::string older = issue(kMinute);
  const std::string newer = issue(kMinute);
  CHECK_FALSE(consume(f, older));
  CHECK(consume(f, newer) == u.id);
}

TEST_CASE("auth store: of two concurrent uses of a reset token exactly one wins",
          "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  const auto u = f.user("forgetful@clinic.example");
  for (int round = 0; round < 5; ++round) {
    const std::string secret =
        f.tx([&](Tx& tx) { return f.store.create_reset_token(tx, u.id, kMinute); });
    auto wins = race<int>(2, [&] { return consume(f, secret) ? 1 : 0; });
    CHECK(wins[0] + wins[1] == 1);
  }
}

TEST_CASE("auth store: secrets are stored only as SHA-256 hex", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  const auto u = f.user("owner@clinic.example");
  std::vector<std::string> secrets;
  f.tx([&](Tx& tx) {
    secrets.push_back(f.store.create_refresh_token(tx, u.id, "fam", kMinute, "::1").secret);
    secrets.push_back(f.store.create_api_token(tx, "t", {"a:b"}, u.id, std::nullopt).secret);
    secrets.push_back(f.store.create_reset_token(tx, u.id, kMinute));
  });
  const std::vector<std::pair<std::string, std::string>> stored{
      {"refresh_tokens", "token_hash"},
      {"api_tokens", "secret_hash"},
      {"password_reset_tokens", "token_hash"}};
  for (std::size_t i = 0; i < stored.size(); ++i) {
    const auto& [table, column] = stored[i];
    INFO(table);
    auto rows = f.tx([&](Tx& tx) { return tx.query("SELECT * FROM " + table); });
    REQUIRE(rows.size() == 1);
    for (std::size_t c = 0; c < rows[0].size(); ++c) {
      for (const auto& secret : secrets) {
        CHECK(rows[0].opt_text(c).value_or("").find(secret) == std::string::npos);
      }
    }
    auto hash = f.tx([&](Tx& tx) { return tx.query_one("SELECT " + column + " FROM " + table); });
    CHECK(is_lower_hex64(hash->text(0)));
    CHECK(hash->text(0) == sha256_hex(secrets[i]));
  }
}

TEST_CASE("auth store: deleting a user ends their tokens and keeps the API tokens they made",
          "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuthFixture f(backend);
  const auto u = f.user("leaver@clinic.example", {"admin"});
  auto token = f.tx([&](Tx& tx) {
    f.store.create_refresh_token(tx, u.id, "fam", kMinute, "::1");
    f.store.create_reset_token(tx, u.id, kMinute);
    return f.store.create_api_token(tx, "kept", {"empi:read"}, u.id, std::nullopt);
  });
  f.tx([&](Tx& tx) { tx.exec("DELETE FROM users WHERE id = $1", {u.id}); });
  CHECK(f.count("refresh_tokens") == 0);
  CHECK(f.count("password_reset_tokens") == 0);
  auto kept = authenticate(f, token.id, token.secret);
  REQUIRE(kept);
  CHECK_FALSE(kept->created_by);
}

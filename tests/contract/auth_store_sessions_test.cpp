// Refresh tokens on both backends: rotation, reuse detection that revokes the family, expiry,
// logout by family and "sign out everywhere else".
#include <algorithm>
#include <catch2/catch.hpp>

#include "carehub/hash.hpp"
#include "contract/auth_store_support.hpp"

using namespace carehub;
using namespace carehub::auth;
using namespace carehub::test;
using Outcome = RotateResult::Outcome;

namespace {

constexpr std::int64_t kTtl = 30LL * 24 * 3600 * 1000;

struct Sessions : AuthFixture {
  explicit Sessions(Backend b) : AuthFixture(b), owner(user("owner@clinic.example")) {}

  IssuedRefreshToken sign_in(std::int64_t user_id, std::int64_t ttl = kTtl) {
    return tx([&](Tx& t) {
      return store.create_refresh_token(t, user_id, AuthStore::new_family_id(), ttl, "127.0.0.1");
    });
  }
  RotateResult rotate(const std::string& secret) {
    return tx([&](Tx& t) { return store.rotate_refresh_token(t, secret, kTtl, "127.0.0.2"); });
  }

  // As a browser's cookie: tabs may present a token again moments after another tab rotated it.
  RotateResult rotate_cookie(const std::string& secret, const std::string& address = "127.0.0.2",
                             std::int64_t grace = 10'000) {
    return tx([&](Tx& t) { return store.rotate_refresh_token(t, secret, kTtl, address, grace); });
  }

  User owner;
};

}  // namespace

TEST_CASE("auth store: a refresh token rotates once and its reuse revokes the family",
          "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  Sessions f(backend);
  const auto first = f.sign_in(f.owner.id);
  CHECK(first.secret.size() == 64);  // 256 bits
  CHECK(first.expires_at_ms == f.clock.now_ms() + kTtl);

  f.clock.advance(1000);
  const auto second = f.rotate(first.secret);
  REQUIRE(second.outcome == Outcome::kRotated);
  CHECK(second.user_id == f.owner.id);
  CHECK(second.family_id == first.family_id);
  CHECK(second.secret != first.secret);
  CHECK(second.secret.size() == 64);
  CHECK(second.expires_at_ms == f.clock.now_ms() + kTtl);

  const auto third = f.rotate(second.secret);
  REQUIRE(third.outcome == Outcome::kRotated);

  // The first secret again: someone kept a copy. The family's current token dies with it.
  const auto replay = f.rotate(first.secret);
  CHECK(replay.outcome == Outcome::kReused);
  CHECK(replay.user_id == f.owner.id);
  CHECK(replay.family_id == first.family_id);
  CHECK(replay.secret.empty());
  CHECK(f.rotate(third.secret).outcome == Outcome::kRevoked);
  CHECK(f.rotate(second.secret).outcome == Outcome::kReused);
  CHECK_FALSE(f.tx([&](Tx& tx) { return f.store.family_of(tx, third.secret); }));
}

TEST_CASE("auth store: two concurrent rotations of one token cannot both succeed",
          "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  Sessions f(backend);
  for (int round = 0; round < 3; ++round) {
    const auto token = f.sign_in(f.owner.id);
    auto outcomes = race<Outcome>(2, [&] { return f.rotate(token.secret).outcome; });
    std::sort(outcomes.begin(), outcomes.end());
    CHECK(outcomes == std::vector<Outcome>{Outcome::kRotated, Outcome::kReused});
  }
}

TEST_CASE(
    "auth store: two tabs refreshing one cookie at once both stay signed in, a copy "
    "presented later, elsewhere, or after a further rotation is still reuse",
    "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  Sessions f(backend);
  {  // Both tabs at once, one after the other within the grace: both get a live token.
    const auto cookie = f.sign_in(f.owner.id);
    const auto tab_a = f.rotate_cookie(cookie.secret);
    REQUIRE(tab_a.outcome == Outcome::kRotated);
    CHECK_FALSE(tab_a.within_grace);
    f.clock.advance(300);
    const auto tab_b = f.rotate_cookie(cookie.secret);
    REQUIRE(tab_b.outcome == Outcome::kRotated);
    CHECK(tab_b.within_grace);
    CHECK(tab_b.family_id == cookie.family_id);
    CHECK(tab_b.secret != tab_a.secret);
    // Whichever Set-Cookie the browser kept last goes on working.
    CHECK(f.rotate_cookie(tab_a.secret).outcome == Outcome::kRotated);
  }
  {  // Racing for real: both succeed.
    const auto cookie = f.sign_in(f.owner.id);
    auto outcomes = race<Outcome>(2, [&] { return f.rotate_cookie(cookie.secret).outcome; });
    CHECK(outcomes == std::vector<Outcome>{Outcome::kRotated, Outcome::kRotated});
  }
  {  // After the grace: reuse, the family revoked.
    const auto cookie = f.sign_in(f.owner.id);
    const auto next = f.rotate_cookie(cookie.secret);
    REQUIRE(next.outcome == Outcome::kRotated);
    f.clock.advance(10'001);
    CHECK(f.rotate_cookie(cookie.secret).outcome == Outcome::kReused);
    CHECK(f.rotate_cookie(next.secret).outcome == Outcome::kRevoked);
  }
  {  // From another address: reuse.
    const auto cookie = f.sign_in(f.owner.id);
    REQUIRE(f.rotate_cookie(cookie.secret).outcome == Outcome::kRotated);
    CHECK(f.rotate_cookie(cookie.secret, "127.0.0.9").outcome == Outcome::kReused);
  }
  {  // After its successor was rotated too: an old copy, reuse.
    const auto cookie = f.sign_in(f.owner.id);
    const auto next = f.rotate_cookie(cookie.secret);
    f.clock.advance(2000);
    REQUIRE(f.rotate_cookie(next.secret).outcome == Outcome::kRotated);
    CHECK(f.rotate_cookie(cookie.secret).outcome == Outcome::kReused);
  }
  {  // Without a grace (API clients hold their own token): reuse at once.
    const auto token = f.sign_in(f.owner.id);
    REQUIRE(f.rotate(token.secret).outcome == Outcome::kRotated);
    CHECK(f.rotate(token.secret).outcome == Outcome::kReused);
  }
}

TEST_CASE("auth store: unknown and expired refresh tokens are refused", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  Sessions f(backend);
  CHECK(f.rotate(random_hex(32)).outcome == Outcome::kUnknown);
  CHECK(f.rotate("").outcome == Outcome::kUnknown);

  const auto a = f.sign_in(f.owner.id, 1000);
  const auto b = f.sign_in(f.owner.id, 1000);
  f.clock.advance(999);
  CHECK(f.rotate(a.secret).outcome == Outcome::kRotated);
  f.clock.advance(1);
  const auto expired = f.rotate(b.secret);
  CHECK(expired.outcome == Outcome::kExpired);
  CHECK(expired.user_id == f.owner.id);
  CHECK(f.rotate(b.secret).outcome == Outcome::kExpired);  // still not "reused"
}

TEST_CASE("auth store: logout revokes its own family only", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  Sessions f(backend);
  const auto phone = f.sign_in(f.owner.id);
  const auto laptop = f.sign_in(f.owner.id);
  const auto rotated = f.rotate(phone.secret);
  REQUIRE(rotated.outcome == Outcome::kRotated);

  // Logging out with the current token ends the phone's session, whatever its age.
  auto owner = f.tx([&](Tx& tx) { return f.store.revoke_refresh_family_of(tx, rotated.secret); });
  CHECK(owner == f.owner.id);
  CHECK(f.rotate(rotated.secret).outcome == Outcome::kRevoked);
  CHECK(f.rotate(laptop.secret).outcome == Outcome::kRotated);
  CHECK_FALSE(f.tx([&](Tx& tx) { return f.store.revoke_refresh_family_of(tx, random_hex(32)); }));
}

TEST_CASE("auth store: revoking a user's sessions can keep the current one", "[contract][auth]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  Sessions f(backend);
  const auto other_user = f.user("other@clinic.example");
  const auto a = f.sign_in(f.owner.id);
  const auto b = f.sign_in(f.owner.id);
  const auto c = f.sign_in(f.owner.id);
  const auto c2 = f.rotate(c.secret);  // c's family: one used row, one live row
  const auto theirs = f.sign_in(other_user.id);

  auto family = f.tx([&](Tx& tx) { return f.store.family_of(tx, b.secret); });
  CHECK(family == b.family_id);
  CHECK_FALSE(f.tx([&](Tx& tx) { return f.store.family_of(tx, c.secret); }));  // used

  auto ended = f.tx([&](Tx& tx) { return f.store.revoke_user_sessions(tx, f.owner.id, family); });
  CHECK(ended == 2);  // a and c, counted once per session
  CHECK(f.rotate(a.secret).outcome == Outcome::kRevoked);
  CHECK(f.rotate(c2.secret).outcome == Outcome::kRevoked);
  const auto b2 = f.rotate(b.secret);
  CHECK(b2.outcome == Outcome::kRotated);
  CHECK(f.rotate(theirs.secret).outcome == Outcome::kRotated);

  auto all = f.tx([&](Tx& tx) { return f.store.revoke_user_sessions(tx, f.owner.id, {}); });
  CHECK(all == 1);
  CHECK(f.rotate(b2.secret).outcome == Outcome::kRevoked);
}

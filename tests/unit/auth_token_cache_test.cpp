#include <catch2/catch.hpp>

#include "auth/token_cache.hpp"

using carehub::Principal;
using carehub::auth::VerifiedTokenCache;

TEST_CASE("verified token cache: same token until it expires, bounded memory", "[auth][cache]") {
  VerifiedTokenCache cache(3);
  Principal alice;
  alice.subject = "user:1";
  cache.put("token-a", alice, 1000, 100);
  REQUIRE(cache.find("token-a", 999));
  CHECK(cache.find("token-a", 999)->subject == "user:1");
  CHECK_FALSE(cache.find("token-a", 1000));  // expired
  CHECK_FALSE(cache.find("token-a-but-longer", 500));
  CHECK_FALSE(cache.find("token-", 500));

  cache.put("token-b", alice, 2000, 100);
  cache.put("token-c", alice, 2000, 100);
  // Full: the expired entry goes first, the live ones stay.
  cache.put("token-d", alice, 2000, 1500);
  CHECK_FALSE(cache.find("token-a", 1500));
  CHECK(cache.find("token-b", 1500));
  CHECK(cache.size() <= 3);
  for (int i = 0; i < 100; ++i) cache.put("t" + std::to_string(i), alice, 5000, 1500);
  CHECK(cache.size() <= 3);
}

// Password hashing and the secret helpers of the auth module, without a database.
#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "auth/password.hpp"

using namespace carehub::auth;

namespace {

// Small parameters keep the tests quick where the cost itself is not under test.
const PasswordParams kFast{1024, 1, 1};

std::string with_char_flipped(std::string text, std::size_t pos) {
  text[pos] = text[pos] == 'A' ? 'B' : 'A';
  return text;
}

}  // namespace

TEST_CASE("auth password: a hash verifies its own password and no other",
          "[unit][auth][password]") {
  const std::string hash = hash_password("correct horse battery staple", PasswordParams{});
  CHECK(hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
  CHECK(verify_password("correct horse battery staple", hash));
  CHECK_FALSE(verify_password("correct horse battery stapl", hash));
  CHECK_FALSE(verify_password("Correct horse battery staple", hash));
  CHECK_FALSE(verify_password("", hash));
  // A fresh salt each time: equal passwords do not give equal hashes.
  const std::string again = hash_password("correct horse battery staple", PasswordParams{});
  CHECK(again != hash);
  CHECK(verify_password("correct horse battery staple", again));
}

TEST_CASE("auth password: the configured parameters are used and readable back",
          "[unit][auth][password]") {
  const PasswordParams params{4096, 3, 2};
  const std::string hash = hash_password("twelve chars long", params);
  CHECK(hash.rfind("$argon2id$v=19$m=4096,t=3,p=2$", 0) == 0);
  CHECK(verify_password("twelve chars long", hash));
  auto read = encoded_params(hash);
  REQUIRE(read);
  CHECK(read->memory_kib == 4096);
  CHECK(read->iterations == 3);
  CHECK(read->parallelism == 2);
  CHECK_FALSE(encoded_params("$argon2i$v=19$m=4096,t=3,p=2$c2FsdHNhbHQ$aGFzaA"));
  CHECK_FALSE(encoded_params("not a hash"));
}

TEST_CASE("auth password: tampered, truncated or foreign hashes never verify",
          "[unit][auth][password]") {
  const std::string pw = "a sufficiently long one";
  const std::string hash = hash_password(pw, kFast);
  REQUIRE(verify_password(pw, hash));
  const auto last_dollar = hash.rfind('$');
  CHECK_FALSE(verify_password(pw, with_char_flipped(hash, hash.size() - 3)));  // digest
  CHECK_FALSE(verify_password(pw, with_char_flipped(hash, last_dollar - 3)));  // salt
  CHECK_FALSE(verify_password(pw, hash.substr(0, hash.size() - 4)));
  CHECK_FALSE(verify_password(pw, hash.substr(0, last_dollar)));
  std::string as_argon2i = hash;
  as_argon2i.replace(0, 10, "$argon2i$");
  CHECK_FALSE(verify_password(pw, as_argon2i));
  std::string more_passes = hash;
  more_passes.replace(more_passes.find(",t=1,"), 5, ",t=2,");
  CHECK_FALSE(verify_password(pw, more_passes));
  CHECK_FALSE(verify_password(pw, ""));
  CHECK_FALSE(verify_password(pw, "$argon2id$"));
  CHECK_FALSE(verify_password(pw, "$argon2id$v=19$m=,t=1,p=1$$"));
  CHECK_FALSE(verify_password(pw, "plain text password"));
}

TEST_CASE("auth password: a hash demanding absurd memory is refused without running it",
          "[unit][auth][password]") {
  const std::string pw = "a sufficiently long one";
  std::string hash = hash_password(pw, kFast);
  hash.replace(hash.find("m=1024"), 6, "m=4194304");  // 4 GiB
  const auto start = std::chrono::steady_clock::now();
  CHECK_FALSE(verify_password(pw, hash));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(200));
}

TEST_CASE("auth password: needs_rehash when stored parameters are weaker",
          "[unit][auth][password]") {
  const PasswordParams configured{2048, 2, 1};
  const std::string current = hash_password("twelve chars long", configured);
  CHECK_FALSE(needs_rehash(current, configured));
  CHECK(needs_rehash(hash_password("twelve chars long", {1024, 2, 1}), configured));
  CHECK(needs_rehash(hash_password("twelve chars long", {2048, 1, 1}), configured));
  CHECK(needs_rehash(current, PasswordParams{2048, 2, 2}));
  CHECK_FALSE(needs_rehash(hash_password("twelve chars long", {4096, 3, 1}), configured));
  CHECK(needs_rehash("garbage", configured));
  CHECK(needs_rehash("", configured));
}

TEST_CASE("auth password: unusable parameters are reported and refused", "[unit][auth][password]") {
  CHECK_FALSE(params_problem(PasswordParams{}));
  CHECK(params_problem(PasswordParams{4, 1, 1}));                // below 8 KiB per lane
  CHECK(params_problem(PasswordParams{64, 1, 16 + 1}));          // too many lanes
  CHECK(params_problem(PasswordParams{19456, 0, 1}));            // no pass at all
  CHECK(params_problem(PasswordParams{8 * 1024 * 1024, 1, 1}));  // 8 GiB
  CHECK_THROWS_AS(hash_password("twelve chars long", PasswordParams{4, 1, 1}),
                  std::invalid_argument);
}

TEST_CASE("auth password: the policy is about length only", "[unit][auth][password]") {
  CHECK(password_problem(""));
  CHECK(password_problem("elevenchars"));  // 11
  CHECK_FALSE(password_problem("twelve chars"));
  CHECK_FALSE(password_problem("aaaaaaaaaaaa"));  // no composition rules
  // Characters, not bytes: 11 two-byte letters are too short, 12 are enough.
  std::string eleven, twelve;
  for (int i = 0; i < 11; ++i) eleven += "\xC3\xB1";  // U+00F1
  twelve = eleven + "\xC3\xB1";
  CHECK(password_problem(eleven));
  CHECK_FALSE(password_problem(twelve));
  CHECK_FALSE(password_problem(std::string(1024, 'x')));
  auto too_long = password_problem(std::string(1025, 'x'));
  REQUIRE(too_long);
  CHECK(too_long->find("1024") != std::string::npos);
}

TEST_CASE("auth password: constant_time_equals compares whole values", "[unit][auth]") {
  CHECK(constant_time_equals("", ""));
  CHECK(constant_time_equals("abc123", "abc123"));
  CHECK_FALSE(constant_time_equals("abc123", "abc124"));
  CHECK_FALSE(constant_time_equals("abc123", "xbc123"));
  CHECK_FALSE(constant_time_equals("abc", "abc123"));  // a prefix is not equal
  CHECK_FALSE(constant_time_equals("abc123", "abc"));
  CHECK_FALSE(constant_time_equals("", "a"));
  CHECK(constant_time_equals(std::string_view("a\0b", 3), std::string_view("a\0b", 3)));
  CHECK_FALSE(constant_time_equals(std::string_view("a\0b", 3), std::string_view("a\0c", 3)));
}

TEST_CASE(
    "auth password: the dummy hash is made once, with the given parameters, and matches nothing",
    "[unit][auth][password]") {
  const std::string& first = dummy_password_hash(kFast);
  const std::string& second = dummy_password_hash(kFast);
  CHECK(&first == &second);
  CHECK(first.rfind("$argon2id$v=19$m=1024,t=1,p=1$", 0) == 0);
  CHECK_FALSE(verify_password("", first));
  CHECK_FALSE(verify_password("password1234", first));
  const std::string& other = dummy_password_hash(PasswordParams{2048, 1, 1});
  CHECK(other.rfind("$argon2id$v=19$m=2048,t=1,p=1$", 0) == 0);
  CHECK(dummy_password_hash().rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
}

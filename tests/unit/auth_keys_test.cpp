// Signing keys on disk and in configuration, their rotation and the published JWKS.
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "auth/jwt.hpp"
#include "auth/keys.hpp"
#include "carehub/hash.hpp"
#include "support/auth_forge.hpp"

namespace fs = std::filesystem;
using carehub::auth::base64url_decode;
using carehub::auth::JwkSet;
using carehub::auth::KeyRing;
using carehub::auth::KeyRingConfig;
using carehub::auth::verify_jwt;
using carehub::auth::VerifyOptions;
using carehub::test::generate_key;
using carehub::test::kTokenNow;
using carehub::test::Pkey;
using carehub::test::private_pem;
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

std::string header_kid(const std::string& token) {
  const auto header = base64url_decode(token.substr(0, token.find('.')));
  REQUIRE(header);
  return json::parse(*header).at("kid");
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

std::vector<std::string> dir_entries(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The kid as documented: first 16 hex digits of SHA-256 over the DER SubjectPublicKeyInfo.
std::string expected_kid(EVP_PKEY* key) {
  return carehub::sha256_hex(carehub::test::spki_der(key)).substr(0, 16);
}

}  // namespace

TEST_CASE("auth keys: the first start writes a private key file only its owner can read",
          "[unit][auth][keys]") {
  const std::string alg = GENERATE(as<std::string>{}, "EdDSA", "ES256");
  carehub::test::TempDir tmp;
  const std::string dir = tmp.path() + "/data/keys";
  const KeyRing ring = KeyRing::load_or_generate({alg, {}, dir});

  REQUIRE(ring.size() == 1);
  CHECK(carehub::auth::to_string(ring.active_algorithm()) == alg);
  CHECK(ring.algorithms() == std::vector<std::string>{alg});
  CHECK(mode_of(dir) == 0700);
  REQUIRE(dir_entries(dir) == std::vector<std::string>{ring.active_kid() + ".pem"});
  const std::string file = dir + "/" + ring.active_kid() + ".pem";
  CHECK(mode_of(file) == 0600);
  const Pkey key = carehub::test::read_private_pem_file(file);
  CHECK(ring.active_kid() == expected_kid(key.get()));
  CHECK(verifies(ring.sign(claims()), ring.verification_keys()));
}

TEST_CASE("auth keys: a second start reuses the key it finds", "[unit][auth][keys]") {
  const std::string alg = GENERATE(as<std::string>{}, "EdDSA", "ES256");
  carehub::test::TempDir tmp;
  const std::string dir = tmp.path() + "/keys";
  const KeyRing first = KeyRing::load_or_generate({alg, {}, dir});
  const std::string token = first.sign(claims());

  // The configured algorithm only matters for new keys: the file's own algorithm wins.
  const KeyRing second = KeyRing::load_or_generate({alg == "EdDSA" ? "ES256" : "EdDSA", {}, dir});
  CHECK(second.active_kid() == first.active_kid());
  CHECK(carehub::auth::to_string(second.active_algorithm()) == alg);
  CHECK(second.size() == 1);
  CHECK(dir_entries(dir).size() == 1);
  CHECK(verifies(token, second.verification_keys()));
}

TEST_CASE("auth keys: rotation signs with a new key and keeps old tokens valid",
          "[unit][auth][keys]") {
  const std::string alg = GENERATE(as<std::string>{}, "EdDSA", "ES256");
  carehub::test::TempDir tmp;
  const std::string dir = tmp.path() + "/keys";
  KeyRing ring = KeyRing::load_or_generate({alg, {}, dir});
  const std::string old_kid = ring.active_kid();
  const std::string old_token = ring.sign(claims());

  // Files are ordered by modification time; make sure the clock visibly moves between them.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string new_kid = ring.rotate();
  CHECK(new_kid != old_kid);
  CHECK(ring.active_kid() == new_kid);
  CHECK(ring.size() == 2);
  const std::string new_token = ring.sign(claims());
  CHECK(header_kid(new_token) == new_kid);
  CHECK(header_kid(old_token) == old_kid);
  CHECK(verifies(old_token, ring.verification_keys()));
  CHECK(verifies(new_token, ring.verification_keys()));
  CHECK(mode_of(dir + "/" + new_kid + ".pem") == 0600);

  const KeyRing restarted = KeyRing::load_or_generate({alg, {}, dir});
  CHECK(restarted.active_kid() == new_kid);
  CHECK(restarted.size() == 2);
  CHECK(verifies(old_token, restarted.verification_keys()));
  CHECK(header_kid(restarted.sign(claims())) == new_kid);
}

TEST_CASE("auth keys: the published JWKS holds public parts only and verifies tokens",
          "[unit][auth][keys]") {
  carehub::test::TempDir tmp;
  const std::string alg = GENERATE(as<std::string>{}, "EdDSA", "ES256");
  KeyRing ring = KeyRing::load_or_generate({alg, {}, tmp.path() + "/keys"});
  const std::string old_token = ring.sign(claims());
  ring.rotate();

  const json jwks = ring.jwks();
  REQUIRE(jwks.at("keys").size() == 2);
  for (const auto& jwk : jwks["keys"]) {
    INFO(jwk.dump());
    for (const char* secret : {"d", "p", "q", "dp", "dq", "qi", "k"})
      CHECK_FALSE(jwk.contains(secret));
    CHECK(jwk.at("use") == "sig");
    CHECK(jwk.at("alg") == alg);
    CHECK(base64url_decode(jwk.at("x").get<std::string>())->size() == 32);
    if (alg == "EdDSA") {
      CHECK(jwk.at("kty") == "OKP");
      CHECK(jwk.at("crv") == "Ed25519");
    } else {
      CHECK(jwk.at("kty") == "EC");
      CHECK(jwk.at("crv") == "P-256");
      CHECK(base64url_decode(jwk.at("y").get<std::string>())->size() == 32);
    }
  }
  const JwkSet published = JwkSet::from_json(jwks);
  CHECK(published.size() == 2);
  CHECK(published.has_kid(ring.active_kid()));
  CHECK(verifies(old_token, published));
  CHECK(verifies(ring.sign(claims()), published));
  CHECK(published.to_json() == jwks);
}

TEST_CASE("auth keys: PEM keys from the configuration sign, the first one active",
          "[unit][auth][keys]") {
  carehub::test::TempDir tmp;
  const Pkey ed = generate_key("EdDSA");
  const Pkey ec = generate_key("ES256");
  KeyRingConfig config{"EdDSA", {private_pem(ec.get()), private_pem(ed.get())}, tmp.path() + "/k"};
  KeyRing ring = KeyRing::load_or_generate(config);

  CHECK(ring.size() == 2);
  CHECK(ring.active_kid() == expected_kid(ec.get()));
  CHECK(carehub::auth::to_string(ring.active_algorithm()) == "ES256");
  const std::string token = ring.sign(claims());
  CHECK(header_kid(token) == expected_kid(ec.get()));
  CHECK(verifies(token, ring.verification_keys()));
  CHECK(ring.verification_keys().has_kid(expected_kid(ed.get())));
  CHECK_FALSE(fs::exists(tmp.path() + "/k"));  // nothing generated
  CHECK_THROWS_AS(ring.rotate(), std::logic_error);
  CHECK(KeyRing::load_or_generate(config).active_kid() == ring.active_kid());
}

TEST_CASE("auth keys: unsupported algorithms and keys are refused by name", "[unit][auth][keys]") {
  carehub::test::TempDir tmp;
  for (const std::string alg : {"RS256", "HS256", "none", "eddsa", ""}) {
    INFO(alg);
    CHECK_THROWS_WITH(KeyRing::load_or_generate({alg, {}, tmp.path() + "/k"}),
                      Catch::Contains("\"" + alg + "\""));
  }
  CHECK_FALSE(fs::exists(tmp.path() + "/k"));
  const Pkey rsa = generate_key("RSA");
  CHECK_THROWS_AS(KeyRing::load_or_generate({"EdDSA", {private_pem(rsa.get())}, {}}),
                  std::invalid_argument);
  CHECK_THROWS_AS(KeyRing::load_or_generate({"EdDSA", {"-----BEGIN PRIVATE KEY-----\nAAAA\n"}, {}}),
                  std::invalid_argument);
  // Encrypted keys fail at once: no passphrase prompt that would hang a service start.
  const Pkey ed = generate_key("EdDSA");
  CHECK_THROWS_AS(
      KeyRing::load_or_generate({"EdDSA", {private_pem(ed.get(), EVP_aes_256_cbc())}, {}}),
      std::invalid_argument);
  CHECK_THROWS_AS(KeyRing::load_or_generate({"EdDSA", {}, {}}), std::invalid_argument);

  const std::string dir = tmp.path() + "/broken";
  fs::create_directories(dir);
  std::ofstream(dir + "/old.pem") << "not a key";
  CHECK_THROWS_WITH(KeyRing::load_or_generate({"EdDSA", {}, dir}), Catch::Contains("old.pem"));
}

TEST_CASE("auth keys: only *.pem files in the keys directory are keys", "[unit][auth][keys]") {
  carehub::test::TempDir tmp;
  const std::string dir = tmp.path() + "/keys";
  fs::create_directories(dir);
  std::ofstream(dir + "/README") << "keys live here";
  std::ofstream(dir + "/.abc.pem.1234.tmp") << "half-written";
  const KeyRing ring = KeyRing::load_or_generate({"ES256", {}, dir});
  CHECK(ring.size() == 1);
  CHECK(dir_entries(dir).size() == 3);
  CHECK(KeyRing::load_or_generate({"ES256", {}, dir}).active_kid() == ring.active_kid());
}

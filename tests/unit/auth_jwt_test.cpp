// Access tokens: what carehub signs verifies, and each classic forgery fails with its own error.
// Claims checks and malformed input are in auth_jwt_claims_test.cpp.
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "auth/jwt.hpp"
#include "support/auth_forge.hpp"

using carehub::auth::JwtError;
using carehub::auth::verify_jwt;
using carehub::test::access_claims;
using carehub::test::access_options;
using carehub::test::b64url;
using carehub::test::forge;
using carehub::test::jws_parts;
using carehub::test::kTokenNow;
using carehub::test::Signer;
using carehub::test::ubytes;
using carehub::test::unb64url;
using nlohmann::json;

namespace {

// ES256 r||s back to the DER form OpenSSL verifies.
std::string jose_to_der(const std::string& sig) {
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> ecdsa(ECDSA_SIG_new(), &ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(ubytes(sig), 32, nullptr);
  BIGNUM* s = BN_bin2bn(ubytes(sig) + 32, 32, nullptr);
  if (ECDSA_SIG_set0(ecdsa.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    FAIL("cannot rebuild an ECDSA signature");
  }
  unsigned char* der = nullptr;
  const int n = i2d_ECDSA_SIG(ecdsa.get(), &der);
  REQUIRE(n > 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(n));
  OPENSSL_free(der);
  return out;
}

}  // namespace

TEST_CASE("auth jwt: a token carehub signs verifies and carries its claims", "[unit][auth][jwt]") {
  Signer s(GENERATE(as<std::string>{}, "EdDSA", "ES256"));
  const std::string token = s.ring.sign(access_claims(kTokenNow));

  const auto result = s.verify(token);
  REQUIRE(result.ok());
  CHECK(result.claims() == access_claims(kTokenNow));
  CHECK(result.kid() == s.ring.active_kid());

  const auto parts = jws_parts(token);
  CHECK(json::parse(unb64url(parts[0])) == s.header());
  // JOSE form for both algorithms: 64 raw bytes, which OpenSSL verifies on its own.
  const std::string sig = unb64url(parts[2]);
  REQUIRE(sig.size() == 64);
  const std::string to_check = s.algorithm == "ES256" ? jose_to_der(sig) : sig;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const std::string input = parts[0] + "." + parts[1];
  REQUIRE(EVP_DigestVerifyInit(ctx.get(), nullptr, s.algorithm == "EdDSA" ? nullptr : EVP_sha256(),
                               nullptr, s.key.get()) == 1);
  CHECK(EVP_DigestVerify(ctx.get(), ubytes(to_check), to_check.size(), ubytes(input),
                         input.size()) == 1);
}

TEST_CASE("auth jwt: alg none is refused even when the caller lists it", "[unit][auth][jwt]") {
  Signer s(GENERATE(as<std::string>{}, "EdDSA", "ES256"));
  for (const std::string alg : {"none", "None", "NONE"}) {
    json header = s.header();
    header["alg"] = alg;
    const std::string unsigned_token =
        b64url(header.dump()) + "." + b64url(access_claims(kTokenNow).dump()) + ".";
    auto o = access_options(s.algorithm);
    CHECK(s.error_of(unsigned_token, o) == JwtError::kAlgorithmNotAllowed);
    o.algorithms.push_back(alg);
    CHECK(s.error_of(unsigned_token, o) == JwtError::kAlgorithmNotAllowed);
  }
}

TEST_CASE("auth jwt: HS256 keyed with the public key is refused", "[unit][auth][jwt]") {
  Signer s(GENERATE(as<std::string>{}, "EdDSA", "ES256"));
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new(BIO_s_mem()), &BIO_free_all);
  REQUIRE(PEM_write_bio_PUBKEY(bio.get(), s.key.get()) == 1);
  char* pem = nullptr;
  const long pem_size = BIO_get_mem_data(bio.get(), &pem);

  // The attacker's guesses at what a confused verifier would use as the HMAC secret.
  for (const std::string& secret : {std::string(pem, static_cast<std::size_t>(pem_size)),
                                    carehub::test::spki_der(s.key.get())}) {
    for (const std::string alg : {"HS256", "HS384", "HS512"}) {
      json header = s.header();
      header["alg"] = alg;
      const std::string input =
          b64url(header.dump()) + "." + b64url(access_claims(kTokenNow).dump());
      unsigned char mac[EVP_MAX_MD_SIZE];
      unsigned int mac_size = 0;
      REQUIRE(HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), ubytes(input),
                   input.size(), mac, &mac_size) != nullptr);
      const std::string token =
          input + "." + b64url(std::string(reinterpret_cast<char*>(mac), mac_size));
      auto o = access_options(s.algorithm);
      CHECK(s.error_of(token, o) == JwtError::kAlgorithmNotAllowed);
      o.algorithms.push_back(alg);  // a careless configuration still cannot enable it
      CHECK(s.error_of(token, o) == JwtError::kAlgorithmNotAllowed);
    }
  }
}

TEST_CASE("auth jwt: an unknown kid is reported with that kid", "[unit][auth][jwt]") {
  Signer s(GENERATE(as<std::string>{}, "EdDSA", "ES256"));
  json header = s.header();
  header["kid"] = "0123456789abcdef";
  const auto result = s.verify(forge(s.key.get(), header, access_claims(kTokenNow)));
  REQUIRE(result.error() == JwtError::kUnknownKid);
  CHECK(result.kid() == "0123456789abcdef");
}

TEST_CASE("auth jwt: a changed signature or payload fails the signature check",
          "[unit][auth][jwt]") {
  Signer s(GENERATE(as<std::string>{}, "EdDSA", "ES256"));
  const auto parts = jws_parts(s.ring.sign(access_claims(kTokenNow)));

  std::string sig = unb64url(parts[2]);
  sig[20] = static_cast<char>(sig[20] ^ 0x04);
  CHECK(s.error_of(parts[0] + "." + parts[1] + "." + b64url(sig)) == JwtError::kBadSignature);

  json claims = access_claims(kTokenNow);
  claims["roles"] = {"admin"};
  CHECK(s.error_of(parts[0] + "." + b64url(claims.dump()) + "." + parts[2]) ==
        JwtError::kBadSignature);
  // The header is covered by the signature too.
  json header = s.header();
  header["typ"] = "at+jwt";
  CHECK(s.error_of(b64url(header.dump()) + "." + parts[1] + "." + parts[2]) ==
        JwtError::kBadSignature);
}

TEST_CASE("auth jwt: an ES256 token with a DER signature is refused", "[unit][auth][jwt]") {
  Signer s("ES256");
  const std::string der_token =
      forge(s.key.get(), s.header(), access_claims(kTokenNow), /*der=*/true);
  CHECK(unb64url(jws_parts(der_token)[2]).size() != 64);
  CHECK(s.error_of(der_token) == JwtError::kBadSignature);
  // The same key and claims with the signature in JOSE form are fine: only the encoding was wrong.
  CHECK(s.verify(forge(s.key.get(), s.header(), access_claims(kTokenNow))).ok());
}

TEST_CASE("auth jwt: a token signed by another ring is refused", "[unit][auth][jwt]") {
  const std::string alg = GENERATE(as<std::string>{}, "EdDSA", "ES256");
  Signer a(alg);
  Signer b(alg);
  REQUIRE(a.ring.active_kid() != b.ring.active_kid());
  const auto result = b.verify(a.ring.sign(access_claims(kTokenNow)));
  CHECK(result.error() == JwtError::kUnknownKid);
  CHECK(result.kid() == a.ring.active_kid());
  // Key A claiming key B's kid: the kid matches, the signature cannot.
  CHECK(b.error_of(forge(a.key.get(), b.header(), access_claims(kTokenNow))) ==
        JwtError::kBadSignature);
}

TEST_CASE("auth jwt: a key verifies only tokens of its own algorithm", "[unit][auth][jwt]") {
  Signer ed("EdDSA");
  Signer ec("ES256");
  auto both = access_options("EdDSA");
  both.algorithms = {"EdDSA", "ES256"};
  // An EdDSA token naming the EC key's kid, signed by the Ed25519 key.
  json header = ec.header();
  header["alg"] = "EdDSA";
  CHECK(ec.error_of(forge(ed.key.get(), header, access_claims(kTokenNow)), both) ==
        JwtError::kAlgorithmNotAllowed);
  // A token of an algorithm the caller did not list, whatever its key.
  CHECK(ed.error_of(ed.ring.sign(access_claims(kTokenNow)), access_options("ES256")) ==
        JwtError::kAlgorithmNotAllowed);
}

// A token forging kit for the auth tests: base64url, keys and signatures made with OpenSSL
// directly, independent of the module's own encoders, so a bug shared by both cannot hide itself.
#pragma once

#include <openssl/evp.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.hpp"
#include "auth/keys.hpp"
#include "support/test_database.hpp"

namespace carehub::test {

using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

inline constexpr std::int64_t kTokenNow = 1'700'000'000;
inline const std::string kTokenIssuer = "https://carehub.test";
inline const std::string kTokenAudience = "carehub-api";

const unsigned char* ubytes(std::string_view s);
std::string b64url(std::string_view raw);
std::string unb64url(std::string text);
std::vector<std::string> jws_parts(const std::string& token);  // header, payload, signature

Pkey generate_key(const std::string& type);  // "EdDSA", "ES256" or "RSA" (2048 bits)
Pkey read_private_pem_file(const std::string& path);
std::string private_pem(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr);  // PKCS#8
std::string spki_der(EVP_PKEY* key);

// A signature by key for alg ("EdDSA", "ES256", "RS256"); ES256 as r||s unless der is asked for.
std::string raw_sign(EVP_PKEY* key, const std::string& alg, std::string_view input,
                     bool der = false);
// header.payload.signature with the signature by key for header["alg"].
std::string forge(EVP_PKEY* key, const nlohmann::json& header, const nlohmann::json& payload,
                  bool der = false);

// sub, email, roles, iat, exp (now + 900), iss, aud, jti.
nlohmann::json access_claims(std::int64_t now);
auth::VerifyOptions access_options(const std::string& alg);

// A key ring in its own directory, plus its private key read back from the file it wrote.
struct Signer {
  explicit Signer(const std::string& alg);

  nlohmann::json header() const;  // what the ring itself would write
  auth::VerifyResult verify(const std::string& token) const;
  // The error verifying token; fails the test if the token verifies.
  auth::JwtError error_of(const std::string& token) const;
  auth::JwtError error_of(const std::string& token, const auth::VerifyOptions& options) const;

  std::string algorithm;
  TempDir dir;
  auth::KeyRing ring;
  Pkey key;
};

}  // namespace carehub::test

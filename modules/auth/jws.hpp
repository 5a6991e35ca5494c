// JOSE building blocks (RFC 7515, 7518, 8037): base64url, the three signature algorithms carehub
// accepts and their raw signatures. Nothing here knows about claims, headers or HTTP.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace carehub::auth {

// Only asymmetric algorithms exist here: an HMAC algorithm can never be named, so a token cannot
// talk a verifier into using a public key as an HMAC secret.
enum class JwsAlgorithm { kEdDSA, kES256, kRS256 };

// Exact, case-sensitive JOSE names ("EdDSA", "ES256", "RS256"); anything else is nullopt.
std::optional<JwsAlgorithm> parse_jws_algorithm(std::string_view name);
std::string_view to_string(JwsAlgorithm algorithm);

// base64url without padding. decode rejects '=', characters outside [A-Za-z0-9_-], impossible
// lengths and non-zero unused trailing bits (so every byte string has exactly one encoding).
std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

// An EVP_PKEY owned from the moment it exists. Copies share the key through OpenSSL's reference
// count; keys are never modified once built, so copies may be used from several threads at once.
class EvpKey {
 public:
  EvpKey() noexcept = default;
  explicit EvpKey(EVP_PKEY* adopted) noexcept : key_(adopted) {}
  EvpKey(const EvpKey& other) noexcept;
  EvpKey& operator=(const EvpKey& other) noexcept;
  EvpKey(EvpKey&&) noexcept = default;
  EvpKey& operator=(EvpKey&&) noexcept = default;
  ~EvpKey() = default;

  EVP_PKEY* get() const noexcept { return key_.get(); }
  explicit operator bool() const noexcept { return key_ != nullptr; }

 private:
  struct Free {
    void operator()(EVP_PKEY* key) const noexcept;
  };
  std::unique_ptr<EVP_PKEY, Free> key_;
};

// The algorithm a key is fit for: Ed25519 -> EdDSA, EC P-256 -> ES256, RSA of 2048 to 8192 bits
// -> RS256; nullopt for anything else (other curves, short RSA, DSA, ...).
std::optional<JwsAlgorithm> algorithm_for_key(EVP_PKEY* key);

// The JOSE signature of input (ES256: r||s, 64 bytes, not DER). The key must be private and of
// the algorithm's type; throws std::runtime_error otherwise or if OpenSSL fails.
std::string jws_sign(EVP_PKEY* key, JwsAlgorithm algorithm, std::string_view input);

// True only for a signature of exactly the algorithm's length that verifies. A key that is not
// of the algorithm's type never verifies.
bool jws_verify(EVP_PKEY* key, JwsAlgorithm algorithm, std::string_view input,
                std::string_view signature);

}  // namespace carehub::auth

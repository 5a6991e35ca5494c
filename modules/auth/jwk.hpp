// Verification keys as JSON Web Keys (RFC 7517): the set a token is checked against, read from a
// JWKS document (an OpenID provider's, or our own /.well-known/jwks.json) or built from carehub's
// signing keys. A JwkSet only ever holds public keys.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jws.hpp"

namespace carehub::auth {

struct Jwk {
  std::string kid;  // empty when the publisher gave none
  JwsAlgorithm algorithm;
  EvpKey key;  // public only
};

class JwkSet {
 public:
  // Reads {"keys":[...]}. Usable keys: kty RSA (n, e; 2048-8192 bits) for RS256, EC P-256 (x, y;
  // the point is checked) for ES256, OKP Ed25519 (x) for EdDSA. A key with another type or curve,
  // an "alg" that does not fit its type, "use" other than "sig", "key_ops" without "verify" or
  // broken fields is skipped, not an error. Throws std::invalid_argument only when the document
  // is not a JWKS at all, so a caller refreshing a cache can keep the old set.
  static JwkSet from_json(const nlohmann::json& jwks);

  // Adds the public half of key (a private key is reduced to its public part). Throws
  // std::invalid_argument if the key does not fit algorithm.
  void add(std::string kid, JwsAlgorithm algorithm, EVP_PKEY* key);

  bool has_kid(std::string_view kid) const;
  const std::vector<Jwk>& keys() const { return keys_; }
  bool empty() const { return keys_.empty(); }
  std::size_t size() const { return keys_.size(); }

  // The public JWKS document: kty, crv, x, y, n, e, kid, alg and "use":"sig"; never "d".
  nlohmann::json to_json() const;

 private:
  std::vector<Jwk> keys_;
};

// The key id carehub gives its own keys: the first 16 hex digits of the SHA-256 of the DER
// SubjectPublicKeyInfo, so it is the same on every start and on every node sharing the key.
std::string spki_key_id(EVP_PKEY* key);

}  // namespace carehub::auth

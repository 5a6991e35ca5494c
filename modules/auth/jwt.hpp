// Signed JWTs (RFC 7519) in compact JWS form: making one with a private key, and checking one
// against a JwkSet with an explicit list of accepted algorithms. Every way a token can be wrong
// is a VerifyResult value, never an exception.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwk.hpp"
#include "auth/jws.hpp"

namespace carehub::auth {

inline constexpr std::size_t kMaxTokenBytes = 8192;

enum class JwtError {
  kMalformed,
  kAlgorithmNotAllowed,
  kUnknownKid,
  kBadSignature,
  kExpired,
  kNotYetValid,
  kWrongIssuer,
  kWrongAudience,
};

// Stable snake_case names for logs and metrics ("malformed", "unknown_kid", ...).
std::string_view to_string(JwtError error);

struct VerifyOptions {
  // Accepted "alg" values. Only EdDSA, ES256 and RS256 can ever pass, whatever is listed here.
  std::vector<std::string> algorithms;
  std::string issuer;    // "iss" must equal it; empty: not checked
  std::string audience;  // "aud" (a string or an array) must hold it; empty: not checked
  std::int64_t now_s = 0;
  std::int64_t leeway_s = 30;
  bool require_kid = true;  // without a kid, every key of the token's algorithm is tried
};

class VerifyResult {
 public:
  static VerifyResult valid(nlohmann::json claims, std::string kid);
  static VerifyResult invalid(JwtError error, std::string message, std::string kid = {});

  bool ok() const noexcept { return !error_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  std::optional<JwtError> error() const noexcept { return error_; }
  const nlohmann::json& claims() const noexcept { return claims_; }  // null unless ok()
  const std::string& message() const noexcept { return message_; }   // for logs; empty if ok()
  // The header's kid when it had one: with kUnknownKid, the caller may refresh its JWKS and retry.
  const std::string& kid() const noexcept { return kid_; }

 private:
  VerifyResult() = default;

  nlohmann::json claims_;
  std::optional<JwtError> error_;
  std::string message_;
  std::string kid_;
};

// Order of checks: size and shape, header, algorithm (before any key is looked at), kid, the
// signature, then the claims. "exp" is required; "nbf" and "iat" are checked when present, all
// with options.leeway_s. A key is only used for its own algorithm.
VerifyResult verify_jwt(std::string_view token, const JwkSet& keys, const VerifyOptions& options);

// The compact JWS of claims (a JSON object) with header {"alg","typ":"JWT","kid"}. Throws
// std::invalid_argument if claims is not an object, nlohmann::json::type_error if a string in it
// is not UTF-8, std::runtime_error if signing fails.
std::string sign_jwt(const nlohmann::json& claims, std::string_view kid, JwsAlgorithm algorithm,
                     EVP_PKEY* key);

}  // namespace carehub::auth

#include "auth/jwt.hpp"

#include <algorithm>
#include <stdexcept>

#include "carehub/json.hpp"

namespace carehub::auth {
namespace {

using nlohmann::json;

// A kid is an opaque label; a longer one is not from any key set we would trust.
constexpr std::size_t kMaxKidBytes = 256;
constexpr std::size_t kMaxQuotedBytes = 64;

// Header values come from the client: keep what lands in log messages short.
std::string quote_clipped(std::string_view value) {
  if (value.size() > kMaxQuotedBytes)
    return "\"" + std::string(value.substr(0, kMaxQuotedBytes - 3)) + "...\"";
  return "\"" + std::string(value) + "\"";
}

VerifyResult malformed(std::string message) {
  return VerifyResult::invalid(JwtError::kMalformed, std::move(message));
}

std::optional<json> decode_object(std::string_view part) {
  const auto bytes = base64url_decode(part);
  if (!bytes) return std::nullopt;
  auto parsed = parse_json(*bytes);
  if (!parsed) return std::nullopt;
  json value = std::move(parsed).value();
  if (!value.is_object()) return std::nullopt;
  return value;
}

bool holds_audience(const json& aud, const std::string& audience) {
  if (aud.is_string()) return aud.get_ref<const std::string&>() == audience;
  if (!aud.is_array()) return false;
  return std::any_of(aud.begin(), aud.end(), [&](const json& entry) {
    return entry.is_string() && entry.get_ref<const std::string&>() == audience;
  });
}

// NumericDate may be fractional; epoch seconds are exact in a double.
std::optional<VerifyResult> check_claims(const json& claims, const VerifyOptions& options,
                                         const std::string& kid) {
  const auto fail = [&](JwtError error, std::string message) {
    return VerifyResult::invalid(error, std::move(message), kid);
  };
  const double now = static_cast<double>(options.now_s);
  const double leeway = static_cast<double>(options.leeway_s);
  for (const char* name : {"exp", "nbf", "iat"}) {
    if (claims.contains(name) && !claims[name].is_number()) {
      return fail(JwtError::kMalformed, std::string(name) + " is not a number");
    }
  }
  if (!claims.contains("exp")) return fail(JwtError::kExpired, "token has no exp claim");
  if (now >= claims["exp"].get<double>() + leeway) {
    return fail(JwtError::kExpired, "token expired");
  }
  if (claims.contains("nbf") && claims["nbf"].get<double>() > now + leeway) {
    return fail(JwtError::kNotYetValid, "token not valid before its nbf");
  }
  if (claims.contains("iat") && claims["iat"].get<double>() > now + leeway) {
    return fail(JwtError::kNotYetValid, "token issued in the future");
  }
  if (!options.issuer.empty()) {
    const auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string() ||
        iss->get_ref<const std::string&>() != options.issuer) {
      return fail(JwtError::kWrongIssuer, "token is not from the expected issuer");
    }
  }
  if (!options.audience.empty()) {
    const auto aud = claims.find("aud");
    if (aud == claims.end() || !holds_audience(*aud, options.audience)) {
      return fail(JwtError::kWrongAudience, "token is not for the expected audience");
    }
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(JwtError error) {
  switch (error) {
    case JwtError::kMalformed: return "malformed";
    case JwtError::kAlgorithmNotAllowed: return "algorithm_not_allowed";
    case JwtError::kUnknownKid: return "unknown_kid";
    case JwtError::kBadSignature: return "bad_signature";
    case JwtError::kExpired: return "expired";
    case JwtError::kNotYetValid: return "not_yet_valid";
    case JwtError::kWrongIssuer: return "wrong_issuer";
    case JwtError::kWrongAudience: return "wrong_audience";
  }
  return "unknown";
}

VerifyResult VerifyResult::valid(nlohmann::json claims, std::string kid) {
  VerifyResult result;
  result.claims_ = std::move(claims);
  result.kid_ = std::move(kid);
  return result;
}

VerifyResult VerifyResult::invalid(JwtError error, std::string message, std::string kid) {
  VerifyResult result;
  result.error_ = error;
  result.message_ = std::move(message);
  result.kid_ = std::move(kid);
  return result;
}

VerifyResult verify_jwt(std::string_view token, const JwkSet& keys, const VerifyOptions& options) {
  if (token.size() > kMaxTokenBytes) return malformed("token longer than 8192 bytes");
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return malformed("not three dot-separated parts");
  }
  const auto header = decode_object(token.substr(0, dot1));
  if (!header) return malformed("header is not base64url-encoded JSON object");

  const auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string()) return malformed("header has no alg");
  const auto& alg_name = alg->get_ref<const std::string&>();
  const auto algorithm = parse_jws_algorithm(alg_name);
  if (!algorithm || std::find(options.algorithms.begin(), options.algorithms.end(), alg_name) ==
                        options.algorithms.end()) {
    return VerifyResult::invalid(JwtError::kAlgorithmNotAllowed,
                                 "algorithm " + quote_clipped(alg_name) + " is not accepted");
  }
  // RFC 7515 4.1.11: extensions we do not understand must not be ignored.
  if (header->contains("crit")) return malformed("critical header extensions are not supported");

  std::string kid;
  const bool has_kid = header->contains("kid");
  if (has_kid) {
    const auto& value = (*header)["kid"];
    if (!value.is_string() || value.get_ref<const std::string&>().size() > kMaxKidBytes) {
      return malformed("kid is not a short string");
    }
    kid = value.get<std::string>();
  } else if (options.require_kid) {
    return malformed("header has no kid");
  }

  std::vector<const Jwk*> candidates;
  bool kid_known = false;
  for (const auto& jwk : keys.keys()) {
    if (has_kid && jwk.kid != kid) continue;
    kid_known = true;
    if (jwk.algorithm == *algorithm) candidates.push_back(&jwk);
  }
  if (!kid_known || (!has_kid && candidates.empty())) {
    return VerifyResult::invalid(
        JwtError::kUnknownKid,
        has_kid ? "no key with kid " + quote_clipped(kid) : "no key for algorithm " + alg_name,
        kid);
  }
  if (candidates.empty()) {
    return VerifyResult::invalid(JwtError::kAlgorithmNotAllowed,
                                 "key " + quote_clipped(kid) + " is not a " + alg_name + " key",
                                 kid);
  }

  const auto payload_part = token.substr(dot1 + 1, dot2 - dot1 - 1);
  const auto payload = base64url_decode(payload_part);
  const auto signature = base64url_decode(token.substr(dot2 + 1));
  if (payload_part.empty() || !payload || !signature) {
    return VerifyResult::invalid(JwtError::kMalformed, "payload or signature is not base64url",
                                 kid);
  }
  const auto signing_input = token.substr(0, dot2);
  const bool verified = std::any_of(candidates.begin(), candidates.end(), [&](const Jwk* jwk) {
    return jws_verify(jwk->key.get(), *algorithm, signing_input, *signature);
  });
  if (!verified) return VerifyResult::invalid(JwtError::kBadSignature, "bad signature", kid);

  auto parsed_claims = parse_json(*payload);
  json claims = parsed_claims ? std::move(parsed_claims).value() : json();
  if (!claims.is_object()) {
    return VerifyResult::invalid(JwtError::kMalformed, "payload is not a JSON object", kid);
  }
  if (auto failure = check_claims(claims, options, kid)) return std::move(*failure);
  return VerifyResult::valid(std::move(claims), std::move(kid));
}

std::string sign_jwt(const nlohmann::json& claims, std::string_view kid, JwsAlgorithm algorithm,
                     EVP_PKEY* key) {
  if (!claims.is_object()) throw std::invalid_argument("JWT claims must be a JSON object");
  json header = {{"alg", to_string(algorithm)}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = kid;
  std::string token = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  const std::string signature = jws_sign(key, algorithm, token);
  token += '.';
  token += base64url_encode(signature);
  return token;
}

}  // namespace carehub::auth

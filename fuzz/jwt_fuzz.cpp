// Bearer tokens as the auth module checks them (modules/auth/jwt.hpp): verify_jwt against a fixed
// key set (Ed25519, P-256, RSA-2048) with the options a server uses. Four shapes of input, by the
// first byte:
//   0: the token itself, as a client sends it (garbage, truncated, re-encoded parts);
//   1: a header and a payload, both fuzzed, signed with the key the header's kid names if any,
//      so a forged header reaches the signature check with a signature that verifies;
//   2: a fuzzed payload (the claims) under a valid header and signature: the claim checks;
//   3: a JWKS document (an OpenID provider's) read by JwkSet::from_json, then a valid token
//      checked against the keys it yields.
// A token that passes must carry what the options demand.
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/pem.h>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "auth/jwt.hpp"
#include "jwt_keys.hpp"

namespace {

using carehub::auth::JwsAlgorithm;

struct Signer {
  const char* kid;
  JwsAlgorithm algorithm;
  carehub::auth::EvpKey key;
};

carehub::auth::EvpKey read_key(const char* pem) {
  BIO* bio = BIO_new_mem_buf(pem, -1);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) throw std::runtime_error("bad fixed key");
  return carehub::auth::EvpKey(key);
}

struct Keys {
  std::array<Signer, 3> signers{{
      {"ed", JwsAlgorithm::kEdDSA, read_key(carehub::fuzz::kEd25519Pem)},
      {"ec", JwsAlgorithm::kES256, read_key(carehub::fuzz::kP256Pem)},
      {"rsa", JwsAlgorithm::kRS256, read_key(carehub::fuzz::kRsa2048Pem)},
  }};
  carehub::auth::JwkSet set;
  carehub::auth::VerifyOptions options{
      {"EdDSA", "ES256", "RS256"}, "https://id.example", "carehub", 1'700'000'000, 30, true};
  Keys() {
    for (auto& s : signers) set.add(s.kid, s.algorithm, s.key.get());
  }
};

const Keys& keys() {
  static const Keys k;
  return k;
}

std::string signed_token(const Signer& signer, std::string_view header, std::string_view payload) {
  using carehub::auth::base64url_encode;
  const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." +
         base64url_encode(carehub::auth::jws_sign(signer.key.get(), signer.algorithm, input));
}

std::string standard_header(const Signer& signer) {
  return nlohmann::json{
      {"alg", carehub::auth::to_string(signer.algorithm)}, {"typ", "JWT"}, {"kid", signer.kid}}
      .dump();
}

// The signer a header's kid names, or the one chosen by the input.
const Signer& signer_for(std::string_view header, std::size_t chosen) {
  const auto value = nlohmann::json::parse(header, nullptr, false);
  if (value.is_object() && value.contains("kid") && value["kid"].is_string()) {
    for (const auto& s : keys().signers) {
      if (value["kid"] == s.kid) return s;
    }
  }
  return keys().signers[chosen];
}

void check(const carehub::auth::VerifyResult& result, const carehub::auth::VerifyOptions& options) {
  if (!result) {
    if (result.message().empty() || !result.claims().is_null()) __builtin_trap();
    return;
  }
  const auto& claims = result.claims();
  if (!claims.is_object() || !claims.contains("exp") || !claims["exp"].is_number())
    __builtin_trap();
  if (claims["exp"].get<double>() + static_cast<double>(options.leeway_s) <=
      static_cast<double>(options.now_s))
    __builtin_trap();
  if (claims.value("iss", nlohmann::json()) != options.issuer) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const auto& k = keys();
  const int mode = in.ConsumeIntegralInRange(0, 3);
  const std::size_t chosen = in.ConsumeIntegralInRange<std::size_t>(0, k.signers.size() - 1);
  switch (mode) {
    case 0: {
      const std::string token = in.ConsumeRemainingBytesAsString();
      check(carehub::auth::verify_jwt(token, k.set, k.options), k.options);
      break;
    }
    case 1: {
      const std::string header = in.ConsumeRandomLengthString(1024);
      const std::string payload = in.ConsumeRemainingBytesAsString();
      const std::string token = signed_token(signer_for(header, chosen), header, payload);
      check(carehub::auth::verify_jwt(token, k.set, k.options), k.options);
      break;
    }
    case 2: {
      const Signer& signer = k.signers[chosen];
      const std::string token =
          signed_token(signer, standard_header(signer), in.ConsumeRemainingBytesAsString());
      check(carehub::auth::verify_jwt(token, k.set, k.options), k.options);
      break;
    }
    case 3: {
      const auto doc = nlohmann::json::parse(in.ConsumeRemainingBytesAsString(), nullptr, false);
      if (doc.is_discarded()) break;
      try {
        const auto set = carehub::auth::JwkSet::from_json(doc);
        (void)set.to_json().dump();
        const Signer& signer = k.signers[chosen];
        const std::string claims = R"({"iss":"https://id.example","exp":1800000000})";
        const std::string token = signed_token(signer, standard_header(signer), claims);
        check(carehub::auth::verify_jwt(token, set, k.options), k.options);
      } catch (const std::invalid_argument&) {
      }
      break;
    }
  }
  return 0;
}

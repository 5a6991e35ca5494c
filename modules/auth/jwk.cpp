#include "auth/jwk.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <optional>
#include <stdexcept>

#include "auth/ossl.hpp"
#include "carehub/hash.hpp"

namespace carehub::auth {
namespace {

using nlohmann::json;

constexpr std::size_t kEcCoordinateBytes = 32;
constexpr std::size_t kEd25519KeyBytes = 32;
constexpr std::size_t kMaxRsaExponentBytes = 8;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::optional<std::string> string_field(const json& jwk, const char* name) {
  const auto it = jwk.find(name);
  if (it == jwk.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::optional<std::string> bytes_field(const json& jwk, const char* name) {
  const auto text = string_field(jwk, name);
  return text ? base64url_decode(*text) : std::nullopt;
}

// Builds a public key from OSSL_PARAMs and runs OpenSSL's public-key check (for EC: the point is
// on the curve, which stops invalid-curve tricks). Empty key on any failure.
EvpKey from_params(const char* type, OSSL_PARAM_BLD* builder) {
  ossl::Params params(OSSL_PARAM_BLD_to_param(builder));
  ossl::PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  EvpKey key(raw);
  ossl::PkeyCtx check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    ERR_clear_error();
    return {};
  }
  return key;
}

EvpKey rsa_key(const json& jwk) {
  const auto n = bytes_field(jwk, "n");
  const auto e = bytes_field(jwk, "e");
  if (!n || !e || n->empty() || e->empty() || e->size() > kMaxRsaExponentBytes) return {};
  ossl::Bignum bn_n(BN_bin2bn(bytes_of(*n), static_cast<int>(n->size()), nullptr));
  ossl::Bignum bn_e(BN_bin2bn(bytes_of(*e), static_cast<int>(e->size()), nullptr));
  ossl::ParamBld builder(OSSL_PARAM_BLD_new());
  // An even or unit exponent makes "verification" meaningless.
  if (!bn_n || !bn_e || !builder || !BN_is_odd(bn_e.get()) || BN_is_one(bn_e.get()) ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    return {};
  }
  return from_params("RSA", builder.get());
}

EvpKey p256_key(const json& jwk) {
  const auto x = bytes_field(jwk, "x");
  const auto y = bytes_field(jwk, "y");
  if (!x || !y || x->size() != kEcCoordinateBytes || y->size() != kEcCoordinateBytes) return {};
  const std::string point = "\x04" + *x + *y;  // SEC1 uncompressed
  ossl::ParamBld builder(OSSL_PARAM_BLD_new());
  if (!builder ||
      OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                       point.size()) != 1) {
    return {};
  }
  return from_params("EC", builder.get());
}

EvpKey ed25519_key(const json& jwk) {
  const auto x = bytes_field(jwk, "x");
  if (!x || x->size() != kEd25519KeyBytes) return {};
  EvpKey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, bytes_of(*x), x->size()));
  ERR_clear_error();
  return key;
}

bool usable_for_signatures(const json& jwk) {
  if (jwk.contains("use") && string_field(jwk, "use") != "sig") return false;
  const auto ops = jwk.find("key_ops");
  if (ops == jwk.end()) return true;
  return ops->is_array() && std::find(ops->begin(), ops->end(), json("verify")) != ops->end();
}

std::optional<Jwk> parse_key(const json& jwk) {
  if (!jwk.is_object() || !usable_for_signatures(jwk)) return std::nullopt;
  const auto kty = string_field(jwk, "kty");
  const auto crv = string_field(jwk, "crv");
  std::optional<JwsAlgorithm> algorithm;
  if (kty == "RSA") algorithm = JwsAlgorithm::kRS256;
  if (kty == "EC" && crv == "P-256") algorithm = JwsAlgorithm::kES256;
  if (kty == "OKP" && crv == "Ed25519") algorithm = JwsAlgorithm::kEdDSA;
  if (!algorithm) return std::nullopt;
  if (jwk.contains("alg")) {
    const auto alg = string_field(jwk, "alg");
    if (!alg || parse_jws_algorithm(*alg) != algorithm) return std::nullopt;
  }
  std::string kid;
  if (jwk.contains("kid")) {
    auto value = string_field(jwk, "kid");
    if (!value) return std::nullopt;
    kid = std::move(*value);
  }
  EvpKey key;
  switch (*algorithm) {
    case JwsAlgorithm::kRS256: key = rsa_key(jwk); break;
    case JwsAlgorithm::kES256: key = p256_key(jwk); break;
    case JwsAlgorithm::kEdDSA: key = ed25519_key(jwk); break;
  }
  // Also rejects RSA moduli outside 2048-8192 bits.
  if (!key || algorithm_for_key(key.get()) != algorithm) return std::nullopt;
  return Jwk{std::move(kid), *algorithm, std::move(key)};
}

std::string spki_der(EVP_PKEY* key) {
  const int size = i2d_PUBKEY(key, nullptr);
  if (size <= 0) throw std::runtime_error("cannot encode a public key");
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_PUBKEY(key, &out) != size) throw std::runtime_error("cannot encode a public key");
  return der;
}

std::string bn_param(EVP_PKEY* key, const char* name, std::size_t fixed_size) {
  BIGNUM* raw = nullptr;
  const int rc = EVP_PKEY_get_bn_param(key, name, &raw);
  ossl::Bignum bn(raw);
  if (rc != 1 || !bn) throw std::runtime_error(std::string("cannot read key parameter ") + name);
  const int size = fixed_size > 0 ? static_cast<int>(fixed_size) : BN_num_bytes(bn.get());
  std::string out(static_cast<std::size_t>(size), '\0');
  if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), size) != size) {
    throw std::runtime_error(std::string("key parameter out of range: ") + name);
  }
  return out;
}

json public_jwk(const Jwk& jwk) {
  EVP_PKEY* key = jwk.key.get();
  json out = {{"alg", to_string(jwk.algorithm)}, {"use", "sig"}};
  if (!jwk.kid.empty()) out["kid"] = jwk.kid;
  switch (jwk.algorithm) {
    case JwsAlgorithm::kEdDSA: {
      std::string x(kEd25519KeyBytes, '\0');
      std::size_t size = x.size();
      if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(x.data()), &size) !=
              1 ||
          size != kEd25519KeyBytes) {
        throw std::runtime_error("cannot read an Ed25519 public key");
      }
      out.update({{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", base64url_encode(x)}});
      break;
    }
    case JwsAlgorithm::kES256:
      out.update(
          {{"kty", "EC"},
           {"crv", "P-256"},
           {"x", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, kEcCoordinateBytes))},
           {"y", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, kEcCoordinateBytes))}});
      break;
    case JwsAlgorithm::kRS256:
      out.update({{"kty", "RSA"},
                  {"n", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_N, 0))},
                  {"e", base64url_encode(bn_param(key, OSSL_PKEY_PARAM_RSA_E, 0))}});
      break;
  }
  return out;
}

}  // namespace

JwkSet JwkSet::from_json(const json& jwks) {
  const auto keys = jwks.is_object() ? jwks.find("keys") : jwks.end();
  if (!jwks.is_object() || keys == jwks.end() || !keys->is_array()) {
    throw std::invalid_argument("not a JWKS document: no \"keys\" array");
  }
  JwkSet set;
  for (const auto& entry : *keys) {
    if (auto jwk = parse_key(entry)) set.keys_.push_back(std::move(*jwk));
  }
  return set;
}

void JwkSet::add(std::string kid, JwsAlgorithm algorithm, EVP_PKEY* key) {
  if (algorithm_for_key(key) != algorithm) {
    throw std::invalid_argument("key does not fit " + std::string(to_string(algorithm)));
  }
  // Round trip through the SubjectPublicKeyInfo so no private half is ever held here.
  const std::string der = spki_der(key);
  const unsigned char* p = bytes_of(der);
  EvpKey public_key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  if (!public_key) throw std::runtime_error("cannot decode a public key");
  keys_.push_back(Jwk{std::move(kid), algorithm, std::move(public_key)});
}

bool JwkSet::has_kid(std::string_view kid) const {
  return std::any_of(keys_.begin(), keys_.end(), [&](const Jwk& k) { return k.kid == kid; });
}

json JwkSet::to_json() const {
  json keys = json::array();
  for (const auto& jwk : keys_) keys.push_back(public_jwk(jwk));
  return {{"keys", std::move(keys)}};
}

std::string spki_key_id(EVP_PKEY* key) {
  return sha256_hex(spki_der(key)).substr(0, 16);
}

}  // namespace carehub::auth

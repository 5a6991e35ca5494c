#include "auth/jws.hpp"

#include <openssl/err.h>
#include <openssl/rsa.h>

#include <array>
#include <cstdint>
#include <stdexcept>

#include "auth/ossl.hpp"

namespace carehub::auth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::size_t kEcCoordinateBytes = 32;
constexpr std::size_t kFixedSignatureBytes = 64;  // Ed25519, and ES256 as r||s

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '-') return 62;
  if (c == '_') return 63;
  return -1;
}

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// OpenSSL signs ECDSA as a DER SEQUENCE of two INTEGERs; JOSE wants both as fixed 32-byte
// big-endian values back to back.
std::string der_to_jose(std::string_view der) {
  const unsigned char* p = bytes_of(der);
  ossl::EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) throw std::runtime_error("ES256 signing produced an unreadable signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string out(kFixedSignatureBytes, '\0');
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, o, kEcCoordinateBytes) != static_cast<int>(kEcCoordinateBytes) ||
      BN_bn2binpad(s, o + kEcCoordinateBytes, kEcCoordinateBytes) !=
          static_cast<int>(kEcCoordinateBytes)) {
    throw std::runtime_error("ES256 signature value out of range");
  }
  return out;
}

std::optional<std::string> jose_to_der(std::string_view jose) {
  ossl::Bignum r(BN_bin2bn(bytes_of(jose), kEcCoordinateBytes, nullptr));
  ossl::Bignum s(BN_bin2bn(bytes_of(jose) + kEcCoordinateBytes, kEcCoordinateBytes, nullptr));
  ossl::EcdsaSig sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();  // owned by sig now
  s.release();
  const int size = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (size <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(size), '\0');
  auto* q = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &q) != size) return std::nullopt;
  return der;
}

const EVP_MD* digest_for(JwsAlgorithm algorithm) {
  return algorithm == JwsAlgorithm::kEdDSA ? nullptr : EVP_sha256();  // Ed25519 hashes itself
}

}  // namespace

std::optional<JwsAlgorithm> parse_jws_algorithm(std::string_view name) {
  if (name == "EdDSA") return JwsAlgorithm::kEdDSA;
  if (name == "ES256") return JwsAlgorithm::kES256;
  if (name == "RS256") return JwsAlgorithm::kRS256;
  return std::nullopt;
}

std::string_view to_string(JwsAlgorithm algorithm) {
  switch (algorithm) {
    case JwsAlgorithm::kEdDSA: return "EdDSA";
    case JwsAlgorithm::kES256: return "ES256";
    case JwsAlgorithm::kRS256: return "RS256";
  }
  return "?";
}

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    acc = ((acc << 8) | c) & 0xffff;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;  // 6 bits cannot end a byte
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = sextet(c);
    if (v < 0) return std::nullopt;
    acc = ((acc << 6) | static_cast<std::uint32_t>(v)) & 0xfff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if ((acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

EvpKey::EvpKey(const EvpKey& other) noexcept {
  if (other.key_ && EVP_PKEY_up_ref(other.key_.get()) == 1) key_.reset(other.key_.get());
}

EvpKey& EvpKey::operator=(const EvpKey& other) noexcept {
  EvpKey copy(other);
  key_ = std::move(copy.key_);
  return *this;
}

void EvpKey::Free::operator()(EVP_PKEY* key) const noexcept {
  EVP_PKEY_free(key);
}

std::optional<JwsAlgorithm> algorithm_for_key(EVP_PKEY* key) {
  if (key == nullptr) return std::nullopt;
  if (EVP_PKEY_is_a(key, "ED25519")) return JwsAlgorithm::kEdDSA;
  if (EVP_PKEY_is_a(key, "EC")) {
    std::array<char, 64> name{};
    std::size_t length = 0;
    if (EVP_PKEY_get_group_name(key, name.data(), name.size(), &length) != 1) return std::nullopt;
    const std::string_view group(name.data(), length);
    if (group == "prime256v1" || group == "P-256") return JwsAlgorithm::kES256;
    return std::nullopt;
  }
  if (EVP_PKEY_is_a(key, "RSA")) {
    const int bits = EVP_PKEY_get_bits(key);
    if (bits >= 2048 && bits <= 8192) return JwsAlgorithm::kRS256;
  }
  return std::nullopt;
}

std::string jws_sign(EVP_PKEY* key, JwsAlgorithm algorithm, std::string_view input) {
  if (algorithm_for_key(key) != algorithm) {
    throw std::runtime_error("signing key does not fit " + std::string(to_string(algorithm)));
  }
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, digest_for(algorithm), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, bytes_of(input), input.size()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("JWS signing failed to start");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     bytes_of(input), input.size()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("JWS signing failed");
  }
  signature.resize(length);
  return algorithm == JwsAlgorithm::kES256 ? der_to_jose(signature) : signature;
}

bool jws_verify(EVP_PKEY* key, JwsAlgorithm algorithm, std::string_view input,
                std::string_view signature) {
  if (algorithm_for_key(key) != algorithm) return false;
  const std::size_t expected = algorithm == JwsAlgorithm::kRS256
                                   ? static_cast<std::size_t>(EVP_PKEY_get_size(key))
                                   : kFixedSignatureBytes;
  if (signature.size() != expected) return false;
  std::string der;
  if (algorithm == JwsAlgorithm::kES256) {
    auto converted = jose_to_der(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  ossl::MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pkey_ctx = nullptr;  // owned by ctx
  bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), &pkey_ctx, digest_for(algorithm), nullptr, key) == 1;
  if (ok && algorithm == JwsAlgorithm::kRS256) {
    ok = EVP_PKEY_CTX_set_rsa_padding(pkey_ctx, RSA_PKCS1_PADDING) == 1;
  }
  ok = ok && EVP_DigestVerify(ctx.get(), bytes_of(signature), signature.size(), bytes_of(input),
                              input.size()) == 1;
  // A failed check leaves entries on this thread's error queue; they must not surface later.
  ERR_clear_error();
  return ok;
}

}  // namespace carehub::auth

#include "support/auth_forge.hpp"

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <cstdio>

namespace carehub::test {

using nlohmann::json;

const unsigned char* ubytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::string b64url(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), ubytes(raw),
                                static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return out;
}

std::string unb64url(std::string text) {
  for (auto& c : text) c = c == '-' ? '+' : c == '_' ? '/' : c;
  const std::size_t pad = (4 - text.size() % 4) % 4;
  text.append(pad, '=');
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), ubytes(text),
                                static_cast<int>(text.size()));
  REQUIRE(n >= 0);
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

std::vector<std::string> jws_parts(const std::string& token) {
  const auto a = token.find('.');
  const auto b = token.find('.', a + 1);
  REQUIRE(b != std::string::npos);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

Pkey generate_key(const std::string& type) {
  Pkey key(type == "EdDSA"   ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
           : type == "ES256" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")
                             : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", std::size_t{2048}),
           &EVP_PKEY_free);
  REQUIRE(key);
  return key;
}

Pkey read_private_pem_file(const std::string& path) {
  std::unique_ptr<FILE, decltype(&fclose)> f(fopen(path.c_str(), "r"), &fclose);
  REQUIRE(f);
  Pkey key(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  REQUIRE(key);
  return key;
}

std::string private_pem(EVP_PKEY* key, const EVP_CIPHER* cipher) {
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new(BIO_s_mem()), &BIO_free_all);
  char passphrase[] = "secret";
  REQUIRE(PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher, cipher ? passphrase : nullptr,
                                        cipher ? 6 : 0, nullptr, nullptr) == 1);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

std::string spki_der(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  REQUIRE(size > 0);
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

std::string raw_sign(EVP_PKEY* key, const std::string& alg, std::string_view input, bool der) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const EVP_MD* md = alg == "EdDSA" ? nullptr : EVP_sha256();
  std::size_t size = 0;
  REQUIRE(EVP_DigestSignInit(ctx.get(), nullptr, md, nullptr, key) == 1);
  REQUIRE(EVP_DigestSign(ctx.get(), nullptr, &size, ubytes(input), input.size()) == 1);
  std::string sig(size, '\0');
  REQUIRE(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &size,
                         ubytes(input), input.size()) == 1);
  sig.resize(size);
  if (alg != "ES256" || der) return sig;
  const unsigned char* p = ubytes(sig);
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> ecdsa(
      d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(sig.size())), &ECDSA_SIG_free);
  REQUIRE(ecdsa);
  std::string jose(64, '\0');
  auto* out = reinterpret_cast<unsigned char*>(jose.data());
  REQUIRE(BN_bn2binpad(ECDSA_SIG_get0_r(ecdsa.get()), out, 32) == 32);
  REQUIRE(BN_bn2binpad(ECDSA_SIG_get0_s(ecdsa.get()), out + 32, 32) == 32);
  return jose;
}

std::string forge(EVP_PKEY* key, const json& header, const json& payload, bool der) {
  const std::string input = b64url(header.dump()) + "." + b64url(payload.dump());
  return input + "." + b64url(raw_sign(key, header.at("alg"), input, der));
}

json access_claims(std::int64_t now) {
  return {{"sub", "user-42"},
          {"email", "ana@example.org"},
          {"roles", {"physician", "admin"}},
          {"iat", now},
          {"exp", now + 900},
          {"iss", kTokenIssuer},
          {"aud", kTokenAudience},
          {"jti", "3f1c9b2e"}};
}

auth::VerifyOptions access_options(const std::string& alg) {
  auth::VerifyOptions o;
  o.algorithms = {alg};
  o.issuer = kTokenIssuer;
  o.audience = kTokenAudience;
  o.now_s = kTokenNow;
  return o;
}

Signer::Signer(const std::string& alg)
    : algorithm(alg),
      ring(auth::KeyRing::load_or_generate({alg, {}, dir.path() + "/keys"})),
      key(read_private_pem_file(dir.path() + "/keys/" + ring.active_kid() + ".pem")) {}

json Signer::header() const {
  return {{"alg", algorithm}, {"typ", "JWT"}, {"kid", ring.active_kid()}};
}

auth::VerifyResult Signer::verify(const std::string& token) const {
  return auth::verify_jwt(token, ring.verification_keys(), access_options(algorithm));
}

auth::JwtError Signer::error_of(const std::string& token) const {
  return error_of(token, access_options(algorithm));
}

auth::JwtError Signer::error_of(const std::string& token,
                                const auth::VerifyOptions& options) const {
  const auto result = auth::verify_jwt(token, ring.verification_keys(), options);
  REQUIRE_FALSE(result.ok());
  return *result.error();
}

}  // namespace carehub::test

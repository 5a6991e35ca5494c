#include "carehub/hash.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace carehub {

struct Sha256::Ctx {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md{EVP_MD_CTX_new(), &EVP_MD_CTX_free};
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md || EVP_DigestInit_ex(ctx_->md.get(), EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 unavailable");
  }
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view bytes) {
  if (EVP_DigestUpdate(ctx_->md.get(), bytes.data(), bytes.size()) != 1)
    throw std::runtime_error("SHA-256 failed");
}

std::string Sha256::hex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md.get(), digest, &len) != 1)
    throw std::runtime_error("SHA-256 failed");
  return to_hex(digest, len);
}

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '0');
  for (std::size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 15];
  }
  return out;
}

std::string random_hex(std::size_t n) {
  std::string bytes(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("no randomness available");
  }
  return to_hex(reinterpret_cast<const unsigned char*>(bytes.data()), n);
}

std::string random_code(std::string_view alphabet, std::size_t length) {
  if (alphabet.empty() || alphabet.size() > 256)
    throw std::invalid_argument("random_code: alphabet must hold 1 to 256 characters");
  // Bytes at or above the largest multiple of the alphabet's size are thrown away.
  const unsigned limit = 256 - (256 % alphabet.size());
  std::string out;
  out.reserve(length);
  unsigned char buffer[64];
  while (out.size() < length) {
    if (RAND_bytes(buffer, sizeof buffer) != 1) throw std::runtime_error("no randomness available");
    for (unsigned char b : buffer) {
      if (b >= limit) continue;
      out.push_back(alphabet[b % alphabet.size()]);
      if (out.size() == length) break;
    }
  }
  return out;
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &len)) {
    throw std::runtime_error("HMAC-SHA-256 failed");
  }
  return to_hex(digest, len);
}

std::int64_t Sha256::update_from(int fd, std::int64_t from, std::int64_t limit,
                                 const std::string& path) {
  char buf[64 * 1024];
  while (limit < 0 || from < limit) {
    std::size_t want = sizeof buf;
    if (limit >= 0) want = std::min(want, static_cast<std::size_t>(limit - from));
    const ssize_t n = ::pread(fd, buf, want, static_cast<off_t>(from));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    if (n == 0) break;
    update(buf, static_cast<std::size_t>(n));
    from += n;
  }
  return from;
}

std::string file_sha256(int fd, const std::string& path) {
  Sha256 h;
  h.update_from(fd, 0, -1, path);
  return h.hex();
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.hex();
}

}  // namespace carehub

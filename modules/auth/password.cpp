#include "auth/password.hpp"

#include <argon2.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <charconv>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "carehub/hash.hpp"

namespace carehub::auth {

namespace {

constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;
constexpr std::string_view kPrefix = "$argon2id$";
// Upper bounds for hashes we agree to verify: a stored hash edited to ask for terabytes of memory
// or millions of passes must not take the server down.
constexpr std::uint32_t kMaxMemoryKib = 1024 * 1024;
constexpr std::uint32_t kMaxIterations = 64;
constexpr std::uint32_t kMaxParallelism = 16;
constexpr std::size_t kMinPasswordChars = 12;
constexpr std::size_t kMaxPasswordBytes = 1024;

// Reads "<key>=<digits>" at the front of text and moves past it.
bool read_number(std::string_view& text, std::string_view key, std::uint32_t& out) {
  if (text.substr(0, key.size()) != key) return false;
  text.remove_prefix(key.size());
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, out);
  if (ec != std::errc() || ptr == text.data()) return false;
  text.remove_prefix(static_cast<std::size_t>(ptr - text.data()));
  return true;
}

bool within_limits(const PasswordParams& p) {
  return p.parallelism >= 1 && p.parallelism <= kMaxParallelism && p.iterations >= 1 &&
         p.iterations <= kMaxIterations && p.memory_kib >= 8 * p.parallelism &&
         p.memory_kib <= kMaxMemoryKib;
}

}  // namespace

std::optional<std::string> params_problem(const PasswordParams& p) {
  if (p.parallelism < 1 || p.parallelism > kMaxParallelism)
    return "parallelism must be between 1 and " + std::to_string(kMaxParallelism);
  if (p.iterations < 1 || p.iterations > kMaxIterations)
    return "iterations must be between 1 and " + std::to_string(kMaxIterations);
  if (p.memory_kib < 8 * p.parallelism || p.memory_kib > kMaxMemoryKib)
    return "memory_kib must be between 8 x parallelism and " + std::to_string(kMaxMemoryKib);
  return std::nullopt;
}

std::string hash_password(std::string_view password, const PasswordParams& params) {
  if (auto problem = params_problem(params)) throw std::invalid_argument("argon2id: " + *problem);
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1) throw std::runtime_error("CSPRNG failed (salt)");
  std::string encoded(argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                        kSaltBytes, kHashBytes, Argon2_id),
                      '\0');
  const int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                       password.data(), password.size(), salt, sizeof salt,
                                       kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK)
    throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

std::optional<PasswordParams> encoded_params(std::string_view text) {
  if (text.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  text.remove_prefix(kPrefix.size());
  std::uint32_t version = 0;
  PasswordParams p;
  if (!read_number(text, "v=", version) || version != ARGON2_VERSION_13) return std::nullopt;
  if (!read_number(text, "$m=", p.memory_kib) || !read_number(text, ",t=", p.iterations) ||
      !read_number(text, ",p=", p.parallelism) || text.substr(0, 1) != "$") {
    return std::nullopt;
  }
  return p;
}

bool verify_password(std::string_view password, const std::string& encoded) noexcept {
  auto params = encoded_params(encoded);
  if (!params || !within_limits(*params)) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool needs_rehash(const std::string& encoded, const PasswordParams& params) {
  auto stored = encoded_params(encoded);
  if (!stored) return true;
  return stored->memory_kib < params.memory_kib || stored->iterations < params.iterations ||
         stored->parallelism < params.parallelism;
}

std::optional<std::string> password_problem(std::string_view password) {
  if (password.size() > kMaxPasswordBytes)
    return "password must be at most " + std::to_string(kMaxPasswordBytes) + " bytes";
  std::size_t chars = 0;
  for (unsigned char c : password) {
    if ((c & 0xC0) != 0x80) ++chars;  // UTF-8 continuation bytes do not start a character
  }
  if (chars < kMinPasswordChars)
    return "password must be at least " + std::to_string(kMinPasswordChars) + " characters";
  return std::nullopt;
}

bool constant_time_equals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

const std::string& dummy_password_hash(const PasswordParams& params) {
  static std::mutex mutex;
  // std::map never moves its values, so the returned reference stays valid.
  static std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint32_t>, std::string> cache;
  const auto key = std::make_tuple(params.memory_kib, params.iterations, params.parallelism);
  std::lock_guard lock(mutex);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, hash_password(random_hex(32), params)).first;
  return it->second;
}

}  // namespace carehub::auth

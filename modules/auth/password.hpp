// Password hashing with argon2id (libargon2) and the small secret-handling helpers around it.
// Hashes are the standard encoded form ($argon2id$v=19$m=..,t=..,p=..$salt$hash), so the
// parameters travel with each hash and can be raised later (needs_rehash).
// Hashing is deliberately slow (tens of milliseconds): call it on a worker thread, never on a
// socket thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace carehub::auth {

// Defaults: the OWASP minimum for argon2id (19 MiB, 2 passes, 1 lane).
struct PasswordParams {
  std::uint32_t memory_kib = 19456;
  std::uint32_t iterations = 2;
  std::uint32_t parallelism = 1;
};

// Why params cannot be used (for config validation), or nothing.
std::optional<std::string> params_problem(const PasswordParams& params);

// A new encoded hash with a 16-byte salt from the CSPRNG. Throws std::invalid_argument for
// unusable params and std::runtime_error if libargon2 or the CSPRNG fails.
std::string hash_password(std::string_view password, const PasswordParams& params);

// True only when encoded is a well-formed argon2id hash of password. Never throws: a malformed,
// tampered or absurdly expensive hash is simply false.
bool verify_password(std::string_view password, const std::string& encoded) noexcept;

// True when encoded was made with weaker memory, iterations or parallelism than params, or is not
// a readable argon2id v19 hash: the caller stores a fresh hash after the next good sign-in.
bool needs_rehash(const std::string& encoded, const PasswordParams& params);

// The parameters in an encoded argon2id hash, or nothing when it is not one.
std::optional<PasswordParams> encoded_params(std::string_view encoded);

// Why a new password is refused, or nothing (NIST SP 800-63B: length, not composition). At least
// 12 characters (Unicode code points), at most 1024 bytes.
std::optional<std::string> password_problem(std::string_view password);

// Compares in time that depends only on the lengths (CRYPTO_memcmp); different lengths are unequal.
bool constant_time_equals(std::string_view a, std::string_view b) noexcept;

// A hash of a random password made with params, computed once per distinct params and cached.
// Verifying against it when no such user exists takes as long as a real check, so the answer's
// timing does not reveal whether an email is registered.
const std::string& dummy_password_hash(const PasswordParams& params = {});

}  // namespace carehub::auth

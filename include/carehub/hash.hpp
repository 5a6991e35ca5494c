// SHA-256 for checksums (migrations, blobs, uploads) and for storing tokens hashed; HMAC-SHA-256
// for keyed hashes (single-use codes a short alphabet makes guessable offline); random hex and
// random codes from the operating system's CSPRNG for names, tokens and codes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace carehub {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view bytes);
  void update(const char* data, std::size_t size) { update(std::string_view(data, size)); }
  // Adds the bytes of fd from offset from up to limit (limit < 0: to the end of the file), read
  // with pread (the descriptor's offset is not used). Returns the offset reached, short of limit
  // when the file ends first. Throws std::runtime_error naming path when a read fails.
  std::int64_t update_from(int fd, std::int64_t from, std::int64_t limit, const std::string& path);
  std::string hex();  // finishes; lower-case hex

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256_hex(std::string_view bytes);
// The checksum of a whole file, read through fd from its start (the descriptor's offset is not
// used). Throws std::runtime_error naming path when a read fails.
std::string file_sha256(int fd, const std::string& path);
std::string to_hex(const unsigned char* data, std::size_t size);
// n random bytes from OpenSSL's CSPRNG, as 2n hex digits. Throws std::runtime_error if it fails.
std::string random_hex(std::size_t n);
// length characters drawn uniformly from alphabet (at most 256 distinct characters) by rejection
// sampling over CSPRNG bytes: no modulo bias.
std::string random_code(std::string_view alphabet, std::size_t length);
// HMAC-SHA-256 of data under key, lower-case hex.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace carehub

// SHA-256 for checksums (migrations, blobs, uploads) and for storing tokens hashed; random hex
// from the operating system's CSPRNG for names and tokens.
#pragma once

#include <cstddef>
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
  std::string hex();  // finishes; lower-case hex

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256_hex(std::string_view bytes);
std::string to_hex(const unsigned char* data, std::size_t size);
// n random bytes from OpenSSL's CSPRNG, as 2n hex digits. Throws std::runtime_error if it fails.
std::string random_hex(std::size_t n);

}  // namespace carehub

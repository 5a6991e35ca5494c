// SHA-256 for checksums (migrations, blobs, uploads) and for storing tokens hashed.
#pragma once

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
  std::string hex();  // finishes; lower-case hex

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256_hex(std::string_view bytes);

}  // namespace carehub

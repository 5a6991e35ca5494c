// An istream over an open file descriptor, limited to a byte window: what BlobStore::get hands
// out. It owns the descriptor, so the object stays readable even if it is replaced or removed
// while the caller streams it.
#pragma once

#include <cstdint>
#include <istream>
#include <streambuf>
#include <string>
#include <vector>

#include "blob/posix_io.hpp"

namespace carehub::blob_detail {

class FdStreamBuf final : public std::streambuf {
 public:
  FdStreamBuf(UniqueFd fd, std::string path, std::uint64_t offset, std::uint64_t length);

 protected:
  int_type underflow() override;

 private:
  UniqueFd fd_;
  std::string path_;
  std::uint64_t offset_;     // file position of the next read
  std::uint64_t remaining_;  // bytes of the window not yet read from the file
  std::vector<char> buffer_;
};

class FdIStream final : public std::istream {
 public:
  FdIStream(UniqueFd fd, std::string path, std::uint64_t offset, std::uint64_t length);

 private:
  FdStreamBuf buf_;
};

}  // namespace carehub::blob_detail

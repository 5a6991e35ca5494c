#include "blob/fd_stream.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace carehub::blob_detail {

namespace {
constexpr std::size_t kReadChunk = 64 * 1024;
}

FdStreamBuf::FdStreamBuf(UniqueFd fd, std::string path, std::uint64_t offset, std::uint64_t length)
    : fd_(std::move(fd)),
      path_(std::move(path)),
      offset_(offset),
      remaining_(length),
      buffer_(static_cast<std::size_t>(std::min<std::uint64_t>(length, kReadChunk))) {}

FdStreamBuf::int_type FdStreamBuf::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  if (remaining_ == 0) return traits_type::eof();
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, buffer_.size()));
  ssize_t n;
  do {
    n = ::pread(fd_.get(), buffer_.data(), want, static_cast<off_t>(offset_));
  } while (n < 0 && errno == EINTR);
  // The istream turns this into badbit for the reader.
  if (n < 0) throw_errno("read", path_, errno);
  if (n == 0) {
    remaining_ = 0;  // the file shrank under us: end the stream early rather than hang
    return traits_type::eof();
  }
  offset_ += static_cast<std::uint64_t>(n);
  remaining_ -= static_cast<std::uint64_t>(n);
  setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
  return traits_type::to_int_type(*gptr());
}

FdIStream::FdIStream(UniqueFd fd, std::string path, std::uint64_t offset, std::uint64_t length)
    : std::istream(nullptr), buf_(std::move(fd), std::move(path), offset, length) {
  rdbuf(&buf_);
}

}  // namespace carehub::blob_detail

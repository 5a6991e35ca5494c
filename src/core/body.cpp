// Streamed response bodies: file ranges and sequences of pieces (see carehub/http.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "carehub/http.hpp"

namespace carehub {
namespace {

class FileBody : public BodySource {
 public:
  FileBody(const std::string& path, std::uint64_t offset, std::optional<std::uint64_t> length,
           bool unlink_after_open)
      : path_(path), next_(offset) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "cannot open " + path);
    if (unlink_after_open) ::unlink(path.c_str());
    if (length) {
      end_ = offset + *length;
    } else {
      const off_t size = ::lseek(fd_, 0, SEEK_END);
      if (size < 0) {
        const int err = errno;
        ::close(fd_);
        throw std::system_error(err, std::generic_category(), "cannot size " + path);
      }
      end_ = std::max<std::uint64_t>(offset, static_cast<std::uint64_t>(size));
    }
    size_ = end_ - offset;
  }
  ~FileBody() override { ::close(fd_); }
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;

  std::optional<std::uint64_t> size() const override { return size_; }

  std::size_t read(char* buffer, std::size_t capacity) override {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, end_ - next_));
    if (want == 0) return 0;
    ssize_t n;
    do {
      n = ::pread(fd_, buffer, want, static_cast<off_t>(next_));
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw std::system_error(errno, std::generic_category(), "cannot read " + path_);
    // The file shrank under us: a short body is all that can be sent.
    if (n == 0) throw std::runtime_error(path_ + " ended before its announced length");
    next_ += static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t next_ = 0, end_ = 0, size_ = 0;
};

}  // namespace

std::shared_ptr<BodySource> file_body(const std::string& path, std::uint64_t offset,
                                      std::optional<std::uint64_t> length, bool unlink_after_open) {
  return std::make_shared<FileBody>(path, offset, length, unlink_after_open);
}

void PiecesBody::add_text(std::string text) {
  total_ += text.size();
  pieces_.push_back(Piece{std::move(text), {}, 0, 0});
}

void PiecesBody::add_file(std::string path, std::uint64_t offset, std::uint64_t length) {
  total_ += length;
  pieces_.push_back(Piece{{}, std::move(path), offset, length});
}

std::size_t PiecesBody::read(char* buffer, std::size_t capacity) {
  std::size_t filled = 0;
  while (filled < capacity && at_ < pieces_.size()) {
    const Piece& piece = pieces_[at_];
    std::size_t n = 0;
    if (piece.path.empty()) {
      n = std::min(capacity - filled, piece.text.size() - static_cast<std::size_t>(done_));
      std::copy_n(piece.text.data() + done_, n, buffer + filled);
    } else if (done_ < piece.length) {
      try {
        if (!file_) file_ = file_body(piece.path, piece.offset, piece.length);
        n = file_->read(buffer + filled, capacity - filled);
      } catch (...) {
        if (filled > 0) return filled;  // what was read goes out; the next call fails again
        throw;
      }
    }
    filled += n;
    done_ += n;
    const std::uint64_t length = piece.path.empty() ? piece.text.size() : piece.length;
    if (done_ >= length) {
      ++at_;
      done_ = 0;
      file_.reset();
    }
  }
  return filled;
}

}  // namespace carehub

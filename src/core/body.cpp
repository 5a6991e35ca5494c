// Streamed response bodies: file ranges and sequences of pieces (see carehub/http.hpp).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "carehub/http.hpp"
#include "carehub/unique_fd.hpp"

namespace carehub {
namespace {

class FileBody : public BodySource {
 public:
  FileBody(const std::string& path, std::uint64_t offset, std::optional<std::uint64_t> length,
           bool unlink_after_open)
      : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)), next_(offset) {
    if (!fd_) throw std::system_error(errno, std::generic_category(), "cannot open " + path);
    if (unlink_after_open) ::unlink(path.c_str());
    if (length) {
      end_ = offset + *length;
    } else {
      const off_t size = ::lseek(fd_.get(), 0, SEEK_END);
      if (size < 0) throw std::system_error(errno, std::generic_category(), "cannot size " + path);
      end_ = std::max<std::uint64_t>(offset, static_cast<std::uint64_t>(size));
    }
    size_ = end_ - offset;
  }
  std::optional<std::uint64_t> size() const override { return size_; }

  std::size_t read(char* buffer, std::size_t capacity) override {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, end_ - next_));
    if (want == 0) return 0;
    ssize_t n;
    do {
      n = ::pread(fd_.get(), buffer, want, static_cast<off_t>(next_));
    } while (n < 0 && errno == EINTR);
    if (n < 0) throw std::system_error(errno, std::generic_category(), "cannot read " + path_);
    // The file shrank under us: a short body is all that can be sent.
    if (n == 0) throw std::runtime_error(path_ + " ended before its announced length");
    next_ += static_cast<std::uint64_t>(n);
    return static_cast<std::size_t>(n);
  }

 private:
  std::string path_;
  UniqueFd fd_;
  std::uint64_t next_ = 0, end_ = 0, size_ = 0;
};

class IstreamBody : public BodySource {
 public:
  IstreamBody(std::unique_ptr<std::istream> in, std::uint64_t size)
      : in_(std::move(in)), size_(size) {}
  std::optional<std::uint64_t> size() const override { return size_; }
  std::size_t read(char* buffer, std::size_t capacity) override {
    in_->read(buffer, static_cast<std::streamsize>(capacity));
    if (in_->bad()) throw std::runtime_error("reading a stored object failed");
    return static_cast<std::size_t>(in_->gcount());
  }

 private:
  std::unique_ptr<std::istream> in_;
  std::uint64_t size_;
};

}  // namespace

std::shared_ptr<BodySource> istream_body(std::unique_ptr<std::istream> in, std::uint64_t size) {
  return std::make_shared<IstreamBody>(std::move(in), size);
}

std::shared_ptr<BodySource> file_body(const std::string& path, std::uint64_t offset,
                                      std::optional<std::uint64_t> length, bool unlink_after_open) {
  return std::make_shared<FileBody>(path, offset, length, unlink_after_open);
}

void PiecesBody::add_text(std::string text) {
  total_ += text.size();
  const auto length = text.size();
  pieces_.push_back(Piece{std::move(text), {}, length});
}

void PiecesBody::add_file(std::string path, std::uint64_t offset, std::uint64_t length) {
  add_source([path = std::move(path), offset, length] { return file_body(path, offset, length); },
             length);
}

void PiecesBody::add_source(Opener open, std::uint64_t length) {
  total_ += length;
  pieces_.push_back(Piece{{}, std::move(open), length});
}

std::size_t PiecesBody::read(char* buffer, std::size_t capacity) {
  std::size_t filled = 0;
  while (filled < capacity && at_ < pieces_.size()) {
    const Piece& piece = pieces_[at_];
    std::size_t n = 0;
    if (!piece.open) {
      n = std::min(capacity - filled, piece.text.size() - static_cast<std::size_t>(done_));
      std::copy_n(piece.text.data() + done_, n, buffer + filled);
    } else if (done_ < piece.length) {
      try {
        if (!source_) source_ = piece.open();
        const auto want = static_cast<std::size_t>(
            std::min<std::uint64_t>(capacity - filled, piece.length - done_));
        n = source_->read(buffer + filled, want);
        if (n == 0)
          throw std::runtime_error("a part of the body ended before its announced length");
      } catch (...) {
        if (filled > 0) return filled;  // what was read goes out; the next call fails again
        throw;
      }
    }
    filled += n;
    done_ += n;
    if (done_ >= piece.length) {
      ++at_;
      done_ = 0;
      source_.reset();
    }
  }
  return filled;
}

}  // namespace carehub

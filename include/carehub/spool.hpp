// A request body the server wrote to a file instead of memory (routes with spool_body: imports,
// DICOM uploads), so a body of gigabytes costs a 64 KiB buffer. The file lives in server.upload_dir
// (mode 0600) and is removed when the last reference goes, unless a handler takes it with
// release() (to rename it into the blob store, or hand it to a job). Leftovers of a crash are
// removed when the server starts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "carehub/hash.hpp"
#include "carehub/unique_fd.hpp"

namespace carehub {

class SpooledBody {
 public:
  // A new empty file in dir (created 0700 if missing). Throws std::system_error. A scratch file
  // is only read back and dropped: no SHA-256 (sha256() stays empty), no writeback at finish().
  static std::shared_ptr<SpooledBody> create(const std::string& dir, bool scratch = false);
  // A new file in dir holding bytes [offset, offset + length) of the file at from (one part of a
  // spooled multipart upload), finished, its SHA-256 computed on the way. Throws
  // std::runtime_error when from cannot be read, std::system_error when dir cannot be written.
  static std::shared_ptr<SpooledBody> copy_of(const std::string& from, std::uint64_t offset,
                                              std::uint64_t length, const std::string& dir);
  ~SpooledBody();
  SpooledBody(const SpooledBody&) = delete;
  SpooledBody& operator=(const SpooledBody&) = delete;

  void append(const char* data, std::size_t size);  // throws std::system_error
  // Closes the file (flushed to the kernel) after asking the kernel to start writing it to disk:
  // whoever fsyncs it next (a blob store adopting it) then waits less.
  void finish();
  // SHA-256 (hex) of everything appended, computed as it arrived; after finish().
  const std::string& sha256() const { return sha256_; }
  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  // The caller owns the file from now on; the destructor leaves it alone. Returns its path.
  std::string release();

 private:
  SpooledBody() = default;
  std::string path_;
  UniqueFd fd_;
  std::uint64_t size_ = 0;
  bool released_ = false;
  bool scratch_ = false;
  std::unique_ptr<Sha256> hash_;
  std::string sha256_;
};

// Creates dir if needed and deletes what a previous run left in it. Returns files removed.
std::size_t clean_spool_dir(const std::string& dir);

}  // namespace carehub

// A request body the server wrote to a file instead of memory (routes with spool_body: imports,
// DICOM uploads), so a body of gigabytes costs a 64 KiB buffer. The file lives in server.upload_dir
// (mode 0600) and is removed when the last reference goes, unless a handler takes it with
// release() (to rename it into the blob store, or hand it to a job). Leftovers of a crash are
// removed when the server starts.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace carehub {

class SpooledBody {
 public:
  // A new empty file in dir (created 0700 if missing). Throws std::system_error.
  static std::shared_ptr<SpooledBody> create(const std::string& dir);
  ~SpooledBody();
  SpooledBody(const SpooledBody&) = delete;
  SpooledBody& operator=(const SpooledBody&) = delete;

  void append(const char* data, std::size_t size);  // throws std::system_error
  void finish();                                    // closes the file (flushed to the kernel)
  const std::string& path() const { return path_; }
  std::uint64_t size() const { return size_; }
  // The caller owns the file from now on; the destructor leaves it alone. Returns its path.
  std::string release();

 private:
  SpooledBody() = default;
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  bool released_ = false;
};

// Creates dir if needed and deletes what a previous run left in it. Returns files removed.
std::size_t clean_spool_dir(const std::string& dir);

}  // namespace carehub

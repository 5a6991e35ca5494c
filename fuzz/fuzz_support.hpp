// What several harnesses share: a fuzz input as a file without touching the disk, for parsers
// whose public entry point takes a path or a descriptor (the multipart scanner, DCMTK, the
// configuration loader). Nothing is added to the production API for the fuzzer's sake.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace carehub::fuzz {

// The bytes in an anonymous memory file (memfd_create); path() names it through /proc/self/fd,
// which any open() accepts. Closed, and so gone, when this is destroyed.
class MemFile {
 public:
  explicit MemFile(std::string_view bytes);
  MemFile(const std::uint8_t* data, std::size_t size)
      : MemFile(std::string_view(reinterpret_cast<const char*>(data), size)) {}
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  ~MemFile();

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  int fd_ = -1;
  std::string path_;
};

// A fresh directory under $TMPDIR (or /tmp) removed when the process exits normally.
std::string scratch_directory(std::string_view prefix);

}  // namespace carehub::fuzz

#include "fuzz_support.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <vector>

namespace carehub::fuzz {

MemFile::MemFile(std::string_view bytes) {
  fd_ = memfd_create("carehub-fuzz", MFD_CLOEXEC);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      const int err = errno;
      close(fd_);
      throw std::system_error(err, std::generic_category(), "write to memfd");
    }
    done += static_cast<std::size_t>(n);
  }
  path_ = "/proc/self/fd/" + std::to_string(fd_);
}

MemFile::~MemFile() {
  close(fd_);
}

namespace {

std::vector<std::string>& scratch_directories() {
  static auto* dirs = new std::vector<std::string>();  // never destroyed: read by the atexit hook
  return *dirs;
}

void remove_scratch_directories() {
  std::error_code ec;
  for (const auto& dir : scratch_directories()) std::filesystem::remove_all(dir, ec);
}

}  // namespace

std::string scratch_directory(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp && *tmp ? tmp : "/tmp") + "/" + std::string(prefix) + "-XXXXXX";
  if (!mkdtemp(pattern.data())) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  static std::once_flag hook;
  std::call_once(hook, [] { std::atexit(remove_scratch_directories); });
  scratch_directories().push_back(pattern);
  return pattern;
}

}  // namespace carehub::fuzz

#include "blob/posix_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "carehub/blob.hpp"

namespace carehub::blob_detail {

void throw_errno(const std::string& what, const std::string& path, int err) {
  throw BlobError("blob store: " + what + " " + path + ": " + std::strerror(err));
}

void write_all(int fd, const char* data, std::size_t size, const std::string& path) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write", path, errno);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void fsync_fd(int fd, const std::string& path) {
  if (::fsync(fd) != 0) throw_errno("fsync", path, errno);
}

void fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_errno("open directory", dir, errno);
  fsync_fd(fd.get(), dir);
}

bool make_private_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0) {
    if (errno != EEXIST) throw_errno("mkdir", dir, errno);
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) throw_errno("stat", dir, errno);
    if (!S_ISDIR(st.st_mode)) throw_errno("mkdir", dir, ENOTDIR);
    return false;
  }
  // mkdir's mode is filtered by the umask; the store's folders are private whatever it is.
  if (::chmod(dir.c_str(), 0700) != 0) throw_errno("chmod", dir, errno);
  return true;
}

void make_dirs(const std::string& root, const std::string& dir) {
  if (dir.size() <= root.size()) return;
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return;  // the usual case: one call
  // Walk down from root so each created directory's parent already exists and can be fsynced.
  std::size_t pos = root.size();
  while (pos < dir.size()) {
    std::size_t next = dir.find('/', pos + 1);
    if (next == std::string::npos) next = dir.size();
    std::string current = dir.substr(0, next);
    std::string parent = dir.substr(0, pos);
    if (make_private_dir(current)) fsync_dir(parent);
    pos = next;
  }
}

}  // namespace carehub::blob_detail

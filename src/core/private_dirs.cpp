#include "carehub/private_dirs.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace carehub {

void create_private_directories(const std::string& dir) {
  std::filesystem::path partial;
  for (const auto& part : std::filesystem::path(dir)) {
    partial /= part;
    if (::mkdir(partial.c_str(), 0700) == 0) {
      // mkdir's mode passes through the umask; chmod's does not.
      if (::chmod(partial.c_str(), 0700) != 0)
        throw std::system_error(errno, std::generic_category(), "chmod " + partial.string());
    } else if (errno != EEXIST) {
      throw std::system_error(errno, std::generic_category(), "mkdir " + partial.string());
    }
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    throw std::system_error(ENOTDIR, std::generic_category(), "mkdir " + dir);
}

}  // namespace carehub

#include "dicom/listen_socket.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace carehub::dicom {

UniqueFd bind_listener(const std::string& host, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    throw std::runtime_error("dicom.host '" + host +
                             "' is not an IPv4 address (0.0.0.0 listens on every interface)");
  }
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  const int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(fd.get(), SOMAXCONN) != 0) {
    throw std::runtime_error(host + ":" + std::to_string(port) + ": " + std::strerror(errno));
  }
  return fd;
}

std::set<int> listening_sockets() {
  std::set<int> out;
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return out;
  while (const dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == ::dirfd(dir)) continue;
    int listening = 0, type = 0;
    socklen_t len = sizeof listening;
    if (::getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 ||
        !listening)
      continue;
    len = sizeof type;
    if (::getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
        type == SOCK_STREAM)
      out.insert(static_cast<int>(fd));
  }
  ::closedir(dir);
  return out;
}

bool replace_new_listener(const std::set<int>& before, const UniqueFd& socket, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    for (const int fd : listening_sockets()) {
      if (before.contains(fd) || fd == socket.get()) continue;
      // dup2 closes DCMTK's socket and gives its number to ours, in one step: DCMTK's accept
      // loop, which only knows the number, accepts from carehub's socket from now on. Its
      // descriptor is not close-on-exec, as DCMTK's was not.
      return ::dup2(socket.get(), fd) == fd;
    }
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace carehub::dicom

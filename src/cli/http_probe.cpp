#include "cli/http_probe.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <memory>
#include <string_view>

#include "carehub/unique_fd.hpp"

namespace carehub {
namespace {

struct Url {
  std::string host;
  std::string port = "80";
  std::string path = "/";
};

bool parse_url(std::string_view url, Url& out) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return false;
  url.remove_prefix(kScheme.size());
  auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.path = std::string(url.substr(slash));
  if (!authority.empty() && authority.front() == '[') {  // [::1]:8000
    auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      out.port = std::string(authority.substr(close + 2));
  } else {
    auto colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) out.port = std::string(authority.substr(colon + 1));
  }
  return !out.host.empty() && !out.port.empty();
}

}  // namespace

int http_probe(const std::string& url, std::chrono::milliseconds timeout) {
  Url u;
  if (!parse_url(url, u)) return 0;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(u.host.c_str(), u.port.c_str(), &hints, &found) != 0) return 0;
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addrs(found, &freeaddrinfo);
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  for (auto* a = addrs.get(); a; a = a->ai_next) {
    const UniqueFd fd(::socket(a->ai_family, a->ai_socktype, a->ai_protocol));
    if (!fd) continue;
    const int raw = fd.get();
    setsockopt(raw, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(raw, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (::connect(raw, a->ai_addr, a->ai_addrlen) != 0) continue;
    std::string request =
        "GET " + u.path + " HTTP/1.1\r\nHost: " + u.host + "\r\nConnection: close\r\n\r\n";
    if (::send(raw, request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size()))
      continue;
    char buf[64];
    std::string head;
    while (head.size() < 12) {
      ssize_t n = ::recv(raw, buf, sizeof buf, 0);
      if (n <= 0) break;
      head.append(buf, static_cast<std::size_t>(n));
    }
    // "HTTP/1.1 200 ..."
    if (head.size() >= 12 && head.starts_with("HTTP/1."))
      return std::atoi(head.substr(9, 3).c_str());
  }
  return 0;
}

}  // namespace carehub

#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace carehub::test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(0, left.count()));
}

// poll() for one event until the deadline; false at the deadline.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) throw HttpError(std::string("poll: ") + std::strerror(errno));
  }
}

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

bool has_token(const std::string& value, std::string_view token) {
  return to_lower(value).find(token) != std::string::npos;
}

}  // namespace

std::string to_lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::optional<std::string> HttpResponse::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

nlohmann::json HttpResponse::json() const {
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    throw HttpError("response body is not JSON (" + std::string(e.what()) + "): " + summary());
  }
}

std::string HttpResponse::summary() const {
  std::string s = "HTTP " + std::to_string(status) + " " + reason + "\n";
  for (const auto& [name, value] : headers) s += name + ": " + value + "\n";
  s += "\n" + (body.size() > 2000
                   ? body.substr(0, 2000) + "...(" + std::to_string(body.size()) + " bytes)"
                   : body);
  return s;
}

HttpClient::HttpClient(int port, std::chrono::milliseconds timeout)
    : port_(port), timeout_(timeout) {}

HttpClient::~HttpClient() {
  close();
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : port_(other.port_),
      timeout_(other.timeout_),
      fd_(std::exchange(other.fd_, -1)),
      buffer_(std::move(other.buffer_)),
      connections_opened_(other.connections_opened_) {}

void HttpClient::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

void HttpClient::connect() {
  close();
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) throw HttpError(std::string("socket: ") + std::strerror(errno));
  fd_ = fd;
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!source_.empty()) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (::inet_pton(AF_INET, source_.c_str(), &from.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0) {
      const std::string why = std::strerror(errno);
      close();
      throw HttpError("bind " + source_ + ": " + why);
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port_));
  const auto where = "127.0.0.1:" + std::to_string(port_);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      const std::string why = std::strerror(errno);
      close();
      throw HttpError("connect " + where + ": " + why);
    }
    if (!wait_for(fd_, POLLOUT, Clock::now() + timeout_)) {
      close();
      throw HttpError("connect " + where + ": timed out");
    }
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      close();
      throw HttpError("connect " + where + ": " + std::strerror(err));
    }
  }
  ++connections_opened_;
}

bool HttpClient::send_raw(std::string_view bytes) {
  if (fd_ < 0) connect();
  const auto deadline = Clock::now() + timeout_;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_for(fd_, POLLOUT, deadline)) throw HttpError("send: timed out");
      continue;
    }
    if (errno == EPIPE || errno == ECONNRESET) return false;
    throw HttpError(std::string("send: ") + std::strerror(errno));
  }
  return true;
}

bool HttpClient::fill(Deadline deadline) {
  if (fd_ < 0) return false;
  char chunk[65536];
  for (;;) {
    if (!wait_for(fd_, POLLIN, deadline)) {
      throw HttpError("timed out waiting for the server (have " + std::to_string(buffer_.size()) +
                      " unparsed bytes: '" + buffer_.substr(0, 200) + "')");
    }
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
    if (errno == ECONNRESET) return false;
    throw HttpError(std::string("recv: ") + std::strerror(errno));
  }
}

std::string HttpClient::read_line(Deadline deadline) {
  for (;;) {
    const auto pos = buffer_.find("\r\n");
    if (pos != std::string::npos) {
      std::string line = buffer_.substr(0, pos);
      buffer_.erase(0, pos + 2);
      return line;
    }
    if (!fill(deadline)) throw HttpError("connection closed in the middle of a chunked body");
  }
}

void HttpClient::read_exact(std::size_t n, std::string& out, Deadline deadline) {
  while (buffer_.size() < n) {
    if (!fill(deadline)) {
      throw HttpError("connection closed after " + std::to_string(buffer_.size()) + " of " +
                      std::to_string(n) + " body bytes");
    }
  }
  out.append(buffer_, 0, n);
  buffer_.erase(0, n);
}

HttpResponse HttpClient::read_response(bool head_request) {
  const auto deadline = Clock::now() + timeout_;
  HttpResponse r;
  bool http10 = false;
  for (;;) {
    auto end = buffer_.find("\r\n\r\n");
    while (end == std::string::npos) {
      if (!fill(deadline)) {
        const std::string partial = buffer_;
        close();
        throw HttpError(partial.empty() ? "connection closed without a response"
                                        : "connection closed mid-header: '" + partial + "'");
      }
      end = buffer_.find("\r\n\r\n");
    }
    const std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);

    r = HttpResponse{};
    const auto line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
      throw HttpError("not an HTTP/1.x status line: '" + status_line + "'");
    }
    http10 = status_line.rfind("HTTP/1.0", 0) == 0;
    r.status = std::stoi(status_line.substr(9, 3));
    r.reason = status_line.size() > 13 ? status_line.substr(13) : "";
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto next = head.find("\r\n", pos);
      if (next == std::string::npos) next = head.size();
      const std::string line = head.substr(pos, next - pos);
      pos = next + 2;
      const auto colon = line.find(':');
      if (colon == std::string::npos) throw HttpError("malformed header line: '" + line + "'");
      const std::string name = to_lower(trim(line.substr(0, colon)));
      const std::string value = trim(line.substr(colon + 1));
      auto [it, inserted] = r.headers.emplace(name, value);
      if (!inserted) it->second += ", " + value;
    }
    if (r.status >= 100 && r.status < 200) continue;  // interim response: the real one follows
    break;
  }

  const std::string connection = r.header("connection").value_or("");
  bool close_after = http10 ? !has_token(connection, "keep-alive") : has_token(connection, "close");
  if (head_request || r.status == 204 || r.status == 304) {
    // no body
  } else if (has_token(r.header("transfer-encoding").value_or(""), "chunked")) {
    for (;;) {
      const std::string size_line = read_line(deadline);
      const std::size_t size = std::stoul(size_line.substr(0, size_line.find(';')), nullptr, 16);
      if (size == 0) {
        while (!read_line(deadline).empty()) {
        }
        break;
      }
      read_exact(size, r.body, deadline);
      if (!read_line(deadline).empty()) throw HttpError("chunk not followed by CRLF");
    }
  } else if (auto length = r.header("content-length")) {
    read_exact(std::stoul(*length), r.body, deadline);
  } else {
    while (fill(deadline)) {
    }
    r.body = std::move(buffer_);
    buffer_.clear();
    close_after = true;
  }
  if (close_after) close();
  return r;
}

bool HttpClient::wait_for_text(std::string_view text, std::chrono::milliseconds timeout,
                               std::size_t from) {
  const auto deadline = Clock::now() + timeout;
  try {
    while (buffer_.find(text, from) == std::string::npos) {
      if (!fill(deadline)) return false;
    }
  } catch (const HttpError&) {
    return false;
  }
  return true;
}

bool HttpClient::wait_for_close(std::chrono::milliseconds timeout) {
  if (fd_ < 0) return true;
  const auto deadline = Clock::now() + timeout;
  try {
    while (fill(deadline)) {
    }
  } catch (const HttpError&) {
    return false;  // the deadline passed with the connection still open
  }
  ::close(fd_);
  fd_ = -1;
  return true;
}

HttpResponse HttpClient::request(std::string_view method, std::string_view target,
                                 const HttpHeaders& headers, std::string_view body) {
  if (fd_ < 0) connect();
  std::string req = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  bool has_host = false;
  bool has_length = false;
  for (const auto& [name, value] : headers) {
    const auto lower = to_lower(name);
    has_host = has_host || lower == "host";
    has_length = has_length || lower == "content-length" || lower == "transfer-encoding";
    req += name + ": " + value + "\r\n";
  }
  if (!has_host) req += "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  const bool body_method = method == "POST" || method == "PUT" || method == "PATCH";
  if (!has_length && (!body.empty() || body_method)) {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n";
  req += body;

  const bool sent = send_raw(req);
  try {
    HttpResponse r = read_response(method == "HEAD");
    // The server answered before taking the whole request (e.g. an early 413): the rest of the
    // stream is unusable.
    if (!sent) close();
    return r;
  } catch (const HttpError& e) {
    close();
    if (!sent)
      throw HttpError(std::string("server reset the connection during the request: ") + e.what());
    throw;
  }
}

HttpResponse HttpClient::get(std::string_view target, const HttpHeaders& headers) {
  return request("GET", target, headers);
}

HttpResponse HttpClient::post_json(std::string_view target, const nlohmann::json& body,
                                   const HttpHeaders& headers) {
  HttpHeaders h = headers;
  h.emplace_back("Content-Type", "application/json");
  return request("POST", target, h, body.dump());
}

HttpResponse HttpClient::put_json(std::string_view target, const nlohmann::json& body,
                                  const HttpHeaders& headers) {
  HttpHeaders h = headers;
  h.emplace_back("Content-Type", "application/json");
  return request("PUT", target, h, body.dump());
}

}  // namespace carehub::test

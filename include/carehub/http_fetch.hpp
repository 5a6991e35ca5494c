// A small blocking HTTP(S) client: an identity provider's discovery document and JWKS (GET), a
// push gateway (POST of JSON). Runs on a worker thread (never a socket thread): each call has its
// own io_context, and one deadline covers connecting, the TLS handshake, writing and reading. https
// verifies the server's certificate against the system store and its host name (SNI sent); plain
// http is refused unless the host is a loopback address (127.0.0.0/8, ::1, localhost), so neither a
// token signing key nor a push can ever cross the network unauthenticated. Redirects are not
// followed: a 3xx is just a status. Expected failures (refused, timeout, TLS, oversized body) are
// values, never exceptions.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace carehub {

struct FetchResult {
  int status = 0;     // the HTTP status when a response arrived
  std::string body;   // the response body (any status)
  std::string error;  // empty when a response arrived; else why not (URL, refused, TLS, timeout)

  bool ok() const { return error.empty(); }
};

inline constexpr std::size_t kDefaultMaxFetchBody = std::size_t{1} << 20;

FetchResult http_get(const std::string& url, std::chrono::milliseconds timeout,
                     std::size_t max_body = kDefaultMaxFetchBody);

// The same for any method, with headers (name, value) and a body (sent with Content-Length).
FetchResult http_call(std::string_view method, const std::string& url,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, std::chrono::milliseconds timeout,
                      std::size_t max_body = kDefaultMaxFetchBody);

struct ParsedUrl {
  bool tls = false;
  std::string host;    // without the brackets of an IPv6 literal
  std::string port;    // the explicit port, else 443 or 80
  std::string target;  // path and query ("/" when empty); no fragment
};

// http or https URLs only; no user information ("user@host"); nothing when malformed.
std::optional<ParsedUrl> parse_url(std::string_view url);

// True for "localhost", an IPv4 literal in 127.0.0.0/8, or the IPv6 literal ::1.
bool is_loopback_host(std::string_view host);

}  // namespace carehub

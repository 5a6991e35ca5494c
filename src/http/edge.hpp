// What the server decides at its edge, before any route runs: who the client is when a proxy
// stands in front (server.trusted_proxies), and which other sites' pages may call it
// (server.cors_origins). Both are built once from the configuration, which they check, and then
// only read.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <optional>
#include <string>
#include <vector>

#include "carehub/http.hpp"

namespace carehub {

// The peers whose X-Forwarded-For and X-Forwarded-Proto are believed.
class TrustedProxies {
 public:
  // Each entry is an address or a CIDR ("10.0.0.0/8", "127.0.0.2", "fd00::/8"). Throws
  // ConfigError naming server.trusted_proxies and the entry.
  explicit TrustedProxies(const std::vector<std::string>& entries);

  bool trusts(const boost::asio::ip::address& address) const;

  // When the request came from a trusted peer: the client is the nearest address in
  // X-Forwarded-For that is not itself a trusted proxy, and the request counts as secure when the
  // proxy says it arrived over https. From any other peer both headers are ignored.
  void apply(Request& request) const;

 private:
  struct Net {
    boost::asio::ip::address_v6::bytes_type base;  // IPv4 as its IPv4-mapped IPv6 form
    int prefix;                                    // in bits of that form
  };
  std::vector<Net> nets_;
};

// Cross-origin calls from the listed origins only ("https://viewer.example:8443"). A listed
// origin may send credentials; any other origin, and every origin when the list is empty, gets no
// CORS header at all, so the browser refuses the call.
class CorsPolicy {
 public:
  // Throws ConfigError naming server.cors_origins and the entry: "*", a path, or no scheme.
  explicit CorsPolicy(const std::vector<std::string>& origins);

  // The whole answer to a preflight (OPTIONS with Origin and Access-Control-Request-Method) from
  // a listed origin; nullopt for any other request, which is then routed as usual.
  std::optional<Response> preflight(const Request& request) const;
  // Adds the CORS headers an answer to a listed origin needs; Vary: Origin on every answer while
  // CORS is on, so that no cache hands one origin's answer to another.
  void decorate(const Request& request, Response& response) const;

 private:
  const std::string* listed(const Request& request) const;
  std::vector<std::string> origins_;  // lower-cased, without a trailing slash
};

}  // namespace carehub

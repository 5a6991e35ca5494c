#include "http/request_head.hpp"

#include <boost/beast/core/string.hpp>
#include <cctype>
#include <limits>
#include <random>
#include <string_view>

namespace carehub {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;

constexpr std::size_t kMaxRequestIdLength = 128;

bool sane_request_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':';
    if (!ok) return false;
  }
  return true;
}

// RFC 9112 3.2.2: a server must accept a request target in absolute form
// ("GET http://host/path HTTP/1.1"), as a proxy would send it. The authority replaces Host.
void to_origin_form(Request& req) {
  const auto scheme_end = req.target.find("://");
  if (scheme_end == std::string::npos || req.target.empty() || req.target.front() == '/') return;
  const std::string scheme = req.target.substr(0, scheme_end);
  if (!beast::iequals(scheme, "http") && !beast::iequals(scheme, "https")) return;
  const auto authority_start = scheme_end + 3;
  const auto path_start = req.target.find_first_of("/?", authority_start);
  const std::string authority = req.target.substr(
      authority_start,
      path_start == std::string::npos ? std::string::npos : path_start - authority_start);
  std::string rest = path_start == std::string::npos ? "/" : req.target.substr(path_start);
  if (rest.front() == '?') rest.insert(0, "/");
  req.target = std::move(rest);
  if (authority.empty()) return;
  bool replaced = false;
  for (auto& [name, value] : req.headers) {
    if (name == "host") {
      value = authority;
      replaced = true;
    }
  }
  if (!replaced) req.headers.emplace_back("host", authority);
}

}  // namespace

void limit_request_header(RequestParser& parser, const ServerConfig& cfg) {
  parser.header_limit(static_cast<std::uint32_t>(cfg.max_header_bytes));
  // The body limit depends on the route, known only once the header is in: lift Beast's default
  // (which it would check against Content-Length while parsing the header) until then.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
}

std::uint64_t request_body_limit(const Route& route, const ServerConfig& cfg) {
  return route.options.body_limit ? route.options.body_limit : cfg.max_body_bytes;
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(24, '0');
  auto a = rng(), b = rng();
  for (int i = 0; i < 16; ++i) id[i] = kHex[(a >> (i * 4)) & 15];
  for (int i = 16; i < 24; ++i) id[i] = kHex[(b >> ((i - 16) * 4)) & 15];
  return id;
}

Request to_request(const http::request<http::string_body>& msg, const std::string& client) {
  Request req;
  req.method =
      parse_method(std::string_view(msg.method_string().data(), msg.method_string().size()));
  req.target = std::string(msg.target());
  req.headers.reserve(8);
  for (const auto& field : msg) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    req.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  to_origin_form(req);
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  auto id = req.header("x-request-id");
  req.request_id = id && sane_request_id(*id) ? std::string(*id) : new_request_id();
  req.client_address = client;
  return req;
}

}  // namespace carehub

#include "http/edge.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <cctype>
#include <charconv>

#include "carehub/config.hpp"

namespace carehub {
namespace {

namespace ip = boost::asio::ip;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  auto a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return a;
}

ip::address_v6::bytes_type as_v6_bytes(const ip::address& a) {
  return a.is_v4() ? ip::make_address_v6(ip::v4_mapped, a.to_v4()).to_bytes()
                   : a.to_v6().to_bytes();
}

// One hop of X-Forwarded-For: an address, possibly with a port ("203.0.113.7:5123") or in
// brackets ("[2001:db8::1]:443"), as some proxies write it.
std::optional<ip::address> forwarded_hop(std::string_view hop) {
  hop = trim(hop);
  if (auto a = parse_address(hop)) return a;
  if (hop.starts_with('[')) {
    const auto close = hop.find(']');
    if (close != std::string_view::npos) return parse_address(hop.substr(1, close - 1));
    return std::nullopt;
  }
  if (const auto colon = hop.find(':');
      colon != std::string_view::npos && hop.find(':', colon + 1) == std::string_view::npos) {
    return parse_address(hop.substr(0, colon));
  }
  return std::nullopt;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

TrustedProxies::TrustedProxies(const std::vector<std::string>& entries) {
  for (const auto& entry : entries) {
    const auto slash = entry.find('/');
    const auto address = parse_address(std::string_view(entry).substr(0, slash));
    int prefix = -1;
    if (address) {
      const int bits = address->is_v4() ? 32 : 128;
      prefix = bits;
      if (slash != std::string::npos) {
        const char* first = entry.data() + slash + 1;
        const char* last = entry.data() + entry.size();
        const auto [end, ec] = std::from_chars(first, last, prefix);
        if (ec != std::errc() || end != last || first == last || prefix < 0 || prefix > bits)
          prefix = -1;
      }
      if (address->is_v4() && prefix >= 0) prefix += 96;
    }
    if (prefix < 0) {
      throw ConfigError("server.trusted_proxies: '" + entry +
                        "' is not an IP address or a CIDR such as 10.0.0.0/8 or fd00::/8");
    }
    Net net{as_v6_bytes(*address), prefix};
    for (int bit = prefix; bit < 128; ++bit)
      net.base[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    nets_.push_back(net);
  }
}

bool TrustedProxies::trusts(const ip::address& address) const {
  const auto bytes = as_v6_bytes(address);
  return std::any_of(nets_.begin(), nets_.end(), [&](const Net& net) {
    const int whole = net.prefix / 8;
    if (!std::equal(bytes.begin(), bytes.begin() + whole, net.base.begin())) return false;
    if (net.prefix % 8 == 0) return true;
    const auto mask = static_cast<unsigned char>(0xFFu << (8 - net.prefix % 8));
    return (bytes[whole] & mask) == net.base[whole];
  });
}

void TrustedProxies::apply(Request& request) const {
  if (nets_.empty()) return;
  const auto peer = parse_address(request.client_address);
  if (!peer || !trusts(*peer)) return;
  // Every X-Forwarded-For header, hop by hop, leftmost (the original client) first. Each proxy
  // appends the address it heard from, so the trustworthy part is read from the right: the
  // client is the first hop, from the right, that is not one of our proxies. A hop that is not
  // an address was written by whoever stood there: the last good address is the answer.
  std::vector<std::string_view> hops;
  for (const auto& [name, value] : request.headers) {
    if (name != "x-forwarded-for") continue;
    std::string_view rest = value;
    for (;;) {
      const auto comma = rest.find(',');
      hops.push_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    const auto hop = forwarded_hop(*it);
    if (!hop) break;
    request.client_address = hop->is_v6() && hop->to_v6().is_v4_mapped()
                                 ? ip::make_address_v4(ip::v4_mapped, hop->to_v6()).to_string()
                                 : hop->to_string();
    if (!trusts(*hop)) break;
  }
  if (const auto proto = request.header("x-forwarded-proto")) {
    // The scheme the first proxy saw: the leftmost, when proxies append.
    const auto first = trim(proto->substr(0, proto->find(',')));
    if (boost::beast::iequals(first, "https")) request.secure = true;
  }
}

CorsPolicy::CorsPolicy(const std::vector<std::string>& origins) {
  for (const auto& entry : origins) {
    std::string origin = lower(trim(entry));
    if (origin.ends_with('/')) origin.pop_back();
    const auto scheme_end = origin.find("://");
    const bool scheme_ok = origin.starts_with("https://") || origin.starts_with("http://");
    const bool has_path = scheme_ok && origin.find('/', scheme_end + 3) != std::string::npos;
    const bool host_ok = scheme_ok && origin.size() > scheme_end + 3 &&
                         origin.find_first_of(" \t*?#@") == std::string::npos;
    if (!scheme_ok || has_path || !host_ok) {
      throw ConfigError("server.cors_origins: '" + entry +
                        "' is not an origin; list each as scheme://host[:port], such as "
                        "https://viewer.example.org (\"*\" is not accepted: a listed origin may "
                        "send credentials)");
    }
    origins_.push_back(std::move(origin));
  }
}

const std::string* CorsPolicy::listed(const Request& request) const {
  if (origins_.empty()) return nullptr;
  const auto origin = request.header("origin");
  if (!origin) return nullptr;
  const std::string wanted = lower(*origin);
  const auto it = std::find(origins_.begin(), origins_.end(), wanted);
  return it == origins_.end() ? nullptr : &*it;
}

std::optional<Response> CorsPolicy::preflight(const Request& request) const {
  if (request.method != Method::kOptions || !request.header("access-control-request-method"))
    return std::nullopt;
  const auto* origin = listed(request);
  if (!origin) return std::nullopt;
  Response r;
  r.status = 204;
  r.with_header("Access-Control-Allow-Origin", *origin)
      .with_header("Access-Control-Allow-Credentials", "true")
      .with_header("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE")
      // The headers carehub's APIs read; a browser refuses a call that needs another.
      .with_header("Access-Control-Allow-Headers",
                   "Authorization, Content-Type, Accept, Accept-Language, If-Match, "
                   "If-None-Match, Range, X-Request-Id")
      .with_header("Access-Control-Max-Age", "600")
      .with_header("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  return r;
}

void CorsPolicy::decorate(const Request& request, Response& response) const {
  if (origins_.empty()) return;
  auto vary = std::find_if(response.headers.begin(), response.headers.end(),
                           [](const auto& h) { return boost::beast::iequals(h.first, "vary"); });
  if (vary == response.headers.end()) {
    response.with_header("Vary", "Origin");
  } else if (vary->second.find("Origin") == std::string::npos) {
    vary->second += ", Origin";
  }
  const auto* origin = listed(request);
  if (!origin) return;
  response.with_header("Access-Control-Allow-Origin", *origin)
      .with_header("Access-Control-Allow-Credentials", "true")
      .with_header("Access-Control-Expose-Headers",
                   "X-Request-Id, ETag, Location, Retry-After, Content-Disposition, "
                   "Content-Range, Content-Length");
}

}  // namespace carehub

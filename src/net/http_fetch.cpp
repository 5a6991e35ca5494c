#include "carehub/http_fetch.hpp"

#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cctype>
#include <exception>
#include <string>
#include <vector>

namespace carehub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr std::uint32_t kMaxHeaderBytes = 16 * 1024;
// tcp_stream's own timer ends a stalled socket operation at the deadline; this margin only lets
// that timer's handler run before the loop gives up.
constexpr std::chrono::milliseconds kHandlerMargin{500};

// Runs the call's private io_context until the one operation started last has completed.
struct Waiter {
  explicit Waiter(asio::io_context& context) : ioc(context) {}

  asio::io_context& ioc;
  bool done = false;
  beast::error_code ec;

  auto handler() {
    done = false;
    return [this](beast::error_code e, auto&&...) {
      ec = e;
      done = true;
    };
  }
  bool wait(SteadyClock::time_point until) {
    ioc.restart();
    while (!done && ioc.run_one_until(until) > 0) {
    }
    return done;
  }
};

FetchResult failed(std::string why) {
  FetchResult result;
  result.error = std::move(why);
  return result;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool is_ip_literal(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

std::string describe(const beast::error_code& ec, std::chrono::milliseconds timeout) {
  if (ec == beast::error::timeout)
    return "timed out after " + std::to_string(timeout.count()) + " ms";
  if (ec.category() == asio::error::get_ssl_category()) {
    return "TLS: " + ec.message();  // e.g. "certificate verify failed"
  }
  return ec.message();
}

struct Call {
  http::verb method = http::verb::get;
  const std::vector<std::pair<std::string, std::string>>* headers = nullptr;
  const std::string* body = nullptr;
  std::chrono::milliseconds timeout{};
  std::size_t max_body = 0;
};

template <class Stream>
FetchResult exchange(Stream& stream, Waiter& waiter, const ParsedUrl& url,
                     SteadyClock::time_point deadline, const Call& call) {
  const auto timeout = call.timeout;
  const auto max_body = call.max_body;
  http::request<http::string_body> request{call.method, url.target, 11};
  const bool default_port = url.port == (url.tls ? "443" : "80");
  const std::string host =
      url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  request.set(http::field::host, default_port ? host : host + ":" + url.port);
  request.set(http::field::user_agent, "carehub");
  request.set(http::field::accept, "application/json");
  request.set(http::field::connection, "close");
  if (call.headers) {
    for (const auto& [name, value] : *call.headers) request.set(name, value);
  }
  if (call.body) request.body() = *call.body;
  if (call.body || call.method == http::verb::post || call.method == http::verb::put)
    request.prepare_payload();

  http::async_write(stream, request, waiter.handler());
  if (!waiter.wait(deadline + kHandlerMargin)) return failed("timed out sending the request");
  if (waiter.ec) return failed("sending the request: " + describe(waiter.ec, timeout));

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(max_body);
  http::async_read(stream, buffer, parser, waiter.handler());
  if (!waiter.wait(deadline + kHandlerMargin)) return failed("timed out reading the response");
  if (waiter.ec == http::error::body_limit) {
    return failed("response body larger than " + std::to_string(max_body) + " bytes");
  }
  if (waiter.ec) return failed("reading the response: " + describe(waiter.ec, timeout));
  auto response = parser.release();
  FetchResult result;
  result.status = static_cast<int>(response.result_int());
  result.body = std::move(response.body());
  return result;
}

FetchResult fetch(const ParsedUrl& url, const Call& call) {
  const auto timeout = call.timeout;
  const auto deadline = SteadyClock::now() + timeout;
  asio::io_context ioc;
  Waiter waiter(ioc);

  std::vector<tcp::endpoint> endpoints;
  const auto port = static_cast<unsigned short>(std::stoul(url.port));
  if (is_ip_literal(url.host)) {
    endpoints.emplace_back(asio::ip::make_address(url.host), port);
  } else {
    // getaddrinfo cannot be interrupted: a hung lookup ends this call at the deadline, but the
    // io_context's resolver thread is joined when it is destroyed.
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type results;
    bool resolved = false;
    beast::error_code ec;
    resolver.async_resolve(url.host, url.port,
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             results = std::move(r);
                             resolved = true;
                           });
    while (!resolved && ioc.run_one_until(deadline) > 0) {
    }
    if (!resolved) {
      resolver.cancel();
      return failed("timed out resolving " + url.host);
    }
    if (ec) return failed("resolving " + url.host + ": " + ec.message());
    for (const auto& entry : results) {
      // Plain http was allowed for a loopback name: only loopback addresses may serve it.
      if (url.tls || entry.endpoint().address().is_loopback())
        endpoints.push_back(entry.endpoint());
    }
    if (endpoints.empty()) return failed(url.host + " does not resolve to a usable address");
  }

  const std::string where = url.host + ":" + url.port;
  if (!url.tls) {
    beast::tcp_stream stream(ioc);
    stream.expires_at(deadline);
    stream.async_connect(endpoints, waiter.handler());
    if (!waiter.wait(deadline + kHandlerMargin)) return failed("timed out connecting to " + where);
    if (waiter.ec) return failed("connecting to " + where + ": " + describe(waiter.ec, timeout));
    return exchange(stream, waiter, url, deadline, call);
  }

  ssl::context context(ssl::context::tls_client);
  if (SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION) != 1) {
    return failed("TLS: cannot require TLS 1.2");
  }
  context.set_default_verify_paths();
  context.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, context);
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  if (!is_ip_literal(url.host) &&
      !SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str())) {
    return failed("TLS: cannot set the server name " + url.host);
  }
  auto& socket = beast::get_lowest_layer(stream);
  socket.expires_at(deadline);
  socket.async_connect(endpoints, waiter.handler());
  if (!waiter.wait(deadline + kHandlerMargin)) return failed("timed out connecting to " + where);
  if (waiter.ec) return failed("connecting to " + where + ": " + describe(waiter.ec, timeout));
  stream.async_handshake(ssl::stream_base::client, waiter.handler());
  if (!waiter.wait(deadline + kHandlerMargin)) return failed("timed out in the TLS handshake");
  if (waiter.ec) return failed("TLS handshake with " + where + ": " + describe(waiter.ec, timeout));
  // No TLS shutdown: the whole response has been read, and Connection: close ends the exchange.
  return exchange(stream, waiter, url, deadline, call);
}

}  // namespace

std::optional<ParsedUrl> parse_url(std::string_view url) {
  ParsedUrl out;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return std::nullopt;
  const std::string scheme = lower(url.substr(0, scheme_end));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  out.tls = scheme == "https";
  std::string_view rest = url.substr(scheme_end + 3);
  if (const auto hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const auto path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  out.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (out.target.front() == '?') out.target.insert(0, "/");
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;

  std::optional<std::string_view> port;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, close - 1));
    const auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    const auto colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return std::nullopt;
  if (!port) {
    out.port = out.tls ? "443" : "80";
  } else {
    const bool digits = std::all_of(port->begin(), port->end(),
                                    [](unsigned char c) { return std::isdigit(c) != 0; });
    if (port->empty() || port->size() > 5 || !digits) return std::nullopt;
    const auto number = std::stoul(std::string(*port));
    if (number == 0 || number > 65535) return std::nullopt;
    out.port = std::to_string(number);
  }
  for (unsigned char c : out.host) {
    if (std::isspace(c) || std::iscntrl(c) || c == '/' || c == '\\') return std::nullopt;
  }
  for (unsigned char c : out.target) {
    if (std::isspace(c) || std::iscntrl(c)) return std::nullopt;
  }
  return out;
}

bool is_loopback_host(std::string_view host) {
  const std::string name = lower(host);
  if (name == "localhost") return true;
  beast::error_code ec;
  const auto address = asio::ip::make_address(name, ec);
  return !ec && address.is_loopback();
}

FetchResult http_get(const std::string& url, std::chrono::milliseconds timeout,
                     std::size_t max_body) {
  return http_call("GET", url, {}, {}, timeout, max_body);
}

FetchResult http_call(std::string_view method, const std::string& url,
                      const std::vector<std::pair<std::string, std::string>>& headers,
                      const std::string& body, std::chrono::milliseconds timeout,
                      std::size_t max_body) {
  Call call;
  call.method = http::string_to_verb(method);
  if (call.method == http::verb::unknown)
    return failed("unknown HTTP method " + std::string(method));
  call.headers = &headers;
  if (!body.empty()) call.body = &body;
  call.timeout = timeout;
  call.max_body = max_body;
  const auto parsed = parse_url(url);
  if (!parsed) return failed("not an http(s) URL: " + url);
  if (!parsed->tls && !is_loopback_host(parsed->host)) {
    return failed("plain http is allowed only to a loopback host; use https: " + url);
  }
  try {
    return fetch(*parsed, call);
  } catch (const std::exception& e) {
    // Asio reports resource failures (sockets, the TLS context) by throwing.
    return failed(std::string("fetching ") + url + ": " + e.what());
  }
}

}  // namespace carehub

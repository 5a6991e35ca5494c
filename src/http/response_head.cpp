#include "http/response_head.hpp"

#include <fmt/format.h>

#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>
#include <ctime>

namespace carehub {
namespace {

bool safe_header_text(std::string_view s) {
  return s.find_first_of("\r\n") == std::string_view::npos;
}

// RFC 9110 Date, rebuilt at most once a second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_at = 0;
  thread_local char buf[64];
  std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    cached_at = now;
  }
  return buf;
}

}  // namespace

bool response_has_body(const Response& response, const Request& request) {
  return request.method != Method::kHead && response.status >= 200 && response.status != 204 &&
         response.status != 304;
}

bool response_is_chunked(const Response& response, unsigned version) {
  return response.stream && !response.stream->size() && version >= 11;
}

bool response_needs_close(const Response& response, unsigned version) {
  return response.stream && !response.stream->size() && version < 11;
}

void format_response_head(std::string& out, const Response& response, const Request& request,
                          unsigned version, bool keep_alive) {
  auto reason =
      boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(response.status));
  auto it = std::back_inserter(out);
  fmt::format_to(it, "HTTP/{}.{} {} {}\r\nServer: carehub\r\nDate: {}\r\n", version / 10,
                 version % 10, response.status, std::string_view(reason.data(), reason.size()),
                 http_date());
  if (!response.content_type.empty() && safe_header_text(response.content_type)) {
    fmt::format_to(it, "Content-Type: {}\r\n", response.content_type);
  }
  fmt::format_to(it, "X-Request-Id: {}\r\n", request.request_id);
  bool cache_control = false, csp = false, referrer = false, frame = false;
  for (const auto& [name, value] : response.headers) {
    if (!safe_header_text(name) || !safe_header_text(value) || name.find(':') != std::string::npos)
      continue;
    fmt::format_to(it, "{}: {}\r\n", name, value);
    cache_control = cache_control || boost::beast::iequals(name, "cache-control");
    csp = csp || boost::beast::iequals(name, "content-security-policy");
    referrer = referrer || boost::beast::iequals(name, "referrer-policy");
    frame = frame || boost::beast::iequals(name, "x-frame-options");
  }
  // Answers carry patient data unless a route says they may be kept (the console's files, the
  // public keys): no browser, proxy or shared cache may store them.
  if (!cache_control) out.append("Cache-Control: no-store\r\n");
  // The console's protections on every answer, unless a route sets its own: an API answer or a
  // download opened in a browser runs no script, loads nothing, cannot be framed by another
  // site, and sends no Referer from its links.
  out.append("X-Content-Type-Options: nosniff\r\n");
  if (!csp) out.append("Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n");
  if (!frame) out.append("X-Frame-Options: DENY\r\n");
  if (!referrer) out.append("Referrer-Policy: no-referrer\r\n");
  const bool no_length = response.status < 200 || response.status == 204 ||
                         response.status == 304 || response.live != nullptr;
  if (!no_length) {
    if (!response.stream) {
      fmt::format_to(it, "Content-Length: {}\r\n", response.body.size());
    } else if (auto size = response.stream->size()) {
      fmt::format_to(it, "Content-Length: {}\r\n", *size);
    } else if (response_is_chunked(response, version)) {
      out.append("Transfer-Encoding: chunked\r\n");
    }  // else HTTP/1.0: the body ends when the connection closes
  }
  if (!keep_alive) {
    out.append("Connection: close\r\n");
  } else if (version == 10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
}

}  // namespace carehub

#include "http/redirect.hpp"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <cctype>
#include <chrono>

#include "http/request_body.hpp"

namespace carehub {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

bool host_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

}  // namespace

std::optional<std::string> https_location(std::string_view host_header, std::string_view target,
                                          int https_port) {
  // The host without its port, which changes: "clinic.example:80" -> "clinic.example",
  // "[2001:db8::1]:80" -> "[2001:db8::1]".
  std::string_view host = host_header;
  if (host.starts_with('[')) {
    const auto close = host.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const auto inner = host.substr(1, close - 1);
    if (inner.empty() || inner.find_first_not_of("0123456789abcdefABCDEF:.") != inner.npos)
      return std::nullopt;
    host = host.substr(0, close + 1);
  } else {
    host = host.substr(0, host.find(':'));
    if (host.empty() || !std::all_of(host.begin(), host.end(), host_name_char)) return std::nullopt;
  }
  // The path and query as sent; an absolute-form target ("http://host/path") keeps its path.
  if (!target.starts_with('/')) {
    const auto scheme = target.find("://");
    const auto path = scheme == std::string_view::npos ? scheme : target.find('/', scheme + 3);
    target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
  }
  std::string url = "https://" + std::string(host);
  if (https_port != 443) url += ":" + std::to_string(https_port);
  url += target;
  return url;
}

asio::awaitable<void> serve_redirect(asio::ip::tcp::socket socket, const ServerConfig& config,
                                     int https_port) {
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer(4096);
  http::request_parser<http::empty_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(config.max_header_bytes));
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());  // never read: only the head is
  boost::system::error_code ec;
  stream.expires_after(std::chrono::milliseconds(config.header_timeout_ms));
  co_await http::async_read_header(stream, buffer, parser,
                                   asio::redirect_error(asio::use_awaitable, ec));
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::connection_reset || ec == asio::error::eof)
    co_return;
  std::string answer;
  if (ec) {
    answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  } else {
    const auto& head = parser.get();
    const auto host_field = head[http::field::host];
    const auto location =
        https_location(std::string_view(host_field.data(), host_field.size()),
                       std::string_view(head.target().data(), head.target().size()), https_port);
    answer = location
                 ? "HTTP/1.1 301 Moved Permanently\r\nLocation: " + *location +
                       "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                 : "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  }
  stream.expires_after(std::chrono::milliseconds(config.write_timeout_ms));
  co_await asio::async_write(stream, asio::buffer(answer),
                             asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return;
  co_await linger_close(stream);
}

}  // namespace carehub

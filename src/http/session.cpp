#include "http/session.hpp"

#include <array>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdio>

#include "carehub/error.hpp"
#include "carehub/log.hpp"
#include "http/live.hpp"
#include "http/request_head.hpp"
#include "http/response_head.hpp"

namespace carehub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

// Runs fn on the worker pool and resumes the session on its own I/O thread. Two posts and nothing
// else: co_spawn would also build a second coroutine frame and its machinery for every request,
// which showed up in profiles of short reads. fn must not throw.
template <typename R, typename F>
asio::awaitable<R> on_workers(asio::thread_pool& workers, F& fn) {
  co_return co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(R)>(
      [&workers, &fn](auto handler) {
        auto io = asio::get_associated_executor(handler);
        asio::post(workers, [handler = std::move(handler), io, &fn]() mutable {
          R result = fn();
          asio::post(io, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      asio::use_awaitable);
}

// Sends a streamed body: reads on the worker pool (the source may block on files or SQL), writes
// here, one buffer at a time. False when the body could not be sent whole: the caller must close
// the connection, the only way left to tell the client.
asio::awaitable<bool> write_streamed_body(beast::tcp_stream& stream, asio::thread_pool& workers,
                                          BodySource& source, bool chunked, const Request& req,
                                          int write_timeout_ms, std::size_t& bytes_out,
                                          boost::system::error_code& ec) {
  constexpr std::size_t kBufferBytes = 256 * 1024;
  std::vector<char> buffer(kBufferBytes);
  const auto announced = source.size();
  std::uint64_t sent = 0;
  struct Read {
    std::size_t bytes = 0;
    bool failed = false;
  };
  auto read = [&]() noexcept {
    try {
      return Read{source.read(buffer.data(), buffer.size()), false};
    } catch (const std::exception& e) {
      log_error(
          "response_stream_failed",
          {{"request_id", req.request_id}, {"route", req.route_pattern}, {"detail", e.what()}});
      return Read{0, true};
    }
  };
  for (;;) {
    const Read got = co_await on_workers<Read>(workers, read);
    if (got.failed) co_return false;
    if (got.bytes == 0) break;
    std::array<char, 24> size_line{};
    std::size_t size_length = 0;
    if (chunked) {
      size_length = static_cast<std::size_t>(
          std::snprintf(size_line.data(), size_line.size(), "%zx\r\n", got.bytes));
    }
    const std::array<asio::const_buffer, 3> out{
        asio::buffer(size_line.data(), size_length), asio::buffer(buffer.data(), got.bytes),
        chunked ? asio::buffer("\r\n", 2) : asio::const_buffer()};
    stream.expires_after(milliseconds(write_timeout_ms));
    bytes_out +=
        co_await asio::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    sent += got.bytes;
  }
  if (chunked) {
    stream.expires_after(milliseconds(write_timeout_ms));
    bytes_out += co_await asio::async_write(stream, asio::buffer("0\r\n\r\n", 5),
                                            asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
  }
  if (announced && sent != *announced) {
    log_error("response_stream_failed", {{"request_id", req.request_id},
                                         {"route", req.route_pattern},
                                         {"detail", "the body ended before its announced length"}});
    co_return false;
  }
  co_return true;
}

constexpr std::size_t kLingerBytes = 1 << 20;

std::string remote_address(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  auto ep = stream.socket().remote_endpoint(ec);
  return ec ? std::string("unknown") : ep.address().to_string();
}

// Reads and discards what the client is still sending (up to a bound) so that closing the socket
// does not reset the connection before the client has read our error answer.
asio::awaitable<void> linger_close(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  stream.expires_after(std::chrono::seconds(1));
  std::array<char, 8192> sink;
  std::size_t total = 0;
  while (!ec && total < kLingerBytes) {
    total += co_await stream.async_read_some(asio::buffer(sink),
                                             asio::redirect_error(asio::use_awaitable, ec));
  }
  stream.socket().close(ec);
}

// Reads the rest of the body into a file under cfg.upload_dir, 64 KiB at a time. The deadline is
// per read (body_timeout_ms without progress), not for the whole body: a 2 GB upload takes
// minutes. The parser's header stays readable (keep-alive, version) through `parser`'s fields,
// which the converted parser moved from; they are copied back at the end. Returns nullptr on a
// read error (ec) or when the body is over limit (problem) or the file cannot be written.
asio::awaitable<std::shared_ptr<SpooledBody>> spool_body(
    beast::tcp_stream& stream, beast::flat_buffer& buffer,
    http::request_parser<http::string_body>& parser, std::uint64_t limit, bool scratch,
    const ServerConfig& cfg, boost::system::error_code& ec, std::string& problem) {
  std::shared_ptr<SpooledBody> file;
  try {
    file = SpooledBody::create(cfg.upload_dir, scratch);
  } catch (const std::exception& e) {
    log_error("upload_spool_failed", {{"detail", e.what()}});
    co_return nullptr;
  }
  http::request_parser<http::buffer_body> raw(std::move(parser));
  raw.body_limit(limit);
  std::vector<char> chunk(64 * 1024);
  // Each read fills what the buffer has room for: at its first-request size (4 KiB) a 500 KB
  // upload took 130 reads, timer resets and file writes (measured with strace); at 64 KiB, 8.
  buffer.reserve(std::min<std::size_t>(chunk.size(), buffer.max_size()));
  bool write_failed = false;
  while (!raw.is_done()) {
    raw.get().body().data = chunk.data();
    raw.get().body().size = chunk.size();
    stream.expires_after(milliseconds(cfg.body_timeout_ms));
    co_await http::async_read_some(stream, buffer, raw,
                                   asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      ec = {};
      problem = "request body exceeds this route's limit of " + std::to_string(limit) + " bytes";
      co_return nullptr;
    }
    if (ec) co_return nullptr;
    const std::size_t got = chunk.size() - raw.get().body().size;
    if (got > 0 && !write_failed) {
      try {
        file->append(chunk.data(), got);  // page cache: microseconds, fine on this thread
      } catch (const std::exception& e) {
        log_error("upload_spool_failed", {{"detail", e.what()}});
        write_failed = true;  // keep reading so the answer can be written in order
      }
    }
  }
  // Give the header back to the caller's parser for keep-alive and version.
  parser.get().base() = raw.get().base();
  if (write_failed) co_return nullptr;
  file->finish();
  co_return file;
}

}  // namespace

asio::awaitable<void> run_session(SessionHost& host, std::shared_ptr<Connection> conn) {
  const auto& cfg = host.config();
  auto& stream = conn->stream;
  const std::string client = remote_address(stream);
  beast::flat_buffer buffer(cfg.max_header_bytes + 65536);
  boost::system::error_code ec;
  bool linger = false;
  std::string head;  // the response head, reused across the connection's requests

  for (int served = 0; !host.shutting_down(); ++served) {
    // Wait for the first byte (idle keep-alive time), then the whole header must follow quickly.
    if (buffer.size() == 0) {
      conn->idle = true;
      stream.expires_after(milliseconds(served == 0 ? cfg.header_timeout_ms : cfg.idle_timeout_ms));
      std::size_t n = co_await stream.async_read_some(
          buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
      conn->idle = false;
      if (ec) break;
      buffer.commit(n);
    }
    conn->idle = false;
    RequestParser parser;
    limit_request_header(parser, cfg);
    stream.expires_after(milliseconds(cfg.header_timeout_ms));
    co_await http::async_read_header(stream, buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, ec));

    Request req;
    std::optional<Response> resp;
    bool close_after = false;
    if (ec == http::error::header_limit) {
      req.request_id = new_request_id();
      resp = error_response(ErrorCode::kHeadersTooLarge,
                            "request headers exceed the server's limit", req);
      close_after = true;
    } else if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
               ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
               ec == asio::error::eof) {
      break;
    } else if (ec) {
      req.request_id = new_request_id();
      resp = error_response(ErrorCode::kBadRequest, "malformed HTTP request: " + ec.message(), req);
      close_after = true;
    }
    const auto started = SteadyClock::now();
    host.metrics().request_started();
    const Route* route = nullptr;
    if (!resp) {
      req = to_request(parser.get(), client);
      Response early;
      route = host.pipeline().route(req, early);
      if (!route) resp = std::move(early);
      const std::size_t limit = request_body_limit(route, cfg);
      auto length = parser.content_length();
      if (length && *length > limit) {
        resp = error_response(ErrorCode::kPayloadTooLarge,
                              "request body of " + std::to_string(*length) +
                                  " bytes exceeds this route's limit of " + std::to_string(limit) +
                                  " bytes",
                              req);
        close_after = true;
      } else {
        parser.body_limit(limit);
        if (!parser.is_done()) {
          if (auto expect = req.header("expect");
              expect && beast::iequals(*expect, "100-continue")) {
            static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
            stream.expires_after(milliseconds(cfg.write_timeout_ms));
            co_await asio::async_write(stream, asio::buffer(kContinue),
                                       asio::redirect_error(asio::use_awaitable, ec));
          }
        }
        if (route && route->options.spool_body && !ec) {
          std::string problem;
          req.spooled = co_await spool_body(stream, buffer, parser, limit,
                                            route->options.spool_scratch, cfg, ec, problem);
          if (!problem.empty()) {
            resp = error_response(ErrorCode::kPayloadTooLarge, problem, req);
            close_after = true;
          } else if (!req.spooled) {
            if (!ec) {  // the upload directory failed us: the client is not to blame
              resp = error_response(ErrorCode::kUnavailable,
                                    "the upload could not be stored; retry later", req);
              close_after = true;
            } else {
              host.metrics().request_finished(req.route_pattern, "?", 408, 0);
              break;
            }
          }
        } else if (!parser.is_done()) {
          stream.expires_after(milliseconds(cfg.body_timeout_ms));
          if (!ec)
            co_await http::async_read(stream, buffer, parser,
                                      asio::redirect_error(asio::use_awaitable, ec));
          if (ec == http::error::body_limit) {
            resp = error_response(
                ErrorCode::kPayloadTooLarge,
                "request body exceeds this route's limit of " + std::to_string(limit) + " bytes",
                req);
            close_after = true;
          } else if (ec) {
            host.metrics().request_finished(req.route_pattern, "?", 408, 0);
            break;  // the client went away or was too slow: nobody to answer
          }
        }
        if (!req.spooled) req.body = std::move(parser.get().body());
      }
    }
    if (!resp && route) {
      if (route->options.inline_handler) {
        resp = host.pipeline().handle(*route, req);
      } else {
        auto handle = [&host, route, &req]() { return host.pipeline().handle(*route, req); };
        resp = co_await on_workers<Response>(host.workers(), handle);
      }
    }
    if (resp->live && route) {  // the connection becomes a WebSocket or an event stream
      // The request buffer (4 KiB and more) is not read again: a live connection may last hours,
      // and 10,000 of them should not each keep one.
      buffer.clear();
      buffer.shrink_to_fit();
      const auto started_live = SteadyClock::now();
      co_await run_live(host, *conn, parser.get(), req, resp->live);
      const double live_seconds =
          std::chrono::duration<double>(SteadyClock::now() - started_live).count();
      host.metrics().request_finished(req.route_pattern, method_name(req.method).data(), 101,
                                      live_seconds);
      log_access({req.request_id, method_name(req.method), req.route_pattern, 101,
                  live_seconds * 1000.0, req.body.size(), 0});
      break;
    }
    const unsigned version = parser.get().version() == 10 ? 10 : 11;
    const bool keep_alive = !close_after && parser.get().keep_alive() &&
                            served + 1 < cfg.max_requests_per_connection && !host.shutting_down() &&
                            !response_needs_close(*resp, version);
    const std::size_t bytes_in = req.body.size();
    head.clear();
    format_response_head(head, *resp, req, version, keep_alive);
    const bool has_body = response_has_body(*resp, req);
    const std::array<asio::const_buffer, 2> out{asio::buffer(head), has_body && !resp->stream
                                                                        ? asio::buffer(resp->body)
                                                                        : asio::const_buffer()};
    const int status = resp->status;
    stream.expires_after(milliseconds(cfg.write_timeout_ms));
    std::size_t bytes_out =
        co_await asio::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec && has_body && resp->stream) {
      const bool whole = co_await write_streamed_body(stream, host.workers(), *resp->stream,
                                                      response_is_chunked(*resp, version), req,
                                                      cfg.write_timeout_ms, bytes_out, ec);
      if (!whole && !ec) ec = asio::error::connection_aborted;  // closes below
    }
    resp->stream.reset();  // close its files now, not when the next request replaces it
    const double seconds = std::chrono::duration<double>(SteadyClock::now() - started).count();
    const std::string_view method = method_name(req.method);
    host.metrics().request_finished(req.route_pattern.empty() ? "(invalid)" : req.route_pattern,
                                    method.data(), status, seconds);
    log_access(
        {req.request_id, method, req.route_pattern, status, seconds * 1000.0, bytes_in, bytes_out});
    if (ec) break;
    if (!keep_alive) {
      linger = close_after;
      if (!linger) stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
      break;
    }
  }
  if (linger) co_await linger_close(stream);
}

}  // namespace carehub

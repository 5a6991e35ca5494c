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
#include "carehub/tls.hpp"
#include "http/live.hpp"
#include "http/request_body.hpp"
#include "http/request_head.hpp"
#include "http/response_head.hpp"
#include "http/streams.hpp"

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
template <typename Stream>
asio::awaitable<bool> write_streamed_body(Stream& stream, asio::thread_pool& workers,
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
    tcp_layer(stream).expires_after(milliseconds(write_timeout_ms));
    bytes_out +=
        co_await asio::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return false;
    sent += got.bytes;
  }
  if (chunked) {
    tcp_layer(stream).expires_after(milliseconds(write_timeout_ms));
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

std::string remote_address(beast::tcp_stream& stream) {
  boost::system::error_code ec;
  auto ep = stream.socket().remote_endpoint(ec);
  return ec ? std::string("unknown") : ep.address().to_string();
}

ErrorCode body_error_code(BodyOutcome::Kind kind) {
  switch (kind) {
    case BodyOutcome::Kind::kTooLarge: return ErrorCode::kPayloadTooLarge;
    case BodyOutcome::Kind::kMalformed: return ErrorCode::kBadRequest;
    case BodyOutcome::Kind::kTooSlow: return ErrorCode::kRequestTimeout;
    case BodyOutcome::Kind::kStoreFailed: return ErrorCode::kUnavailable;
    case BodyOutcome::Kind::kComplete:
    case BodyOutcome::Kind::kGone: break;
  }
  return ErrorCode::kInternal;
}

// Everything decided from the request's head, before a byte of its body is read: the route, the
// size it announces, who is calling and whether they may (the worker pool answers that, as it may
// take SQL), and whether they may start one more upload. Returns the answer that ends the request
// early; then the body is not read (close_after is set when one is on its way).
asio::awaitable<std::optional<Response>> admit(SessionHost& host, Connection& conn,
                                               RequestParser& parser, std::size_t buffered,
                                               Request& req, const Route*& route,
                                               std::shared_ptr<void>& upload_slot,
                                               bool& close_after) {
  const auto& cfg = host.config();
  const bool body_pending = !parser.is_done();
  Response early;
  route = host.pipeline().route(req, early);
  if (!route) {
    close_after = body_pending;
    co_return early;
  }
  if (auto limited = host.pipeline().limit_address(*route, req)) {
    close_after = body_pending;
    co_return limited;
  }
  const std::uint64_t limit = request_body_limit(*route, cfg);
  if (const auto announced = parser.content_length(); announced && *announced > limit) {
    close_after = true;
    co_return error_response(ErrorCode::kPayloadTooLarge,
                             "request body of " + std::to_string(*announced) +
                                 " bytes exceeds this route's limit of " + std::to_string(limit) +
                                 " bytes",
                             req);
  }
  parser.body_limit(limit);
  // A small body that already arrived whole with its head costs nothing more to parse: the
  // caller is then checked with the handler, in the same trip to the worker pool.
  const auto length = parser.content_length();
  const bool arrived = length && *length <= buffered && !route->options.spool_body;
  if (body_pending && !arrived && !route->access.is_public()) {
    auto authorize = [&host, route, &req]() { return host.pipeline().authorize(*route, req); };
    auto refusal = co_await on_workers<std::optional<Response>>(host.workers(), authorize);
    if (refusal) {
      close_after = true;
      co_return refusal;
    }
    if (req.principal) host.authenticated(conn);
  }
  if (route->options.spool_body) {
    const std::string caller =
        req.principal ? req.principal->subject : "address:" + req.client_address;
    upload_slot = host.upload_slot(caller);
    if (!upload_slot) {
      close_after = body_pending;
      co_return error_response(ErrorCode::kTooManyRequests,
                               "too many uploads at once from this caller (at most " +
                                   std::to_string(cfg.max_uploads_per_principal) +
                                   "); retry when one has finished",
                               req)
          .with_header("Retry-After", "5");
    }
  }
  co_return std::nullopt;
}

// Up to this many body bytes share the head's buffer over TLS (one TLS record holds 16 KiB).
constexpr std::size_t kCoalesceBytes = 16 * 1024 - 1024;

// Ends the connection's sending side once the last answer is out: over TLS a close_notify first
// (so the client can tell the end from a cut), bounded by a short deadline, as a client need not
// answer it.
asio::awaitable<void> end_writing(PlainStream& stream) {
  boost::system::error_code ec;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
  co_return;
}

asio::awaitable<void> end_writing(TlsStream& stream) {
  boost::system::error_code ec;
  tcp_layer(stream).expires_after(std::chrono::seconds(1));
  co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  tcp_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
}

// The connection's requests, one after another, over stream: PlainStream or TlsStream (whose
// TCP layer is conn->stream). True when the connection should end with a lingering close (an
// error answer was sent while the client may still be sending).
template <typename Stream>
asio::awaitable<bool> serve(SessionHost& host, std::shared_ptr<Connection> conn, Stream& stream,
                            std::shared_ptr<const ClientCertificate> certificate = nullptr) {
  constexpr bool kSecure = std::is_same_v<Stream, TlsStream>;
  const auto& cfg = host.config();
  const std::string client = remote_address(conn->stream);
  beast::flat_buffer buffer(cfg.max_header_bytes + 65536);
  boost::system::error_code ec;
  bool linger = false;
  std::string head;  // the response head, reused across the connection's requests

  for (int served = 0; !host.shutting_down(); ++served) {
    conn->evictable = true;
    // Wait for the first byte (idle keep-alive time), then the whole header must follow quickly.
    if (buffer.size() == 0) {
      conn->idle = true;
      conn->stream.expires_after(
          milliseconds(served == 0 ? cfg.header_timeout_ms : cfg.idle_timeout_ms));
      std::size_t n = co_await stream.async_read_some(
          buffer.prepare(4096), asio::redirect_error(asio::use_awaitable, ec));
      conn->idle = false;
      if (ec) break;
      buffer.commit(n);
    }
    conn->idle = false;
    RequestParser parser;
    limit_request_header(parser, cfg);
    conn->stream.expires_after(milliseconds(cfg.header_timeout_ms));
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
    std::shared_ptr<void> upload_slot;  // held until the answer is written
    bool preflight = false;             // a CORS preflight, answered whole by the policy
    if (!resp) {
      req = to_request(parser.get(), client);
      req.secure = kSecure;
      req.client_certificate = certificate;
      host.proxies().apply(req);
      resp = host.cors().preflight(req);
      preflight = resp.has_value();
      if (preflight) {
        req.route_pattern = "(cors preflight)";
        close_after = !parser.is_done();
      } else {
        resp = co_await admit(host, *conn, parser, buffer.size(), req, route, upload_slot,
                              close_after);
      }
    }
    if (!resp) {
      std::optional<BodyOutcome> body;
      if (!parser.is_done()) {
        if (auto expect = req.header("expect"); expect && beast::iequals(*expect, "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          conn->stream.expires_after(milliseconds(cfg.write_timeout_ms));
          co_await asio::async_write(stream, asio::buffer(kContinue),
                                     asio::redirect_error(asio::use_awaitable, ec));
          if (ec) body = BodyOutcome{BodyOutcome::Kind::kGone, {}};
        }
      }
      const std::uint64_t limit = request_body_limit(*route, cfg);
      if (!body && route->options.spool_body) {
        body = co_await spool_body(stream, buffer, parser, limit, route->options.spool_scratch, cfg,
                                   &req.spooled);
      } else if (!body) {
        body = co_await read_body(stream, buffer, parser, limit, cfg);
        req.body = std::move(parser.get().body());
      }
      if (body->kind == BodyOutcome::Kind::kGone) {
        host.metrics().request_finished(req.route_pattern, "?", 408, 0);
        break;  // the client went away or stopped sending: nobody to answer
      }
      if (body->kind != BodyOutcome::Kind::kComplete) {
        resp = error_response(body_error_code(body->kind), body->problem, req);
        close_after = true;
      }
    }
    if (!resp) {
      conn->evictable = false;
      const bool authorized = req.principal.has_value() || route->access.is_public();
      if (route->options.inline_handler && authorized) {
        resp = host.pipeline().run(*route, req);
      } else {
        auto handle = [&host, route, &req, authorized]() {
          return authorized ? host.pipeline().run(*route, req)
                            : host.pipeline().handle(*route, req);
        };
        resp = co_await on_workers<Response>(host.workers(), handle);
      }
      if (req.principal) host.authenticated(*conn);
    }
    if (resp->live && route) {  // the connection becomes a WebSocket or an event stream
      // The request buffer (4 KiB and more) is not read again: a live connection may last hours,
      // and 10,000 of them should not each keep one.
      buffer.clear();
      buffer.shrink_to_fit();
      const auto started_live = SteadyClock::now();
      co_await run_live(host, *conn, stream, parser.get(), req, resp->live);
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
    if constexpr (kSecure) {
      if (!cfg.tls.hsts.empty()) resp->with_header("Strict-Transport-Security", cfg.tls.hsts);
    }
    if (!preflight) host.cors().decorate(req, *resp);
    head.clear();
    format_response_head(head, *resp, req, version, keep_alive);
    const bool has_body = response_has_body(*resp, req);
    std::string_view body = has_body && !resp->stream ? resp->body : std::string_view();
    if constexpr (kSecure) {
      // asio's TLS stream writes one buffer per record and system call: a small body goes in
      // the head's buffer, so that a short answer is one record, as over plain TCP it is one
      // packet.
      if (body.size() <= kCoalesceBytes) {
        head.append(body);
        body = {};
      }
    }
    const std::array<asio::const_buffer, 2> out{asio::buffer(head), asio::buffer(body)};
    const int status = resp->status;
    conn->stream.expires_after(milliseconds(cfg.write_timeout_ms));
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
      if (!linger) co_await end_writing(stream);
      break;
    }
  }
  co_return linger;
}

}  // namespace

asio::awaitable<void> run_session(SessionHost& host, std::shared_ptr<Connection> conn) {
  bool linger = false;
  if (auto context = host.tls_context()) {
    TlsStream tls(conn->stream, context->native_handle());  // the context outlives it
    conn->stream.expires_after(milliseconds(host.config().header_timeout_ms));
    boost::system::error_code ec;
    co_await tls.async_handshake(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      host.metrics().tls_handshake_failed();
      co_return;  // a scanner, a plain-HTTP client, an old protocol: nothing to answer
    }
    // Mutual TLS: what the client's certificate says, read once for all its requests.
    linger = co_await serve(host, conn, tls, verified_client_certificate(tls.native_handle()));
  } else {
    linger = co_await serve(host, conn, conn->stream);
  }
  if (linger) co_await linger_close(conn->stream);
}

}  // namespace carehub

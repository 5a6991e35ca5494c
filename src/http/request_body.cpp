#include "http/request_body.hpp"

#include <array>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <chrono>
#include <vector>

#include "carehub/log.hpp"

namespace carehub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using std::chrono::milliseconds;

BodyPace::BodyPace(std::uint64_t min_bytes_per_s, std::chrono::milliseconds window,
                   Clock::time_point start)
    : min_bytes_per_s_(min_bytes_per_s), window_(window), window_start_(start) {}

bool BodyPace::on_bytes(std::size_t n, Clock::time_point now) {
  window_bytes_ += n;
  const auto elapsed = std::chrono::duration_cast<milliseconds>(now - window_start_);
  if (elapsed < window_) return true;
  // The whole elapsed time counts: a read that took longer than the window is judged over its
  // own length, not forgiven.
  const bool fast_enough =
      min_bytes_per_s_ == 0 ||
      window_bytes_ * 1000 >= min_bytes_per_s_ * static_cast<std::uint64_t>(elapsed.count());
  window_start_ = now;
  window_bytes_ = 0;
  return fast_enough;
}

namespace {

// What a failed read means for the answer.
BodyOutcome outcome_of(const boost::system::error_code& ec, std::uint64_t limit) {
  if (ec == http::error::body_limit) {
    return {BodyOutcome::Kind::kTooLarge,
            "request body exceeds this route's limit of " + std::to_string(limit) + " bytes"};
  }
  // The parser's own errors are the client's framing (a bad chunk size, a chunk extension too
  // long, a body cut short by a new request...); the rest is the connection failing or timing out.
  if (ec.category() == http::make_error_code(http::error::bad_chunk).category() &&
      ec != http::error::end_of_stream && ec != http::error::partial_message) {
    return {BodyOutcome::Kind::kMalformed, "malformed request body: " + ec.message()};
  }
  return {BodyOutcome::Kind::kGone, {}};
}

BodyOutcome too_slow(const ServerConfig& cfg) {
  return {BodyOutcome::Kind::kTooSlow, "the request body arrived slower than " +
                                           std::to_string(cfg.min_body_bytes_per_s) + " bytes/s"};
}

}  // namespace

template <typename Stream>
asio::awaitable<BodyOutcome> read_body(Stream& stream, beast::flat_buffer& buffer,
                                       RequestParser& parser, std::uint64_t limit,
                                       const ServerConfig& cfg) {
  BodyPace pace(cfg.min_body_bytes_per_s, milliseconds(cfg.min_body_rate_window_ms));
  boost::system::error_code ec;
  while (!parser.is_done()) {
    tcp_layer(stream).expires_after(milliseconds(cfg.body_timeout_ms));
    const std::size_t n = co_await http::async_read_some(
        stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return outcome_of(ec, limit);
    if (!pace.on_bytes(n)) co_return too_slow(cfg);
  }
  co_return BodyOutcome{};
}

template <typename Stream>
asio::awaitable<BodyOutcome> spool_body(Stream& stream, beast::flat_buffer& buffer,
                                        RequestParser& parser, std::uint64_t limit, bool scratch,
                                        const ServerConfig& cfg,
                                        std::shared_ptr<SpooledBody>* out) {
  std::shared_ptr<SpooledBody> file;
  try {
    file = SpooledBody::create(cfg.upload_dir, scratch);
  } catch (const std::exception& e) {
    log_error("upload_spool_failed", {{"detail", e.what()}});
    co_return BodyOutcome{BodyOutcome::Kind::kStoreFailed,
                          "the upload could not be stored; retry later"};
  }
  http::request_parser<http::buffer_body> raw(std::move(parser));
  raw.body_limit(limit);
  std::vector<char> chunk(64 * 1024);
  // Each read fills what the buffer has room for: at its first-request size (4 KiB) a 500 KB
  // upload took 130 reads, timer resets and file writes (measured with strace); at 64 KiB, 8.
  buffer.reserve(std::min<std::size_t>(chunk.size(), buffer.max_size()));
  BodyPace pace(cfg.min_body_bytes_per_s, milliseconds(cfg.min_body_rate_window_ms));
  bool write_failed = false;
  boost::system::error_code ec;
  BodyOutcome outcome;
  while (!raw.is_done()) {
    raw.get().body().data = chunk.data();
    raw.get().body().size = chunk.size();
    tcp_layer(stream).expires_after(milliseconds(cfg.body_timeout_ms));
    const std::size_t n = co_await http::async_read_some(
        stream, buffer, raw, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      outcome = outcome_of(ec, limit);
      break;
    }
    if (!pace.on_bytes(n)) {
      outcome = too_slow(cfg);
      break;
    }
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
  if (outcome.kind != BodyOutcome::Kind::kComplete) co_return outcome;
  if (write_failed) {
    co_return BodyOutcome{BodyOutcome::Kind::kStoreFailed,
                          "the upload could not be stored; retry later"};
  }
  file->finish();
  *out = std::move(file);
  co_return outcome;
}

template asio::awaitable<BodyOutcome> read_body(PlainStream&, beast::flat_buffer&, RequestParser&,
                                                std::uint64_t, const ServerConfig&);
template asio::awaitable<BodyOutcome> read_body(TlsStream&, beast::flat_buffer&, RequestParser&,
                                                std::uint64_t, const ServerConfig&);
template asio::awaitable<BodyOutcome> spool_body(PlainStream&, beast::flat_buffer&, RequestParser&,
                                                 std::uint64_t, bool, const ServerConfig&,
                                                 std::shared_ptr<SpooledBody>*);
template asio::awaitable<BodyOutcome> spool_body(TlsStream&, beast::flat_buffer&, RequestParser&,
                                                 std::uint64_t, bool, const ServerConfig&,
                                                 std::shared_ptr<SpooledBody>*);

asio::awaitable<void> linger_close(beast::tcp_stream& stream) {
  constexpr std::size_t kLingerBytes = 1 << 20;
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

}  // namespace carehub

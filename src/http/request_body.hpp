// Reading a request's body, once the server knows who is sending it and that they may: into
// memory (the parser's string body) or, for upload routes, into a spooled file. Both hold the
// client to a deadline per read (server.body_timeout_ms without progress) and to a floor on the
// average rate (server.min_body_bytes_per_s over min_body_rate_window_ms): a client sending a
// byte every 20 s would otherwise hold a socket, a spool file and an upload slot for as long as
// it liked.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "carehub/config.hpp"
#include "carehub/spool.hpp"
#include "http/request_head.hpp"
#include "http/streams.hpp"

namespace carehub {

// The floor on a body's average rate, checked as bytes arrive: each full window must have
// brought at least rate x window. Checked at each read, so the slowest client is cut off within
// a window plus one read's deadline.
class BodyPace {
 public:
  using Clock = std::chrono::steady_clock;
  BodyPace(std::uint64_t min_bytes_per_s, std::chrono::milliseconds window,
           Clock::time_point start = Clock::now());
  // After n more bytes arrived at now: false when the window that just ended fell short.
  bool on_bytes(std::size_t n, Clock::time_point now = Clock::now());

 private:
  std::uint64_t min_bytes_per_s_;
  std::chrono::milliseconds window_;
  Clock::time_point window_start_;
  std::uint64_t window_bytes_ = 0;
};

struct BodyOutcome {
  enum class Kind {
    kComplete,
    kTooLarge,     // over the route's limit: 413
    kMalformed,    // the framing is broken (a bad chunk): 400
    kTooSlow,      // under the rate floor: 408
    kGone,         // the client went away or stopped sending: nobody to answer
    kStoreFailed,  // the upload folder failed us: 503
  };
  Kind kind = Kind::kComplete;
  std::string problem;  // for the answer; never quotes the body
};

// The rest of the body into parser's string body. Stream: PlainStream or TlsStream.
template <typename Stream>
boost::asio::awaitable<BodyOutcome> read_body(Stream& stream, boost::beast::flat_buffer& buffer,
                                              RequestParser& parser, std::uint64_t limit,
                                              const ServerConfig& cfg);

// The rest of the body into a new file under cfg.upload_dir, 64 KiB at a time; *out holds it on
// kComplete. The parser's header stays readable (keep-alive, version) afterwards.
template <typename Stream>
boost::asio::awaitable<BodyOutcome> spool_body(Stream& stream, boost::beast::flat_buffer& buffer,
                                               RequestParser& parser, std::uint64_t limit,
                                               bool scratch, const ServerConfig& cfg,
                                               std::shared_ptr<SpooledBody>* out);

// Reads and discards what the client is still sending (up to 1 MiB, for up to a second) and
// closes the socket, so that closing does not reset the connection before the client has read
// the answer sent before it (an error that ended a request early, a redirect).
boost::asio::awaitable<void> linger_close(boost::beast::tcp_stream& stream);

}  // namespace carehub

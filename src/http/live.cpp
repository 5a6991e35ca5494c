#include "http/live.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <mutex>

#include "carehub/log.hpp"
#include "http/pipeline.hpp"
#include "http/response_head.hpp"

namespace carehub {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using std::chrono::milliseconds;

namespace {

// The queue between pushers (any thread) and the connection's writer (its I/O thread).
class Channel final : public LiveConnection, public std::enable_shared_from_this<Channel> {
 public:
  Channel(asio::any_io_executor executor, LiveOptions::Kind kind, std::size_t max_bytes)
      : kind_(kind), max_bytes_(max_bytes), wake_(executor) {
    wake_.expires_at(asio::steady_timer::time_point::max());
  }

  bool push(std::string_view id, std::string_view event, std::string_view data) override {
    std::string message;
    if (kind_ == LiveOptions::Kind::kWebSocket) {
      message.assign(data);
    } else {
      if (!id.empty()) message.append("id: ").append(id).append("\n");
      if (!event.empty()) message.append("event: ").append(event).append("\n");
      // A line break in the data would end the field: each line is a data line of its own.
      std::size_t start = 0;
      while (start <= data.size()) {
        const auto nl = data.find('\n', start);
        message.append("data: ")
            .append(data.substr(start, nl == std::string_view::npos ? nl : nl - start))
            .append("\n");
        if (nl == std::string_view::npos) break;
        start = nl + 1;
      }
      message.append("\n");
    }
    {
      std::lock_guard lock(mutex_);
      if (closing_) return false;
      if (bytes_ + message.size() > max_bytes_) {
        closing_ = true;
        reason_ = "the client reads too slowly: its buffer of " + std::to_string(max_bytes_) +
                  " bytes is full";
        overflowed_ = true;
      } else {
        bytes_ += message.size();
        queue_.push_back(std::move(message));
      }
    }
    signal();
    return !overflowed();
  }

  void close(std::string_view reason) override {
    {
      std::lock_guard lock(mutex_);
      if (closing_) return;
      closing_ = true;
      reason_ = std::string(reason);
    }
    signal();
  }

  bool is_open() const override {
    std::lock_guard lock(mutex_);
    return !closing_;
  }

  std::size_t buffered() const override {
    std::lock_guard lock(mutex_);
    return bytes_;
  }

  // Writer side (the I/O thread).
  // Whether there is something for the writer: messages queued, or the channel closing.
  bool pending() const {
    std::lock_guard lock(mutex_);
    return !queue_.empty() || closing_;
  }
  bool take(std::deque<std::string>& out) {
    std::lock_guard lock(mutex_);
    out.swap(queue_);
    return closing_;
  }
  void written(std::size_t n) {
    std::lock_guard lock(mutex_);
    bytes_ -= std::min(bytes_, n);
  }
  bool overflowed() const {
    std::lock_guard lock(mutex_);
    return overflowed_;
  }
  std::string reason() const {
    std::lock_guard lock(mutex_);
    return reason_;
  }
  asio::steady_timer& wake() { return wake_; }

 private:
  void signal() {
    asio::post(wake_.get_executor(), [self = shared_from_this()] { self->wake_.cancel(); });
  }

  const LiveOptions::Kind kind_;
  const std::size_t max_bytes_;
  mutable std::mutex mutex_;
  std::deque<std::string> queue_;
  std::size_t bytes_ = 0;
  bool closing_ = false;
  bool overflowed_ = false;
  std::string reason_;
  asio::steady_timer wake_;
};

// Waits until woken or the deadline; true when woken. A push that came while the writer was busy
// writing posted its wake-up to a timer nobody waited on, and that wake-up is gone: without the
// check first, the writer slept on with a message queued (a WebSocket for a day, until the next
// push), and a slow client's overflow never got its close frame. The check and the wait run in
// one step on the channel's executor, so a wake-up posted after the check cancels this wait.
asio::awaitable<bool> sleep_until_woken(Channel& ch, milliseconds limit) {
  if (ch.pending()) co_return true;
  boost::system::error_code ec;
  ch.wake().expires_after(limit);
  co_await ch.wake().async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return ec == asio::error::operation_aborted;
}

struct Ends {
  bool reader_done = false, writer_done = false;
};

template <typename WebSocket>
asio::awaitable<void> ws_writer(WebSocket& ws, Channel& ch, SessionHost& host, Ends& ends,
                                asio::steady_timer& finished) {
  std::deque<std::string> batch;
  boost::system::error_code ec;
  for (;;) {
    const bool closing = ch.take(batch) || host.shutting_down() || ends.reader_done;
    for (auto& message : batch) {
      co_await ws.async_write(asio::buffer(message), asio::redirect_error(asio::use_awaitable, ec));
      if (ec) break;
      ch.written(message.size());
    }
    batch.clear();
    if (ec) break;
    if (closing) {
      if (!ends.reader_done) {
        const auto code = host.shutting_down() ? websocket::close_code::going_away
                          : ch.overflowed()    ? websocket::close_code::policy_error
                                               : websocket::close_code::normal;
        websocket::close_reason reason(code, ch.reason().substr(0, 120));
        co_await ws.async_close(reason, asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }
    // Pings are the websocket stream's own (keep_alive_pings): wait for a push or a close.
    co_await sleep_until_woken(ch, std::chrono::hours(24));
  }
  ends.writer_done = true;
  tcp_layer(ws).socket().cancel(ec);  // the reader, if still waiting
  finished.cancel();
}

template <typename Stream>
asio::awaitable<std::shared_ptr<Channel>> run_websocket(
    SessionHost& host, Connection& conn, Stream& stream,
    const beast::http::request<beast::http::string_body>& message, const Request& request,
    LiveOptions& options) {
  if (!websocket::is_upgrade(message)) {
    const auto resp = error_response(ErrorCode::kBadRequest,
                                     "this route is a WebSocket: send an HTTP/1.1 upgrade request "
                                     "(Connection: Upgrade, Upgrade: websocket)",
                                     request);
    std::string head;
    format_response_head(head, resp, request, 11, false);
    boost::system::error_code ec;
    tcp_layer(stream).expires_after(milliseconds(host.config().write_timeout_ms));
    const std::array<asio::const_buffer, 2> out{asio::buffer(head), asio::buffer(resp.body)};
    co_await asio::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
    co_return nullptr;
  }
  tcp_layer(stream).expires_never();  // the websocket stream's own timeouts from now on
  websocket::stream<Stream&> ws(stream);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = milliseconds(host.config().header_timeout_ms);
  timeouts.idle_timeout = options.heartbeat * 2;
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.set_option(websocket::stream_base::decorator([&request](websocket::response_type& r) {
    r.set(beast::http::field::server, "carehub");
    r.set("X-Request-Id", request.request_id);
  }));
  ws.read_message_max(64 * 1024);
  boost::system::error_code ec;
  co_await ws.async_accept(message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return nullptr;
  ws.text(true);

  auto channel =
      std::make_shared<Channel>(stream.get_executor(), options.kind, options.max_buffered_bytes);
  conn.live_close = [channel] { channel->close("the server is shutting down"); };
  if (options.on_open) options.on_open(channel);
  Ends ends;
  asio::steady_timer finished(stream.get_executor(), asio::steady_timer::time_point::max());
  asio::co_spawn(stream.get_executor(), ws_writer(ws, *channel, host, ends, finished),
                 asio::detached);
  beast::flat_buffer in;
  while (!ends.writer_done) {
    co_await ws.async_read(in, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
    if (options.on_message && ws.got_text())
      options.on_message(channel,
                         std::string_view(static_cast<const char*>(in.data().data()), in.size()));
    in.consume(in.size());
  }
  ends.reader_done = true;
  channel->close(ec == websocket::error::closed ? "the client closed" : "the connection ended");
  if (!ends.writer_done)
    co_await finished.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  conn.live_close = nullptr;
  co_return channel;
}

template <typename Stream>
asio::awaitable<void> sse_writer(Stream& stream, Channel& ch, SessionHost& host,
                                 milliseconds heartbeat, milliseconds write_timeout, Ends& ends,
                                 asio::steady_timer& finished) {
  std::deque<std::string> batch;
  boost::system::error_code ec;
  static const std::string kHeartbeat = ": heartbeat\n\n";
  auto last_write = std::chrono::steady_clock::now();
  for (;;) {
    const bool closing = ch.take(batch) || host.shutting_down() || ends.reader_done;
    if (batch.empty() && !closing && std::chrono::steady_clock::now() - last_write >= heartbeat)
      batch.push_back(kHeartbeat);
    if (!batch.empty()) {
      std::vector<asio::const_buffer> out;
      std::size_t bytes = 0;
      for (const auto& m : batch) {
        out.push_back(asio::buffer(m));
        bytes += m.size();
      }
      tcp_layer(stream).expires_after(write_timeout);
      co_await asio::async_write(stream, out, asio::redirect_error(asio::use_awaitable, ec));
      tcp_layer(stream).expires_never();
      if (ec) break;
      ch.written(bytes);
      last_write = std::chrono::steady_clock::now();
      batch.clear();
    }
    if (closing) break;
    co_await sleep_until_woken(ch, heartbeat);
  }
  ends.writer_done = true;
  boost::system::error_code ignored;
  tcp_layer(stream).socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  tcp_layer(stream).socket().cancel(ignored);
  finished.cancel();
}

template <typename Stream>
asio::awaitable<std::shared_ptr<Channel>> run_event_stream(
    SessionHost& host, Connection& conn, Stream& stream,
    const beast::http::request<beast::http::string_body>& message, const Request& request,
    LiveOptions& options) {
  Response head_resp;
  head_resp.status = 200;
  head_resp.content_type = "text/event-stream; charset=utf-8";
  head_resp.with_header("Cache-Control", "no-cache").with_header("X-Accel-Buffering", "no");
  head_resp.live =
      std::make_shared<LiveOptions>();  // no length: the stream ends with the connection
  std::string head;
  format_response_head(head, head_resp, request, message.version() == 10 ? 10 : 11, false);
  head += "retry: 3000\n\n";
  boost::system::error_code ec;
  tcp_layer(stream).expires_after(milliseconds(host.config().write_timeout_ms));
  co_await asio::async_write(stream, asio::buffer(head),
                             asio::redirect_error(asio::use_awaitable, ec));
  tcp_layer(stream).expires_never();
  if (ec) co_return nullptr;

  auto channel =
      std::make_shared<Channel>(stream.get_executor(), options.kind, options.max_buffered_bytes);
  conn.live_close = [channel] { channel->close("the server is shutting down"); };
  if (options.on_open) options.on_open(channel);
  Ends ends;
  asio::steady_timer finished(stream.get_executor(), asio::steady_timer::time_point::max());
  asio::co_spawn(stream.get_executor(),
                 sse_writer(stream, *channel, host, options.heartbeat,
                            milliseconds(host.config().write_timeout_ms), ends, finished),
                 asio::detached);
  std::array<char, 512> sink;
  while (!ends.writer_done) {  // a client of an event stream sends nothing: this sees it leave
    co_await stream.async_read_some(asio::buffer(sink),
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  ends.reader_done = true;
  channel->close("the client left");
  if (!ends.writer_done)
    co_await finished.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  conn.live_close = nullptr;
  co_return channel;
}

}  // namespace

template <typename Stream>
asio::awaitable<void> run_live(SessionHost& host, Connection& conn, Stream& stream,
                               const beast::http::request<beast::http::string_body>& message,
                               const Request& request, std::shared_ptr<LiveOptions> options) {
  std::shared_ptr<Channel> channel;
  if (options->kind == LiveOptions::Kind::kWebSocket) {
    channel = co_await run_websocket(host, conn, stream, message, request, *options);
  } else {
    channel = co_await run_event_stream(host, conn, stream, message, request, *options);
  }
  if (options->on_close) options->on_close(channel);
}

template asio::awaitable<void> run_live(SessionHost&, Connection&, PlainStream&,
                                        const beast::http::request<beast::http::string_body>&,
                                        const Request&, std::shared_ptr<LiveOptions>);
template asio::awaitable<void> run_live(SessionHost&, Connection&, TlsStream&,
                                        const beast::http::request<beast::http::string_body>&,
                                        const Request&, std::shared_ptr<LiveOptions>);

}  // namespace carehub

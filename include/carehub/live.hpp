// Long-lived connections the server pushes messages to: a WebSocket or a Server-Sent Events
// stream. A route answers with Response::live(options); the server then takes the connection over
// (the WebSocket upgrade, or the event-stream head), calls on_open with a LiveConnection, and
// keeps it open until the client leaves, the connection's buffer overflows, the handler closes it
// or the server drains. Modules never see Beast or Asio.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace carehub {

// Thread-safe: any thread may push or close.
class LiveConnection {
 public:
  virtual ~LiveConnection() = default;
  // Queues one message: a WebSocket text frame of data, or an SSE event ("id:", "event:",
  // "data:" lines). Never blocks. False when the connection is closed or this message would take
  // its buffer past the limit; the connection is then closed (a slow client never holds up the
  // caller or other clients, and never costs unbounded memory).
  virtual bool push(std::string_view id, std::string_view event, std::string_view data) = 0;
  // Closes it (WebSocket: a close frame with this reason); idempotent.
  virtual void close(std::string_view reason) = 0;
  virtual bool is_open() const = 0;
  // Bytes queued and not yet written.
  virtual std::size_t buffered() const = 0;
};

struct LiveOptions {
  enum class Kind { kWebSocket, kEventStream };
  Kind kind = Kind::kWebSocket;
  std::size_t max_buffered_bytes = 256 * 1024;
  // WebSocket: a ping when idle this long (the client's pong keeps it open, no pong in as long
  // again ends it); SSE: a comment line when nothing was written for this long.
  std::chrono::milliseconds heartbeat{25000};
  // On the connection's I/O thread once it is open: register it, push what the client missed.
  // Must not block.
  std::function<void(const std::shared_ptr<LiveConnection>&)> on_open;
  // WebSocket text messages from the client (optional). Same thread; must not block.
  std::function<void(const std::shared_ptr<LiveConnection>&, std::string_view)> on_message;
  // Once, when it has closed for any reason (also when it never opened: a failed upgrade).
  std::function<void(const std::shared_ptr<LiveConnection>&)> on_close;
};

}  // namespace carehub

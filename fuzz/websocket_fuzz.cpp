// A WebSocket client's frames as carehub's live connections read them (src/http/live.cpp):
// Beast's websocket stream, configured as run_websocket configures it (timeouts, decorator,
// 64 KiB message limit, text), accepting the upgrade request and then reading messages until the
// connection ends; pings are answered and close frames echoed as on a real connection.
//
// Input: one byte choosing how many bytes each socket read returns and, in its top bit, whether
// the bytes start with the client's own upgrade request (parsed as the session parses a head);
// otherwise a valid upgrade is used. Then the client's frames.
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/websocket.hpp>
#include <chrono>
#include <cstdint>
#include <string>

#include "carehub/config.hpp"
#include "carehub/live.hpp"
#include "http/request_head.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using ErrorCode = boost::system::error_code;

constexpr std::size_t kMaxMessages = 64;

const carehub::ServerConfig& server_config() {
  static const carehub::ServerConfig cfg = [] {
    carehub::ConfigSchema schema;
    carehub::add_core_config_schema(schema);
    return carehub::Config::load(schema, std::nullopt, {}).server();
  }();
  return cfg;
}

// Runs the io_context until the operation's handler ran; the websocket's own timers (idle pings)
// may stay pending, as they do on a live connection.
template <typename Initiate>
ErrorCode run(asio::io_context& io, Initiate&& initiate) {
  ErrorCode result;
  bool done = false;
  initiate([&](ErrorCode ec, std::size_t = 0) {
    result = ec;
    done = true;
  });
  io.restart();
  while (!done && io.run_one()) {
  }
  if (!done) __builtin_trap();  // stuck with the remote closed: a harness bug or a Beast hang
  return result;
}

carehub::RequestParser::value_type valid_upgrade() {
  carehub::RequestParser::value_type req{http::verb::get, "/api/v1/notifications/ws", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::upgrade, "websocket");
  req.set(http::field::connection, "Upgrade");
  req.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  req.set(http::field::sec_websocket_version, "13");
  return req;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto& cfg = server_config();
  const bool own_upgrade = data[0] & 0x80;
  const std::size_t read_max = (data[0] & 0x7f) == 0 ? std::size_t{1} << 20 : (data[0] & 0x7f);

  asio::io_context io;
  beast::test::stream socket(io);
  beast::test::stream client(io);
  socket.connect(client);
  socket.append(beast::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  socket.read_size(read_max);
  client.close();  // the server sees the end of input after the bytes

  beast::flat_buffer buffer(cfg.max_header_bytes + 65536);
  carehub::RequestParser parser;
  carehub::limit_request_header(parser, cfg);
  if (own_upgrade) {
    if (run(io, [&](auto handler) { http::async_read(socket, buffer, parser, handler); })) return 0;
    if (!websocket::is_upgrade(parser.get())) return 0;  // the route answers 400
  } else {
    parser.get() = valid_upgrade();
  }

  // Bytes the client sent behind its head, before our 101, are dropped with the session's buffer
  // (RFC 6455 4.1: a client waits for the answer first); the websocket reads what follows.
  buffer.clear();

  websocket::stream<beast::test::stream&> ws(socket);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = std::chrono::milliseconds(cfg.header_timeout_ms);
  timeouts.idle_timeout = carehub::LiveOptions{}.heartbeat * 2;
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.set_option(websocket::stream_base::decorator([](websocket::response_type& r) {
    r.set(http::field::server, "carehub");
    r.set("X-Request-Id", "fuzz");
  }));
  ws.read_message_max(64 * 1024);
  if (run(io, [&](auto handler) { ws.async_accept(parser.get(), handler); })) return 0;
  ws.text(true);

  beast::flat_buffer in;
  for (std::size_t i = 0; i < kMaxMessages; ++i) {
    if (run(io, [&](auto handler) { ws.async_read(in, handler); })) break;
    if (in.size() > 64 * 1024) __builtin_trap();  // past read_message_max
    in.consume(in.size());
  }
  return 0;
}

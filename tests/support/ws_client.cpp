#include "support/ws_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

namespace carehub::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

struct WsClient::Impl {
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws{ioc};
  beast::flat_buffer buffer;
  bool reading = false;
  bool read_done = false;
  beast::error_code read_ec;
  bool is_closed = false;
};

WsClient::WsClient(int port, const std::string& target, const HttpHeaders& headers,
                   std::chrono::milliseconds timeout, int receive_buffer_bytes)
    : impl_(std::make_unique<Impl>()) {
  auto& lowest = beast::get_lowest_layer(impl_->ws);
  lowest.expires_after(timeout);
  if (receive_buffer_bytes > 0) {
    lowest.socket().open(asio::ip::tcp::v4());
    lowest.socket().set_option(asio::socket_base::receive_buffer_size(receive_buffer_bytes));
  }
  lowest.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                         static_cast<unsigned short>(port)));
  impl_->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& r) {
    for (const auto& [name, value] : headers) r.set(name, value);
  }));
  websocket::response_type response;
  beast::error_code ec;
  impl_->ws.handshake(response, "127.0.0.1:" + std::to_string(port), target, ec);
  if (ec) {
    throw HttpError("upgrade refused: HTTP " + std::to_string(response.result_int()) + " " +
                    response.body());
  }
  lowest.expires_never();
}

WsClient::~WsClient() = default;

std::optional<std::string> WsClient::read(std::chrono::milliseconds timeout) {
  if (impl_->is_closed) return std::nullopt;
  if (!impl_->reading) {
    impl_->reading = true;
    impl_->read_done = false;
    impl_->ws.async_read(impl_->buffer, [this](beast::error_code ec, std::size_t) {
      impl_->read_ec = ec;
      impl_->read_done = true;
    });
  }
  impl_->ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!impl_->read_done && impl_->ioc.run_one_until(deadline) > 0) {
  }
  if (!impl_->read_done) return std::nullopt;  // the read stays pending for the next call
  impl_->reading = false;
  if (impl_->read_ec) {
    impl_->is_closed = true;
    return std::nullopt;
  }
  std::string text = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  return text;
}

void WsClient::send(const std::string& text) {
  impl_->ws.text(true);
  impl_->ws.write(asio::buffer(text));
}

void WsClient::close() {
  if (impl_->is_closed) return;
  beast::error_code ec;
  beast::get_lowest_layer(impl_->ws).socket().close(ec);
  impl_->is_closed = true;
}

bool WsClient::closed() const {
  return impl_->is_closed;
}

int WsClient::close_code() const {
  return static_cast<int>(impl_->ws.reason().code);
}

std::string WsClient::close_reason() const {
  return std::string(impl_->ws.reason().reason.c_str());
}

}  // namespace carehub::test

// TLS over a connection's TCP stream, lean while the connection is idle.
//
// asio's ssl::stream keeps four 17 KiB buffers for a connection's whole life (two of its own and
// the two of its BIO pair): 68 KiB for every idle keep-alive connection. Here OpenSSL reads and
// writes through a BIO of ours (tls_stream.cpp) whose buffers hold bytes only while there are
// bytes to hold, and OpenSSL gives its own record buffers back between records
// (SSL_MODE_RELEASE_BUFFERS, set on the context). An idle connection keeps its SSL object, this
// object and a small buffer for the next record's first bytes.
//
// It offers what the server uses of asio's stream: a server handshake, read_some, write_some and
// a shutdown that sends close_notify without waiting for the client's. Deadlines are the TCP
// layer's (beast::tcp_stream::expires_after), since every wait here is a read or write on it.
// One read and one write may be under way at once (a WebSocket's reader and writer), as on a
// TCP stream. Reads never write: what OpenSSL produces while reading (a TLS 1.3 key update's
// answer) goes out with the next write.
#pragma once

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstddef>
#include <vector>

namespace carehub {

class TlsStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using next_layer_type = boost::beast::tcp_stream;
  using error_code = boost::system::error_code;

  // A server-side session of context over tcp (which must outlive it). Throws std::bad_alloc
  // when OpenSSL cannot make one.
  TlsStream(boost::beast::tcp_stream& tcp, SSL_CTX* context);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() { return tcp_.get_executor(); }
  next_layer_type& next_layer() { return tcp_; }
  SSL* native_handle() { return ssl_; }

  // The server's side of the handshake. Completes with error_code.
  template <typename Token>
  auto async_handshake(Token&& token) {
    return boost::asio::async_compose<Token, void(error_code)>(
        [this, flight = std::vector<unsigned char>(), state = 0](auto& self, error_code ec = {},
                                                                 std::size_t n = 0) mutable {
          if (state == 1) {  // input arrived
            if (const auto failed = received(n, ec)) return self.complete(failed);
          } else if (state == 2) {  // output sent
            flight = {};
            if (ec) return self.complete(ec);
          }
          const Step step = handshake_step();
          if (!wire_.out.empty()) {  // what the step produced goes out before anything else
            state = 2;
            flight.swap(wire_.out);
            return boost::asio::async_write(tcp_, boost::asio::buffer(flight), std::move(self));
          }
          if (step.need_input) {
            state = 1;
            return tcp_.async_read_some(input_space(), std::move(self));
          }
          self.complete(step.ec);
        },
        token, tcp_);
  }

  // Up to the first non-empty buffer's size of plaintext. Completes with (error_code, bytes);
  // asio::error::eof once the client has closed (close_notify, or TCP between records).
  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    boost::asio::mutable_buffer target;
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      if (boost::asio::mutable_buffer(*it).size() > 0) {
        target = *it;
        break;
      }
    }
    return boost::asio::async_compose<Token, void(error_code, std::size_t)>(
        [this, target, state = 0, result = Step(), got = std::size_t(0)](
            auto& self, error_code ec = {}, std::size_t n = 0) mutable {
          if (state == 2) return self.complete(result.ec, got);  // posted, below
          const bool first = state == 0;
          if (state == 1) {  // input arrived
            if (const auto failed = received(n, ec)) return self.complete(failed, 0);
          }
          state = 0;
          result = target.size() == 0 ? Step() : read_step(target, got);
          if (result.need_input) {
            state = 1;
            return tcp_.async_read_some(input_space(), std::move(self));
          }
          if (first) {
            // Plaintext OpenSSL already held: never complete inside the initiating call.
            state = 2;
            return boost::asio::post(tcp_.get_executor(), std::move(self));
          }
          self.complete(result.ec, got);
        },
        token, tcp_);
  }

  // Encrypts up to kWriteChunk bytes of buffers and sends them, with anything a read left to
  // send before them. Completes with (error_code, plaintext bytes taken).
  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(error_code, std::size_t)>(
        [this, buffers, taken = std::size_t(0), flight = std::vector<unsigned char>(),
         sending = false](auto& self, error_code ec = {}, std::size_t = 0) mutable {
          if (!sending) {
            const Step step = encrypt(buffers, taken);
            if (step.ec) return self.complete(step.ec, 0);
            sending = true;
            flight.swap(wire_.out);
            return boost::asio::async_write(tcp_, boost::asio::buffer(flight), std::move(self));
          }
          flight = {};
          self.complete(ec, ec ? 0 : taken);
        },
        token, tcp_);
  }

  // Sends close_notify (and anything still to send); does not wait for the client's.
  template <typename Token>
  auto async_shutdown(Token&& token) {
    return boost::asio::async_compose<Token, void(error_code)>(
        [this, flight = std::vector<unsigned char>(), sending = false](
            auto& self, error_code ec = {}, std::size_t = 0) mutable {
          if (!sending) {
            close_notify();
            sending = true;
            flight.swap(wire_.out);
            return boost::asio::async_write(tcp_, boost::asio::buffer(flight), std::move(self));
          }
          flight = {};
          self.complete(ec);
        },
        token, tcp_);
  }

  // The bytes between OpenSSL and the socket: the BIO reads `in` and appends to `out`.
  struct Wire {
    std::vector<unsigned char> in;  // received, from in_used on not yet read by OpenSSL
    std::size_t in_used = 0;
    std::vector<unsigned char> out;  // produced by OpenSSL, not yet sent
    bool closed = false;             // the client closed its side of TCP
  };

 private:
  struct Step {
    bool need_input = false;
    error_code ec;
  };
  static constexpr std::size_t kWriteChunk = 64 * 1024;        // four records a write
  static constexpr std::size_t kRecordRoom = 16 * 1024 + 512;  // a record and its overhead

  Step handshake_step();
  Step read_step(boost::asio::mutable_buffer target, std::size_t& got);
  Step encrypt_one(const void* data, std::size_t size, std::size_t& taken);
  void close_notify();
  // Where the next bytes from the network go: the small buffer when nothing is pending (an idle
  // connection waiting for its next request holds no more), else room at the end of `in`.
  boost::asio::mutable_buffer input_space();
  // n bytes arrived there (or ec): moved into `in`. An error to complete with, or none.
  error_code received(std::size_t n, error_code ec);
  Step classify(int result);

  template <typename ConstBuffers>
  Step encrypt(const ConstBuffers& buffers, std::size_t& taken) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers) && taken < kWriteChunk; ++it) {
      const boost::asio::const_buffer b(*it);
      std::size_t done = 0;
      while (done < b.size() && taken < kWriteChunk) {
        std::size_t n = 0;
        const Step step = encrypt_one(static_cast<const char*>(b.data()) + done,
                                      std::min(b.size() - done, kWriteChunk - taken), n);
        if (step.ec) return step;
        done += n;
        taken += n;
      }
    }
    return {};
  }

  boost::beast::tcp_stream& tcp_;
  SSL* ssl_ = nullptr;
  Wire wire_;
  std::array<unsigned char, 512> small_{};
  bool into_small_ = false;  // the read under way fills small_
};

// A WebSocket over TlsStream ends with close_notify, as over asio's stream (beast finds these by
// argument-dependent lookup).
template <typename Handler>
void async_teardown(boost::beast::role_type, TlsStream& stream, Handler&& handler) {
  stream.async_shutdown(std::forward<Handler>(handler));
}
void teardown(boost::beast::role_type, TlsStream& stream, boost::system::error_code& ec);

}  // namespace carehub

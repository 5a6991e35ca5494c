#include "http/tls_stream.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cstring>
#include <new>

namespace carehub {
namespace {

using Wire = TlsStream::Wire;

Wire& wire_of(BIO* bio) {
  return *static_cast<Wire*>(BIO_get_data(bio));
}

// OpenSSL reads what has arrived; with nothing left it asks to be called again (retry), unless
// the client closed TCP: then an end of file.
int wire_read(BIO* bio, char* data, std::size_t size, std::size_t* read) {
  Wire& w = wire_of(bio);
  BIO_clear_retry_flags(bio);
  const std::size_t available = w.in.size() - w.in_used;
  if (available == 0) {
    if (!w.closed) BIO_set_retry_read(bio);
    *read = 0;
    return 0;
  }
  const std::size_t n = std::min(size, available);
  std::memcpy(data, w.in.data() + w.in_used, n);
  w.in_used += n;
  *read = n;
  return 1;
}

// OpenSSL's output is kept until the stream sends it: a write always succeeds here.
int wire_write(BIO* bio, const char* data, std::size_t size, std::size_t* written) {
  Wire& w = wire_of(bio);
  BIO_clear_retry_flags(bio);
  w.out.insert(w.out.end(), data, data + size);
  *written = size;
  return 1;
}

long wire_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH: return 1;  // sent by the stream, after the call that produced it
    case BIO_CTRL_PENDING: {
      const Wire& w = wire_of(bio);
      return static_cast<long>(w.in.size() - w.in_used);
    }
    case BIO_CTRL_WPENDING: return static_cast<long>(wire_of(bio).out.size());
    case BIO_CTRL_EOF: return wire_of(bio).closed ? 1 : 0;
    default: return 0;
  }
}

int wire_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

const BIO_METHOD* wire_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "carehub wire");
    BIO_meth_set_read_ex(m, wire_read);
    BIO_meth_set_write_ex(m, wire_write);
    BIO_meth_set_ctrl(m, wire_ctrl);
    BIO_meth_set_create(m, wire_create);
    return m;
  }();
  return method;
}

// A vector's memory given back when it holds nothing: an idle connection keeps none.
void release(std::vector<unsigned char>& v) {
  std::vector<unsigned char>().swap(v);
}

}  // namespace

TlsStream::TlsStream(boost::beast::tcp_stream& tcp, SSL_CTX* context) : tcp_(tcp) {
  ssl_ = SSL_new(context);
  BIO* bio = ssl_ ? BIO_new(wire_method()) : nullptr;
  if (!bio) {
    SSL_free(ssl_);
    ERR_clear_error();
    throw std::bad_alloc();
  }
  BIO_set_data(bio, &wire_);
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: the session owns it
  SSL_set_accept_state(ssl_);
}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

TlsStream::Step TlsStream::classify(int result) {
  const int reason = SSL_get_error(ssl_, result);
  Step step;
  switch (reason) {
    case SSL_ERROR_WANT_READ: step.need_input = !wire_.closed; break;
    case SSL_ERROR_ZERO_RETURN: step.ec = boost::asio::error::eof; break;  // close_notify
    default: break;
  }
  if (!step.need_input && !step.ec) {
    const unsigned long code = ERR_peek_last_error();
    if (wire_.closed && wire_.in_used == wire_.in.size()) {
      // The client closed TCP without close_notify: how most HTTP clients leave. A body cut
      // short is the HTTP layer's to see (its length or chunks say so).
      step.ec = boost::asio::error::eof;
    } else if (code != 0) {
      step.ec = error_code(static_cast<int>(code), boost::asio::error::get_ssl_category());
    } else {
      step.ec = boost::asio::ssl::error::stream_truncated;
    }
  }
  ERR_clear_error();
  return step;
}

TlsStream::Step TlsStream::handshake_step() {
  const int result = SSL_do_handshake(ssl_);
  if (result == 1) {
    ERR_clear_error();
    return {};
  }
  Step step = classify(result);
  // An end of file during the handshake is a client that gave up, never a clean close.
  if (step.ec == boost::asio::error::eof) step.ec = boost::asio::ssl::error::stream_truncated;
  return step;
}

TlsStream::Step TlsStream::read_step(boost::asio::mutable_buffer target, std::size_t& got) {
  got = 0;
  const int result = SSL_read_ex(ssl_, target.data(), target.size(), &got);
  Step step = result == 1 ? Step() : classify(result);
  if (wire_.in_used == wire_.in.size()) {  // all OpenSSL wanted of what came: nothing kept
    release(wire_.in);
    wire_.in_used = 0;
  }
  return step;
}

TlsStream::Step TlsStream::encrypt_one(const void* data, std::size_t size, std::size_t& taken) {
  taken = 0;
  const int result = SSL_write_ex(ssl_, data, size, &taken);
  if (result == 1) return {};
  Step step = classify(result);
  if (!step.ec) step.ec = boost::asio::ssl::error::stream_truncated;  // no waiting on a write
  return step;
}

void TlsStream::close_notify() {
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

boost::asio::mutable_buffer TlsStream::input_space() {
  if (wire_.in_used == wire_.in.size()) {
    into_small_ = true;
    return boost::asio::buffer(small_);
  }
  into_small_ = false;
  // Drop what OpenSSL has read, then room for the rest of a record.
  if (wire_.in_used > 0) {
    wire_.in.erase(wire_.in.begin(), wire_.in.begin() + static_cast<std::ptrdiff_t>(wire_.in_used));
    wire_.in_used = 0;
  }
  const std::size_t kept = wire_.in.size();
  wire_.in.resize(kept + kRecordRoom);
  return boost::asio::buffer(wire_.in.data() + kept, wire_.in.size() - kept);
}

TlsStream::error_code TlsStream::received(std::size_t n, error_code ec) {
  if (into_small_) {
    wire_.in.assign(small_.begin(), small_.begin() + static_cast<std::ptrdiff_t>(n));
    wire_.in_used = 0;
  } else {
    wire_.in.resize(wire_.in.size() - kRecordRoom + n);
  }
  if (ec == boost::asio::error::eof) {
    wire_.closed = true;  // OpenSSL sees the end once it has read what came before it
    return {};
  }
  return ec;
}

void teardown(boost::beast::role_type, TlsStream& stream, boost::system::error_code& ec) {
  // Only the asynchronous close is used; a synchronous one just drops the connection.
  stream.next_layer().socket().close(ec);
}

}  // namespace carehub

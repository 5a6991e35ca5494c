#include "support/tls_client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

namespace carehub::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct TlsClient::Impl {
  Impl(int p, std::string ca, std::chrono::milliseconds t)
      : port(p), timeout(t), context(asio::ssl::context::tls_client) {
    context.load_verify_file(ca);
    context.set_verify_mode(asio::ssl::verify_peer);
    static constexpr unsigned char kAlpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(context.native_handle(), kAlpn, sizeof kAlpn - 1);
    // TLS 1.3 tickets arrive after the handshake; OpenSSL keeps them for SSL_get1_session only
    // with a client-side cache mode set.
    SSL_CTX_set_session_cache_mode(context.native_handle(),
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  }
  ~Impl() {
    if (session) SSL_SESSION_free(session);
  }

  int port;
  std::chrono::milliseconds timeout;
  asio::io_context io;
  asio::ssl::context context;
  std::optional<asio::ssl::stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  SSL_SESSION* session = nullptr;  // the last connection's, offered to the next
};

TlsClient::TlsClient(int port, std::string ca_file, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(port, std::move(ca_file), timeout)) {}

TlsClient::~TlsClient() {
  close();
}

void TlsClient::connect() {
  close();
  auto& s = impl_->stream.emplace(impl_->io, impl_->context);
  SSL_set_tlsext_host_name(s.native_handle(), "localhost");
  s.set_verify_callback(asio::ssl::host_name_verification("127.0.0.1"));
  if (impl_->session) SSL_set_session(s.native_handle(), impl_->session);
  boost::system::error_code ec;
  beast::get_lowest_layer(s).expires_after(impl_->timeout);
  beast::get_lowest_layer(s).connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                              static_cast<unsigned short>(impl_->port)),
      ec);
  if (ec) throw HttpError("TLS client: connect: " + ec.message());
  s.handshake(asio::ssl::stream_base::client, ec);
  if (ec) {
    impl_->stream.reset();
    throw HttpError("TLS client: handshake: " + ec.message());
  }
}

void TlsClient::close() {
  if (!impl_->stream) return;
  // Keep the session for the next connection (TLS 1.3 tickets arrive after the handshake, so
  // this is taken at the end, when they have been read with the answers).
  if (SSL_SESSION* s = SSL_get1_session(impl_->stream->native_handle())) {
    if (impl_->session) SSL_SESSION_free(impl_->session);
    impl_->session = s;
  }
  boost::system::error_code ec;
  beast::get_lowest_layer(*impl_->stream).socket().close(ec);
  impl_->stream.reset();
  impl_->buffer.clear();
}

bool TlsClient::connected() const {
  return impl_->stream.has_value();
}

HttpResponse TlsClient::request(const std::string& method, const std::string& target,
                                const HttpHeaders& headers, const std::string& body) {
  if (!impl_->stream) connect();
  auto& s = *impl_->stream;
  http::request<http::string_body> req(http::string_to_verb(method), target, 11);
  req.set(http::field::host, "localhost:" + std::to_string(impl_->port));
  for (const auto& [name, value] : headers) req.set(name, value);
  req.body() = body;
  req.prepare_payload();
  boost::system::error_code ec;
  beast::get_lowest_layer(s).expires_after(impl_->timeout);
  http::write(s, req, ec);
  if (ec) throw HttpError("TLS client: write: " + ec.message());
  http::response_parser<http::string_body> parser;
  parser.body_limit(std::uint64_t{1} << 30);
  http::read(s, impl_->buffer, parser, ec);
  if (ec) throw HttpError("TLS client: read: " + ec.message());
  const auto& res = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  out.reason = std::string(res.reason());
  for (const auto& field : res) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto& slot = out.headers[name];
    slot = slot.empty() ? std::string(field.value()) : slot + ", " + std::string(field.value());
  }
  out.body = res.body();
  if (!res.keep_alive()) close();
  return out;
}

std::string TlsClient::protocol() const {
  return impl_->stream ? SSL_get_version(impl_->stream->native_handle()) : "";
}

std::string TlsClient::peer_subject() const {
  if (!impl_->stream) return {};
  X509* cert = SSL_get1_peer_certificate(impl_->stream->native_handle());
  if (!cert) return {};
  char line[512];
  X509_NAME_oneline(X509_get_subject_name(cert), line, sizeof line);
  X509_free(cert);
  return line;
}

std::string TlsClient::alpn() const {
  if (!impl_->stream) return {};
  const unsigned char* data = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(impl_->stream->native_handle(), &data, &len);
  return std::string(reinterpret_cast<const char*>(data), len);
}

bool TlsClient::resumed() const {
  return impl_->stream && SSL_session_reused(impl_->stream->native_handle()) == 1;
}

}  // namespace carehub::test

#include "dicom/tls_layer.hpp"

#include <dcmtk/dcmnet/dcmtrans.h>
#include <dcmtk/dcmtls/tlstrans.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>

namespace carehub::dicom {
namespace {

// DcmTLSConnection with a deadline on the handshake: DCMTK runs it on the accepting thread, where
// a caller that connects and stays silent would otherwise hold every other caller out for the
// socket's whole receive timeout.
class TimedTlsConnection final : public DcmTLSConnection {
 public:
  TimedTlsConnection(DcmNativeSocketType socket, SSL* ssl, int timeout_s)
      : DcmTLSConnection(socket, ssl), timeout_s_(timeout_s) {}

  OFCondition serverSideHandshake() override {
    const int fd = static_cast<int>(getSocket());
    timeval before{};
    socklen_t size = sizeof before;
    const bool saved = ::getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &before, &size) == 0;
    timeval deadline{timeout_s_, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &deadline, sizeof deadline);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &deadline, sizeof deadline);
    const OFCondition result = DcmTLSConnection::serverSideHandshake();
    if (saved) {
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &before, sizeof before);
      ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &before, sizeof before);
    }
    return result;
  }

 private:
  int timeout_s_;
};

}  // namespace

TlsLayer::TlsLayer(std::shared_ptr<ReloadableTls> tls, int handshake_timeout_s)
    : tls_(std::move(tls)), handshake_timeout_s_(handshake_timeout_s) {}

DcmTransportConnection* TlsLayer::createConnection(DcmNativeSocketType socket, OFBool secure) {
  if (!secure) return new DcmTCPConnection(socket);
  // The context current now: an association keeps it, a reload serves the next one.
  const auto context = tls_->current();
  SSL* ssl = SSL_new(context->native_handle());  // holds its own reference to the context
  if (!ssl) return nullptr;
  SSL_set_fd(ssl, static_cast<int>(socket));
  // DCMTK's connection owns the session from here and frees it when the association ends.
  return new TimedTlsConnection(socket, ssl, handshake_timeout_s_);
}

}  // namespace carehub::dicom

// DICOM over TLS for the listener (dicom.tls): DCMTK's transport layer interface, served from
// carehub's own TLS context (the HTTPS one's rules: TLS 1.2 and 1.3, Mozilla's intermediate
// suites), so that a certificate reloaded on SIGHUP or a file change serves the next association.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmnet/dcmlayer.h>

#include <memory>

#include "carehub/tls.hpp"

namespace carehub::dicom {

class TlsLayer final : public DcmTransportLayer {
 public:
  // handshake_timeout_s: how long one caller's handshake may hold the listener, which DCMTK
  // accepts and shakes hands on one thread.
  TlsLayer(std::shared_ptr<ReloadableTls> tls, int handshake_timeout_s);

  DcmTransportConnection* createConnection(DcmNativeSocketType socket, OFBool secure) override;

 private:
  std::shared_ptr<ReloadableTls> tls_;
  int handshake_timeout_s_;
};

}  // namespace carehub::dicom

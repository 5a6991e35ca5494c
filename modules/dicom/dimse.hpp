// The DICOM network listener: C-ECHO, C-STORE (every standard storage SOP class, every
// transfer syntax DCMTK knows) and query/retrieve (C-FIND, C-GET, C-MOVE: dimse_qr.hpp) on a port
// and AE title, for calling AE titles on an allow-list, each mapped to an identity for the audit
// log. Each received data set is written straight to a staging file (bounded memory) and handed to
// the same Ingestor as the HTTP uploads.
//
// It listens only on its host address (listen_socket.hpp says how) and, with dicom.tls, speaks
// DICOM over TLS only (tls_layer.hpp): a plain association is refused.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>

#include "carehub/tls.hpp"
#include "dicom/dimse_qr.hpp"
#include "dicom/ingest.hpp"

namespace carehub::dicom {

struct DimseSettings {
  std::string host = "127.0.0.1";  // IPv4 address the listener binds; 0.0.0.0: every interface
  int port = 0;                    // 0: no listener
  std::string ae_title = "CAREHUB";
  std::map<std::string, std::string> callers;  // calling AE title -> identity
  int max_associations = 8;
  int timeout_s = 30;  // ACSE and DIMSE timeouts
  std::string staging_dir;
  std::shared_ptr<ReloadableTls> tls;  // null: plain DICOM
  QrSettings qr;                       // C-FIND, C-GET, C-MOVE (own_ae and timeout set at start)
};

class DimseListener {
 public:
  DimseListener(DimseSettings settings, Ingestor& ingestor);
  ~DimseListener();
  DimseListener(const DimseListener&) = delete;
  DimseListener& operator=(const DimseListener&) = delete;

  // Opens the port (throws std::runtime_error when it cannot) and serves on a thread of its own.
  void start();
  // Stops accepting; associations in flight get up to grace to finish.
  void stop(std::chrono::milliseconds grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace carehub::dicom

// One stored instance sent as a C-STORE request on an association: a C-GET's sub-operation on the
// caller's association, or a C-MOVE's on one opened to the destination. When the peer accepted
// the stored transfer syntax, the file's data set is streamed from disk as it is, a buffer at a
// time (DCMTK's own sender parses and re-encodes the whole data set in memory first); otherwise it
// is decoded to an uncompressed syntax the peer accepted, one instance in memory at a time. Only
// dimse_qr.cpp includes this header.
#pragma once

#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
//
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>

#include <optional>
#include <string>

#include "dicom/query_retrieve.hpp"

namespace carehub::dicom {

struct SendRequest {
  const RetrieveItem* item = nullptr;
  std::string path;         // the stored file
  std::string staging_dir;  // scratch files of a decoding
  int timeout_s = 30;
  std::string move_ae{};  // a C-MOVE's originator (empty for C-GET)
  DIC_US move_id = 0;
};

struct SendOutcome {
  std::optional<Uint16> status;  // the peer's C-STORE status; nullopt: not sent (reason says why)
  std::string reason;
  bool broken = false;     // the association is unusable: send nothing more on it
  bool cancelled = false;  // a C-CANCEL arrived while waiting for the response
};

SendOutcome send_instance(T_ASC_Association* assoc, const SendRequest& request);

}  // namespace carehub::dicom

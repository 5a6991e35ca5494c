// C-FIND, C-GET and C-MOVE on the DICOM listener (dimse.cpp): identifiers turned into keys for
// QueryRetrieve (query_retrieve.hpp), its answers into data sets, and stored files sent as C-STORE
// sub-operations, on the caller's association (C-GET) or on one opened to a configured
// destination (C-MOVE). Only dimse.cpp includes this header.
#pragma once

#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
//
#include <dcmtk/dcmnet/assoc.h>
#include <dcmtk/dcmnet/dimse.h>

#include <map>
#include <string>
#include <vector>

#include "carehub/blob.hpp"
#include "dicom/query_retrieve.hpp"

namespace carehub::dicom {

// Where C-MOVE may send: dicom.destinations, by AE title.
struct Destination {
  std::string ae_title, host;
  int port = 0;
};

struct QrSettings {
  QueryRetrieve* service = nullptr;  // null: no query/retrieve
  BlobStore* blobs = nullptr;
  std::string own_ae, staging_dir;
  std::map<std::string, Destination> destinations;
  int timeout_s = 30;
};

// The Query/Retrieve SOP classes the listener accepts (Study Root and Patient Root).
const std::vector<const char*>& qr_sop_classes();

// Each serves one request whose command was just received, through to its final response.
OFCondition serve_find(T_ASC_Association* assoc, T_ASC_PresentationContextID pc,
                       T_DIMSE_C_FindRQ& rq, const QrSettings& settings, const DimseActor& actor);
OFCondition serve_get(T_ASC_Association* assoc, T_ASC_PresentationContextID pc, T_DIMSE_C_GetRQ& rq,
                      const QrSettings& settings, const DimseActor& actor);
OFCondition serve_move(T_ASC_Association* assoc, T_ASC_PresentationContextID pc,
                       T_DIMSE_C_MoveRQ& rq, const QrSettings& settings, const DimseActor& actor);

}  // namespace carehub::dicom

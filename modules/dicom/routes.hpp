// Route tables of the dicom module and what they share.
#pragma once

#include <cstdint>
#include <string>

#include "carehub/audit.hpp"
#include "carehub/blob.hpp"
#include "carehub/module.hpp"
#include "dicom/ingest.hpp"
#include "dicom/store.hpp"

namespace carehub::dicom {

struct DicomContext {
  Database& db;
  BlobStore& blobs;
  AuditLog& audit;
  const Clock& clock;
  DicomStore& store;
  Ingestor& ingestor;
  std::uint64_t max_request_bytes;  // a STOW-RS request
  std::string public_base_url;      // "" : from the request's Host
  std::string staging_dir;          // the server's upload directory
};

// Uploads: a physician or admin, or an API token with dicom:write. Reads: the same, or dicom:read.
Access dicom_write_access();
Access dicom_read_access();

// The scheme and authority that URLs in answers start with.
std::string base_url(const Request& req, const DicomContext& ctx);
// The sender of an upload, as the ingestor records it.
IngestSource source_of(const Request& req);
// An audit event of the request, with a detail.
void audit_read(DicomContext& ctx, const Request& req, const std::string& action,
                const std::string& resource, nlohmann::json detail);

void register_store_routes(Router& router, DicomContext& ctx);
void register_query_routes(Router& router, DicomContext& ctx);
void register_retrieve_routes(Router& router, DicomContext& ctx);
void register_study_routes(Router& router, DicomContext& ctx);

}  // namespace carehub::dicom

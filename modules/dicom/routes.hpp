// Route tables of the dicom module and what they share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "carehub/audit.hpp"
#include "carehub/blob.hpp"
#include "carehub/module.hpp"
#include "dicom/ingest.hpp"
#include "dicom/render_cache.hpp"
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
  RenderCache& render_cache;
  TicketStore& tickets;  // single-use download links (a browser saving a study ZIP)
};

// Uploads: a physician or admin, or an API token with dicom:write. Reads: the same, or dicom:read.
Access dicom_write_access();
Access dicom_read_access();

// The study, series and instance a WADO-RS path names (the narrower ones when given).
struct Scope {
  std::string study;
  std::optional<std::string> series, sop;
};
Scope scope_of(const Request& req);

// The stored file under this blob key on the local filesystem, which DCMTK reads (frames,
// rendering, transcoding). Throws when the blob store keeps objects elsewhere.
std::string stored_file_path(DicomContext& ctx, const std::string& blob_key);

// The frame numbers of a frames path ("1,3,5"): each from 1 to 2^31-1 (an IS), at most max of
// them; 400 naming what is wrong.
std::vector<int> frame_numbers(const std::string& list, std::size_t max);
// A multipart/related answer of values held in memory, each a part of this type (the part's
// Content-Type; the answer's type= is part_type without parameters).
Response multipart_of(const std::vector<std::string>& values, const std::string& part_type,
                      const std::string& part_content_type);

// The scheme and authority that URLs in answers start with.
std::string base_url(const Request& req, const DicomContext& ctx);
// The sender of an upload, as the ingestor records it.
IngestSource source_of(const Request& req);
// One media range of an Accept header: its type and parameters (names lower-cased, quotes off).
struct MediaRange {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;
  std::optional<std::string> param(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
};
// The ranges of the request's Accept, in the order given; "*/*" when it has none.
std::vector<MediaRange> accept_ranges(const Request& req);
std::string lower(std::string_view in);

// An audit event of the request, with a detail.
void audit_read(DicomContext& ctx, const Request& req, const std::string& action,
                const std::string& resource, nlohmann::json detail);

void register_store_routes(Router& router, DicomContext& ctx);
void register_query_routes(Router& router, DicomContext& ctx);
void register_retrieve_routes(Router& router, DicomContext& ctx);
void register_study_routes(Router& router, DicomContext& ctx);
void register_render_routes(Router& router, DicomContext& ctx);
void register_archive_routes(Router& router, DicomContext& ctx);

// Where the thumbnails of the instance with this SHA-256 are kept in the blob store.
std::string thumbnail_prefix(const std::string& sha256);
// Removes the thumbnails of these instances (what fails is logged and left for the sweep).
void remove_thumbnails(DicomContext& ctx, const std::vector<std::string>& sha256s);

}  // namespace carehub::dicom

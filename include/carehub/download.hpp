// A stored object sent as an HTTP download: Content-Type, Content-Disposition (attachment, with
// the name as given, safely quoted and in RFC 5987 form), an ETag from its SHA-256, 304 for a
// matching If-None-Match, one byte range (Range: bytes=a-b, a- or -n) as 206 with Content-Range,
// 416 for a range past the end; streamed from the file (or the store's stream), never read into
// memory. Several ranges in one request get the whole object (RFC 9110 allows it).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "carehub/blob.hpp"
#include "carehub/http.hpp"

namespace carehub {

struct Download {
  std::string key;  // in the blob store
  std::uint64_t size = 0;
  std::string sha256;
  std::string content_type;
  std::string filename;      // shown to the person saving it
  bool show_inline = false;  // Content-Disposition inline (a preview) rather than attachment
};

// Throws ApiError(kNotFound) when the object is missing from the store, kRangeNotSatisfiable for
// a range that starts past the end, kBadRequest for a malformed Range.
Response download_response(const Request& request, BlobStore& blobs, const Download& download);

// Whether an If-None-Match header names this entity tag (or is "*"); weak tags compare equal.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// attachment; filename="..."; filename*=UTF-8''... (inline; ... when show_inline)
std::string content_disposition(const std::string& filename, bool show_inline = false);

}  // namespace carehub

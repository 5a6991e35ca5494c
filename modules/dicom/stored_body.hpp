// A stored instance's bytes as a response body piece: opened only when the answer reaches it (a
// multipart or a ZIP of many instances keeps one file open at a time), straight from the file
// when the blob store keeps one, else from the store's stream.
#pragma once

#include <cstdint>
#include <string>

#include "carehub/blob.hpp"
#include "carehub/http.hpp"

namespace carehub::dicom {

// open() gives exactly size bytes; it throws when the object has gone from the store.
PiecesBody::Opener stored_opener(BlobStore& blobs, std::string key, std::uint64_t size);

}  // namespace carehub::dicom

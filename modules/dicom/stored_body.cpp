#include "dicom/stored_body.hpp"

#include <stdexcept>

namespace carehub::dicom {

PiecesBody::Opener stored_opener(BlobStore& blobs, std::string key, std::uint64_t size) {
  return [&blobs, key = std::move(key), size]() -> std::shared_ptr<BodySource> {
    if (auto path = blobs.local_path(key)) return file_body(*path, 0, size);
    auto in = blobs.get(key);
    if (!in) throw std::runtime_error("stored instance missing from the blob store: " + key);
    return istream_body(std::move(in), size);
  };
}

}  // namespace carehub::dicom

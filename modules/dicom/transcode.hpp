// Stored instances as Explicit VR Little Endian, whatever they were stored as, for WADO-RS clients
// that cannot decode the stored transfer syntax: frames decoded one at a time (DCMTK's JPEG,
// JPEG-LS and RLE decoders, OpenJPEG for JPEG 2000) and written out as they come, so a large
// instance never sits decoded in memory. The stored file is never changed. Nothing here knows of
// HTTP or the database; DCMTK stays inside transcode.cpp.
#pragma once

#include <cstdint>
#include <string>

#include "carehub/result.hpp"

namespace carehub::dicom {

inline constexpr const char* kExplicitLittleEndian = "1.2.840.10008.1.2.1";

// Writes the instance at path to out_path in Explicit VR Little Endian (its pixel data decoded
// frame by frame). Returns the bytes written, or why it cannot be done (nothing is then left at
// out_path).
Result<std::uint64_t> transcode_to_explicit_le(const std::string& path,
                                               const std::string& out_path);

}  // namespace carehub::dicom

// The fast path of render_frame (see render_grey.cpp), and the JPEG encoder both paths use.
// DCMTK-side: included by render.cpp only.
#pragma once

#include "dicom/dcmtk_file.hpp"  // DCMTK's configuration first
//
#include <dcmtk/dcmdata/dcdatset.h>

#include <optional>
#include <string>

#include "carehub/result.hpp"
#include "dicom/render.hpp"

namespace carehub::dicom {

// The frame options.frame of ds drawn as render_frame would (the frame exists); nullopt when it
// is not an uncompressed little-endian greyscale frame this path draws.
std::optional<Result<std::string>> render_grey(DcmDataset& ds, const RenderOptions& options);

// The same, with the attributes read by grey_header.hpp instead of a DCMTK parse: render_frame
// tries this first. nullopt when the file is not such a frame (or the frame does not exist).
std::optional<Result<std::string>> render_grey_file(const std::string& path,
                                                    const RenderOptions& options);

// 8-bit pixels (grey, or RGB interleaved) as JPEG by libjpeg-turbo: DCMTK's own writer (IJG 6b,
// no SIMD) took half of a 512x512 frame's time. Shared with render.cpp's DicomImage path.
Result<std::string> encode_jpeg(const Uint8* pixels, int width, int height, bool grey, int quality);

}  // namespace carehub::dicom

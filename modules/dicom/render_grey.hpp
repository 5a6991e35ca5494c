// The fast path of render_frame (see render_grey.cpp). DCMTK-side: included by render.cpp only.
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

}  // namespace carehub::dicom

// JPEG 2000 pixel data (transfer syntaxes 1.2.840.10008.1.2.4.90 and .91), which DCMTK has no
// decoder for, decoded one frame at a time with OpenJPEG. DCMTK-side, like render.cpp.
#pragma once

#include "dicom/dcmtk_file.hpp"  // DCMTK's configuration first
//
#include <dcmtk/dcmdata/dcdatset.h>

#include "carehub/result.hpp"

namespace carehub::dicom {

bool is_jpeg2000(E_TransferSyntax xfer);

// Frame n (1-based) of ds's JPEG 2000 pixel data, decoded, as a data set of its own: the image
// attributes rendering needs (size, bits, photometric interpretation, rescale, windows, LUTs)
// copied from ds, the photometric interpretation RGB where the codestream's colour transform
// was undone, and the frame's pixels uncompressed (explicit VR little endian). A failure says
// why (no such frame, a codestream OpenJPEG refuses, components that do not fit the data set).
Result<bool> decode_jpeg2000_frame(DcmDataset& ds, int frame, DcmDataset& out);

}  // namespace carehub::dicom

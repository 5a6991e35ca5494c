// One frame of compressed pixel data decoded (DCMTK's JPEG, JPEG-LS and RLE decoders, OpenJPEG for
// JPEG 2000), for frames retrieval and transcoding. DCMTK-side: included by parse.cpp and
// transcode.cpp only.
#pragma once

#include "dicom/dcmtk_file.hpp"  // DCMTK's configuration first
//
#include <dcmtk/dcmdata/dcdatset.h>

#include <string>

#include "carehub/result.hpp"

namespace carehub::dicom {

// A decoded frame: its bytes (little endian; colour samples as the data set's Planar
// Configuration says, interleaved for JPEG 2000) and what the data set must then say of them.
struct DecodedFrame {
  std::string bytes;
  std::string photometric;  // RGB where the decoder undid a colour transform
  Uint16 bits_stored = 0, high_bit = 0, pixel_representation = 0;
};

// Frame n (1-based) of ds's encapsulated pixel data; a failure saying why.
Result<DecodedFrame> decode_frame(DcmDataset& ds, int frame);

}  // namespace carehub::dicom

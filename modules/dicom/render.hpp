// Rendering a frame of a stored instance as a picture a browser shows (WADO-RS "rendered" and
// "thumbnail"): DCMTK decodes the one frame asked for (JPEG, JPEG-LS, RLE, deflated, either
// endianness; OpenJPEG decodes JPEG 2000, see jpeg2000.hpp), applies the modality LUT (rescale
// slope and intercept), the VOI (the window asked for, else the file's first, else the frame's own
// range) and MONOCHROME1's inversion, converts YBR to RGB, scales to the viewport and writes JPEG
// or PNG. Nothing here knows of HTTP or the database; DCMTK stays inside render.cpp.
#pragma once

#include <optional>
#include <string>

#include "carehub/result.hpp"

namespace carehub::dicom {

enum class ImageFormat { kJpeg, kPng };

// DICOM's VOI LUT functions (PS3.3 C.11.2.1.2), as the WADO-RS window parameter names them.
enum class WindowFunction { kLinear, kLinearExact, kSigmoid };

struct Window {
  double center = 0, width = 1;  // width >= 1 (linear) or > 0 (linear-exact, sigmoid)
  WindowFunction function = WindowFunction::kLinear;
};

struct RenderOptions {
  int frame = 1;                 // 1-based
  std::optional<Window> window;  // none: the file's own VOI
  int viewport_width = 0;        // 0: the image's own size; else fit within, aspect kept
  int viewport_height = 0;
  bool enlarge = true;  // false: a frame smaller than the viewport keeps its size
  int quality = 90;     // JPEG, 1-100
  ImageFormat format = ImageFormat::kJpeg;
};

// Parses WADO-RS's "window=center,width[,function]"; the failure says what is wrong.
Result<Window> parse_window(const std::string& text);
// Parses "viewport=vw,vh" into options; the failure says what is wrong.
Result<std::pair<int, int>> parse_viewport(const std::string& text);

// The number of frames the instance's pixel data holds (1 for a single-frame image); a failure
// when it has no pixel data or cannot be read.
Result<int> frame_count(const std::string& path);

// The frame rendered; a failure saying why when there is no such frame or it cannot be decoded
// (a transfer syntax without a decoder here, pixel data that does not match its description).
Result<std::string> render_frame(const std::string& path, const RenderOptions& options);

// Registers DCMTK's decoders once per process (safe to call again).
void register_decoders();

}  // namespace carehub::dicom

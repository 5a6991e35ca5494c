// The attributes a greyscale frame is drawn with, read straight from a stored Part 10 file in
// Explicit or Implicit VR Little Endian, up to its native Pixel Data. For a cold rendered frame,
// DCMTK's parse of the whole header (a dictionary lookup per element) cost more than drawing the
// frame; this walks the top-level elements once, keeping a dozen. Anything it does not expect
// (another transfer syntax, encapsulated pixel data, a header past kMaxGreyHeader bytes, an element
// that runs past what was read, sequences nested too deep) gives nullopt, and DCMTK reads the
// file as before. No DCMTK, no HTTP.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace carehub::dicom {

inline constexpr std::size_t kMaxGreyHeader = 64 * 1024;

struct GreyHeader {
  std::string photometric, voi_lut_function;
  std::uint16_t samples = 1, bits_allocated = 0, bits_stored = 0, high_bit = 0,
                pixel_representation = 0, rows = 0, columns = 0;
  int frames = 1;
  double slope = 1, intercept = 0;
  double window_center = 0, window_width = 0;  // the first window; width 0: none
  bool has_window_center = false;
  bool modality_lut = false, voi_lut = false;  // the sequences are present
  std::uint64_t pixel_offset = 0, pixel_length = 0;

  // A lookup table in the data set that only DicomImage applies: a modality LUT always, a VOI LUT
  // unless the request gives its own window.
  bool has_lut_sequence(bool window_asked) const {
    return modality_lut || (!window_asked && voi_lut);
  }
};

std::optional<GreyHeader> read_grey_header(int fd);

// n bytes at offset at, all of them; false on a short read or an error.
bool read_exactly(int fd, void* into, std::size_t n, std::uint64_t at);

}  // namespace carehub::dicom

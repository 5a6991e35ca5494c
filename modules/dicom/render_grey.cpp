// The common case drawn without DicomImage: an uncompressed little-endian greyscale frame of 8 or
// 16 bits with a linear rescale. DicomImage converts the whole frame into its own buffers before
// drawing (page faults for each new buffer, then a second pass), which made three quarters of a
// 512x512 CT frame's time; here one lookup table maps each stored value straight to its grey.
// What DicomImage must do (LUT sequences, colour, other encodings, scaling) is left to it.
#include "dicom/render_grey.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <fcntl.h>
#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "carehub/unique_fd.hpp"
#include "dicom/grey_header.hpp"

namespace carehub::dicom {
namespace {

struct Pixels {
  Uint16 bits_allocated = 0, bits_stored = 0, high_bit = 0, representation = 0;
  Uint16 rows = 0, columns = 0;
  double slope = 1, intercept = 0;
  bool inverse = false;  // MONOCHROME1
};

// Frames up to this many bytes (stored and drawn together) use a worker's kept buffers.
constexpr std::size_t kKeptBytes = 16u << 20;

struct Buffers {
  std::vector<Uint8> raw, image, table;
  // Grown, never shrunk: what is there is overwritten, not zeroed again.
  void fit(std::size_t raw_bytes, std::size_t pixels) {
    if (raw.size() < raw_bytes) raw.resize(raw_bytes);
    if (image.size() < pixels) image.resize(pixels);
  }
};

double decimal(DcmItem& ds, const DcmTagKey& tag, double fallback) {
  Float64 v = 0;
  return ds.findAndGetFloat64(tag, v).good() ? v : fallback;
}

// A stored sample as the value it stands for: bits_stored wide, sign-extended when signed.
template <typename Word>
std::int32_t sample(const Uint8* raw, std::size_t i, const Pixels& p) {
  Uint32 v = raw[i * sizeof(Word)];
  if constexpr (sizeof(Word) == 2) v |= static_cast<Uint32>(raw[2 * i + 1]) << 8;
  const int unused = 32 - p.bits_stored;
  v <<= unused;
  return p.representation == 1 ? static_cast<std::int32_t>(v) >> unused
                               : static_cast<std::int32_t>(v >> unused);
}

struct Range {
  std::int32_t lowest = 0, highest = 0;
};

template <typename Word>
Range stored_range(const Uint8* raw, std::size_t count, const Pixels& p) {
  Range r{sample<Word>(raw, 0, p), sample<Word>(raw, 0, p)};
  for (std::size_t i = 1; i < count; ++i) {
    const std::int32_t v = sample<Word>(raw, i, p);
    r.lowest = std::min(r.lowest, v);
    r.highest = std::max(r.highest, v);
  }
  return r;
}

template <typename Word>
void draw(const Uint8* raw, std::size_t count, const Pixels& p, const Range& r, const Uint8* table,
          Uint8* image) {
  for (std::size_t i = 0; i < count; ++i) image[i] = table[sample<Word>(raw, i, p) - r.lowest];
}

// The file's first window (Window Center and Width with VOI LUT Function); nullopt when it has
// none usable, and the frame's range is drawn.
std::optional<Window> file_window(double center, double width, std::string_view function) {
  if (!(width > 0)) return std::nullopt;
  Window w{center, width, WindowFunction::kLinear};
  if (function == "SIGMOID")
    w.function = WindowFunction::kSigmoid;
  else if (function == "LINEAR_EXACT")
    w.function = WindowFunction::kLinearExact;
  if (w.function == WindowFunction::kLinear && w.width < 1) return std::nullopt;
  return w;
}

std::optional<Window> window_of(DcmDataset& ds) {
  Float64 center = 0, width = 0;
  if (ds.findAndGetFloat64(DCM_WindowCenter, center).bad() ||
      ds.findAndGetFloat64(DCM_WindowWidth, width).bad())
    return std::nullopt;
  OFString function;
  ds.findAndGetOFString(DCM_VOILUTFunction, function);
  return file_window(center, width, function.c_str());
}

// A modality value's grey (0-255) under the window (PS3.3 C.11.2.1.2).
double grey(double x, const Window& w) {
  switch (w.function) {
    case WindowFunction::kLinear: {
      const double c = w.center - 0.5, half = (w.width - 1) / 2;
      if (x <= c - half) return 0;
      if (x > c + half) return 255;
      return ((x - c) / (w.width - 1) + 0.5) * 255;
    }
    case WindowFunction::kLinearExact: {
      if (x <= w.center - w.width / 2) return 0;
      if (x > w.center + w.width / 2) return 255;
      return ((x - w.center) / w.width + 0.5) * 255;
    }
    case WindowFunction::kSigmoid: return 255 / (1 + std::exp(-4 * (x - w.center) / w.width));
  }
  return 0;
}

Result<std::string> encode_png(const Uint8* image, int width, int height) {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, nullptr);
    return Result<std::string>::fail("no memory for the PNG writer");
  }
  if (setjmp(png_jmpbuf(png))) {  // libpng's errors arrive here
    png_destroy_write_struct(&png, &info);
    return Result<std::string>::fail("the frame cannot be encoded as PNG");
  }
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<char*>(data), n);
      },
      nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  // Speed before size: a 512x512 frame took 10 ms with zlib's default level and every filter tried.
  png_set_compression_level(png, 1);
  png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);  // not all five tried on every row
  png_write_info(png, info);
  for (int y = 0; y < height; ++y)
    png_write_row(png, const_cast<png_bytep>(image + static_cast<std::size_t>(y) * width));
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return Result<std::string>::ok(std::move(out));
}

}  // namespace

Result<std::string> encode_jpeg(const Uint8* pixels, int width, int height, bool grey,
                                int quality) {
  struct Destroy {
    void operator()(void* h) const { tjDestroy(h); }
  };
  // One compressor per worker thread, made once.
  thread_local std::unique_ptr<void, Destroy> compressor(tjInitCompress());
  if (!compressor) return Result<std::string>::fail("no JPEG compressor");
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  const int rc =
      tjCompress2(compressor.get(), pixels, width, 0, height, grey ? TJPF_GRAY : TJPF_RGB, &jpeg,
                  &size, grey ? TJSAMP_GRAY : TJSAMP_420, quality, 0);
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> owned(jpeg, tjFree);
  if (rc != 0 || !jpeg) return Result<std::string>::fail("the frame cannot be encoded as JPEG");
  return Result<std::string>::ok(std::string(reinterpret_cast<const char*>(jpeg), size));
}

namespace {

// What both fast paths check before drawing: a greyscale frame of 8 or 16 bits, its high bit the
// top of its stored bits, drawn at its own size.
bool drawable(const Pixels& p, const RenderOptions& options) {
  if ((p.bits_allocated != 8 && p.bits_allocated != 16) || p.bits_stored == 0 ||
      p.bits_stored > p.bits_allocated || p.high_bit != p.bits_stored - 1 || p.rows == 0 ||
      p.columns == 0)
    return false;
  return options.viewport_width <= 0 ||
         (options.viewport_width == p.columns && options.viewport_height == p.rows);
}

// The frame's bytes and its picture in buffers each worker thread keeps: new ones each time cost
// a zeroing and the kernel's page faults, which in the server took more than the drawing. Frames
// past kKeptBytes use buffers of their own, not kept.
Buffers& buffers_for(const Pixels& p, Buffers& own) {
  thread_local Buffers kept;
  const std::size_t count = static_cast<std::size_t>(p.rows) * p.columns;
  const std::size_t bytes = count * (p.bits_allocated / 8);
  Buffers& b = bytes + count <= kKeptBytes ? kept : own;
  b.fit(bytes, count);
  return b;
}

// Draws the frame in b.raw and encodes it.
Result<std::string> draw_frame(const Pixels& p, const std::optional<Window>& from_file,
                               const RenderOptions& options, Buffers& b) {
  const std::size_t count = static_cast<std::size_t>(p.rows) * p.columns;
  const Uint8* raw = b.raw.data();
  const Range range = p.bits_allocated == 16 ? stored_range<Uint16>(raw, count, p)
                                             : stored_range<Uint8>(raw, count, p);
  // The range's ends after the rescale: the window when neither the request nor the file has one
  // (a linear window whose ends are the range's, DicomImage's min-max window).
  const double a = range.lowest * p.slope + p.intercept, z = range.highest * p.slope + p.intercept;
  const double low = std::min(a, z), high = std::max(a, z);
  auto window = options.window ? options.window : from_file;
  if (!window)
    window = Window{(low + high + 1) / 2, std::max(high - low + 1, 1.0), WindowFunction::kLinear};
  // Only the stored values the frame holds need a grey (a 12-bit CT uses a sixteenth of 16 bits).
  b.table.resize(static_cast<std::size_t>(range.highest - range.lowest) + 1);
  for (std::int32_t v = range.lowest; v <= range.highest; ++v) {
    const double g = std::clamp(std::round(grey(v * p.slope + p.intercept, *window)), 0.0, 255.0);
    b.table[static_cast<std::size_t>(v - range.lowest)] =
        static_cast<Uint8>(p.inverse ? 255 - g : g);
  }
  Uint8* image = b.image.data();
  if (p.bits_allocated == 16)
    draw<Uint16>(raw, count, p, range, b.table.data(), image);
  else
    draw<Uint8>(raw, count, p, range, b.table.data(), image);
  if (options.format == ImageFormat::kPng) return encode_png(image, p.columns, p.rows);
  return encode_jpeg(image, p.columns, p.rows, true, options.quality);
}

}  // namespace

std::optional<Result<std::string>> render_grey(DcmDataset& ds, const RenderOptions& options) {
  const E_TransferSyntax xfer = ds.getOriginalXfer();
  if (xfer != EXS_LittleEndianExplicit && xfer != EXS_LittleEndianImplicit) return std::nullopt;
  OFString photometric;
  Uint16 samples = 1;
  Pixels p;
  if (ds.findAndGetOFString(DCM_PhotometricInterpretation, photometric).bad() ||
      (photometric != "MONOCHROME1" && photometric != "MONOCHROME2"))
    return std::nullopt;
  ds.findAndGetUint16(DCM_SamplesPerPixel, samples);
  if (samples != 1 || ds.findAndGetUint16(DCM_BitsAllocated, p.bits_allocated).bad() ||
      ds.findAndGetUint16(DCM_BitsStored, p.bits_stored).bad() ||
      ds.findAndGetUint16(DCM_HighBit, p.high_bit).bad() ||
      ds.findAndGetUint16(DCM_Rows, p.rows).bad() ||
      ds.findAndGetUint16(DCM_Columns, p.columns).bad())
    return std::nullopt;
  ds.findAndGetUint16(DCM_PixelRepresentation, p.representation);
  // Lookup tables in the data set (modality or VOI), and scaling, are DicomImage's to do.
  if (!drawable(p, options) || ds.tagExists(DCM_ModalityLUTSequence) ||
      (!options.window && ds.tagExists(DCM_VOILUTSequence)))
    return std::nullopt;
  p.slope = decimal(ds, DCM_RescaleSlope, 1);
  p.intercept = decimal(ds, DCM_RescaleIntercept, 0);
  p.inverse = photometric == "MONOCHROME1";

  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad() || !element) return std::nullopt;
  const std::size_t bytes = static_cast<std::size_t>(p.rows) * p.columns * (p.bits_allocated / 8);
  const std::uint64_t offset = static_cast<std::uint64_t>(bytes) * (options.frame - 1);
  if (offset + bytes > element->getLength()) return std::nullopt;  // DicomImage says what is wrong
  Buffers own;
  Buffers& b = buffers_for(p, own);
  if (element
          ->getPartialValue(b.raw.data(), static_cast<Uint32>(offset), static_cast<Uint32>(bytes))
          .bad())
    return std::nullopt;
  return draw_frame(p, window_of(ds), options, b);
}

std::optional<Result<std::string>> render_grey_file(const std::string& path,
                                                    const RenderOptions& options) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  const auto header = read_grey_header(fd.get());
  if (!header || (header->photometric != "MONOCHROME1" && header->photometric != "MONOCHROME2") ||
      header->samples != 1 || header->has_lut_sequence(options.window.has_value()))
    return std::nullopt;
  Pixels p;
  p.bits_allocated = header->bits_allocated;
  p.bits_stored = header->bits_stored;
  p.high_bit = header->high_bit;
  p.representation = header->pixel_representation;
  p.rows = header->rows;
  p.columns = header->columns;
  p.slope = header->slope;
  p.intercept = header->intercept;
  p.inverse = header->photometric == "MONOCHROME1";
  if (!drawable(p, options) || options.frame < 1 || options.frame > header->frames)
    return std::nullopt;
  const std::uint64_t bytes =
      static_cast<std::uint64_t>(p.rows) * p.columns * (p.bits_allocated / 8);
  const std::uint64_t offset = bytes * static_cast<std::uint64_t>(options.frame - 1);
  if (offset + bytes > header->pixel_length) return std::nullopt;
  Buffers own;
  Buffers& b = buffers_for(p, own);
  if (!read_exactly(fd.get(), b.raw.data(), bytes, header->pixel_offset + offset))
    return std::nullopt;
  const double width = header->has_window_center ? header->window_width : 0;
  return draw_frame(p, file_window(header->window_center, width, header->voi_lut_function), options,
                    b);
}

}  // namespace carehub::dicom

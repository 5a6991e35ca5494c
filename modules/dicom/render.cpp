#include "dicom/render.hpp"

#include "dicom/dcmtk_file.hpp"  // DCMTK's configuration first
#include "dicom/jpeg2000.hpp"
#include "dicom/render_grey.hpp"
//
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmimgle/dcmimage.h>
//
#include <dcmtk/dcmimage/dipipng.h>   // after dcmimage.h, which it needs
#include <dcmtk/dcmimage/diregist.h>  // colour images (RGB, YBR, palette) for DicomImage
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <vector>

namespace carehub::dicom {
namespace {

// The largest picture drawn: a viewport asks for at most this many pixels a side.
constexpr int kMaxViewport = 4096;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    const auto at = text.find(sep, start);
    out.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
    if (at == std::string::npos) return out;
    start = at + 1;
  }
}

std::optional<double> to_double(const std::string& s) {
  double v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int> to_int(const std::string& s) {
  int v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// An in-memory FILE* for DCMTK's image writers, which write to a stream: the bytes are taken
// when it is closed.
class MemoryFile {
 public:
  MemoryFile() : file_(open_memstream(&data_, &size_)) {}
  ~MemoryFile() {
    if (file_) std::fclose(file_);
    std::free(data_);
  }
  MemoryFile(const MemoryFile&) = delete;
  MemoryFile& operator=(const MemoryFile&) = delete;
  FILE* get() const { return file_; }
  std::string take() {
    if (file_) std::fclose(file_);
    file_ = nullptr;
    return std::string(data_ ? data_ : "", size_);
  }

 private:
  char* data_ = nullptr;
  std::size_t size_ = 0;
  FILE* file_;
};

int number(DcmItem& item, const DcmTagKey& tag) {
  Sint32 n = 0;
  if (item.findAndGetSint32(tag, n).good()) return n;
  Uint16 u = 0;
  if (item.findAndGetUint16(tag, u).good()) return u;
  OFString text;
  if (item.findAndGetOFString(tag, text).good()) return to_int(text.c_str()).value_or(0);
  return 0;
}

// The VOI asked for, else the file's: its first window, else its first VOI LUT, else the frame's
// own range (so that a frame without a window is neither black nor white).
void apply_voi(DicomImage& image, const std::optional<Window>& window) {
  if (!image.isMonochrome()) return;
  if (window) {
    double center = window->center, width = window->width;
    if (window->function == WindowFunction::kLinearExact) {
      // linear-exact is linear with the half-pixel offsets removed (PS3.3 C.11.2.1.3.2):
      // the same line as linear's with center + 1/2 and width + 1.
      center += 0.5;
      width += 1;
    }
    image.setWindow(center, width);
    image.setVoiLutFunction(window->function == WindowFunction::kSigmoid ? EFV_Sigmoid
                                                                         : EFV_Linear);
  } else if (image.getWindowCount() > 0) {
    image.setWindow(0);
  } else if (image.getVoiLutCount() > 0) {
    image.setVoiLut(0);
  } else {
    image.setMinMaxWindow(0);
  }
}

Result<std::string> jpeg_of(DicomImage& image, int quality) {
  const auto* pixels = static_cast<const Uint8*>(image.getOutputData(8, 0, 0));
  if (!pixels) return Result<std::string>::fail("the frame cannot be drawn");
  return encode_jpeg(pixels, static_cast<int>(image.getWidth()),
                     static_cast<int>(image.getHeight()), image.isMonochrome() != 0, quality);
}

}  // namespace

void register_decoders() {
  static std::once_flag once;
  std::call_once(once, [] {
    // JPEG's YBR data comes out as RGB, as the photometric interpretation asks.
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

Result<Window> parse_window(const std::string& text) {
  const auto fail = [&text](const std::string& why) {
    return Result<Window>::fail("window=" + text + ": " + why);
  };
  const auto parts = split(text, ',');
  if (parts.size() < 2 || parts.size() > 3) return fail("give center,width[,function]");
  const auto center = to_double(parts[0]);
  const auto width = to_double(parts[1]);
  if (!center || !width) return fail("center and width must be numbers");
  Window w{*center, *width, WindowFunction::kLinear};
  if (parts.size() == 3) {
    if (parts[2] == "linear")
      w.function = WindowFunction::kLinear;
    else if (parts[2] == "linear-exact")
      w.function = WindowFunction::kLinearExact;
    else if (parts[2] == "sigmoid")
      w.function = WindowFunction::kSigmoid;
    else
      return fail("the function must be linear, linear-exact or sigmoid");
  }
  // PS3.3 C.11.2.1.2: linear needs a width of at least 1, the others one above 0.
  if (w.function == WindowFunction::kLinear ? w.width < 1 : w.width <= 0)
    return fail(w.function == WindowFunction::kLinear ? "a linear window's width must be >= 1"
                                                      : "the width must be > 0");
  return Result<Window>::ok(w);
}

Result<std::pair<int, int>> parse_viewport(const std::string& text) {
  const auto parts = split(text, ',');
  const auto fail = [&text](const std::string& why) {
    return Result<std::pair<int, int>>::fail("viewport=" + text + ": " + why);
  };
  if (parts.size() != 2)
    return fail("give vw,vh (the source rectangle of PS3.18's longer form is not supported)");
  const auto w = to_int(parts[0]);
  const auto h = to_int(parts[1]);
  if (!w || !h || *w < 1 || *h < 1 || *w > kMaxViewport || *h > kMaxViewport)
    return fail("width and height must be whole numbers from 1 to " + std::to_string(kMaxViewport));
  return Result<std::pair<int, int>>::ok({*w, *h});
}

Result<int> frame_count(const std::string& path) {
  DcmFileFormat file;
  std::string why;
  if (!load_lazily(path, file, why)) return Result<int>::fail(why);
  DcmDataset& ds = *file.getDataset();
  if (!ds.tagExists(DCM_PixelData)) return Result<int>::fail("the instance has no pixel data");
  return Result<int>::ok(std::max(1, number(ds, DCM_NumberOfFrames)));
}

Result<std::string> render_frame(const std::string& path, const RenderOptions& options) {
  const auto fail = [](std::string why) { return Result<std::string>::fail(std::move(why)); };
  if (auto drawn = render_grey_file(path, options)) return std::move(*drawn);
  register_decoders();
  DcmFileFormat file;
  std::string why;
  if (!load_stored(path, file, why)) return fail(why);
  DcmDataset& ds = *file.getDataset();
  if (!ds.tagExists(DCM_PixelData)) return fail("the instance has no pixel data");
  const int frames = std::max(1, number(ds, DCM_NumberOfFrames));
  if (options.frame < 1 || options.frame > frames)
    return fail("frame " + std::to_string(options.frame) + " does not exist (the instance has " +
                std::to_string(frames) + ")");
  if (auto drawn = render_grey(ds, options)) return std::move(*drawn);
  const DcmXfer xfer(ds.getOriginalXfer());
  std::unique_ptr<DicomImage> decoded;
  DcmDataset single;  // a JPEG 2000 frame, decoded here: DCMTK has no JPEG 2000 decoder
  if (is_jpeg2000(xfer.getXfer())) {
    auto frame = decode_jpeg2000_frame(ds, options.frame, single);
    if (!frame) return fail(frame.error());
    decoded = std::make_unique<DicomImage>(&single, EXS_LittleEndianExplicit, 0UL, 0UL, 1UL);
  } else if (big_endian_ow_bits(ds) == 32) {
    // DicomImage takes the OW value's 16-bit words as DCMTK swapped them, each sample's halves in
    // the wrong order: put them in order in memory (the whole value: this retired transfer
    // syntax's 32-bit data is small dose grids). The stored file is untouched.
    DcmElement* pixels = nullptr;
    Uint16* words = nullptr;
    if (ds.findAndGetElement(DCM_PixelData, pixels).bad() || pixels->getUint16Array(words).bad() ||
        !words)
      return fail("the pixel data cannot be read");
    undo_big_endian_ow(ds, reinterpret_cast<char*>(words), pixels->getLength());
    decoded = std::make_unique<DicomImage>(&file, xfer.getXfer(), 0UL,
                                           static_cast<unsigned long>(options.frame - 1), 1UL);
  } else {
    // Partial access: only the asked-for frame is read from the file and decoded.
    decoded = std::make_unique<DicomImage>(&file, xfer.getXfer(), CIF_UsePartialAccessToPixelData,
                                           static_cast<unsigned long>(options.frame - 1), 1UL);
  }
  DicomImage& image = *decoded;
  if (image.getStatus() != EIS_Normal) {
    return fail(std::string("the pixel data cannot be rendered (") + xfer.getXferName() +
                "): " + DicomImage::getString(image.getStatus()));
  }
  apply_voi(image, options.window);

  DicomImage* out = &image;
  std::unique_ptr<DicomImage> scaled;
  if (options.viewport_width > 0 && options.viewport_height > 0) {
    const double w = static_cast<double>(image.getWidth());
    const double h = static_cast<double>(image.getHeight());
    double factor = std::min(options.viewport_width / w, options.viewport_height / h);
    if (!options.enlarge) factor = std::min(factor, 1.0);
    const auto sw = static_cast<unsigned long>(std::max(1.0, std::round(w * factor)));
    const auto sh = static_cast<unsigned long>(std::max(1.0, std::round(h * factor)));
    if (sw != image.getWidth() || sh != image.getHeight()) {
      // pbmplus's area averaging when shrinking (a thumbnail keeps its detail), bilinear when
      // enlarging.
      scaled.reset(image.createScaledImage(sw, sh, factor < 1 ? 1 : 3, 0));
      if (!scaled || scaled->getStatus() != EIS_Normal) return fail("the frame cannot be scaled");
      out = scaled.get();
    }
  }

  if (options.format == ImageFormat::kJpeg) return jpeg_of(*out, options.quality);
  MemoryFile memory;
  if (!memory.get()) return fail("no memory for the rendered frame");
  DiPNGPlugin png;
  png.setMetainfoType(E_pngNoMetainfo);
  png.setBitsPerSample(8);
  const int written = out->writePluginFormat(&png, memory.get(), 0);
  if (!written) return fail("the frame cannot be encoded");
  return Result<std::string>::ok(memory.take());
}

}  // namespace carehub::dicom

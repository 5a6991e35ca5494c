#include "dicom/transcode.hpp"

#include "dicom/decode.hpp"  // DCMTK's configuration first
//
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <utility>
#include <vector>

#include "dicom/jpeg2000.hpp"
#include "dicom/render.hpp"

namespace carehub::dicom {
namespace {

struct Geometry {
  Uint16 rows = 0, columns = 0, samples = 1, bits_allocated = 0, planar = 0;
  int frames = 1;
  std::uint64_t frame_bytes() const {
    return static_cast<std::uint64_t>(rows) * columns * samples * bits_allocated / 8;
  }
};

Geometry geometry_of(DcmDataset& ds) {
  Geometry g;
  ds.findAndGetUint16(DCM_Rows, g.rows);
  ds.findAndGetUint16(DCM_Columns, g.columns);
  ds.findAndGetUint16(DCM_SamplesPerPixel, g.samples);
  ds.findAndGetUint16(DCM_BitsAllocated, g.bits_allocated);
  ds.findAndGetUint16(DCM_PlanarConfiguration, g.planar);
  Sint32 frames = 1;
  if (ds.findAndGetSint32(DCM_NumberOfFrames, frames).good() && frames > 1)
    g.frames = static_cast<int>(frames);
  if (g.samples == 0) g.samples = 1;
  return g;
}

DcmPixelData* pixel_data(DcmDataset& ds) {
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad()) return nullptr;
  return dynamic_cast<DcmPixelData*>(element);
}

// The largest pixel data decoded whole when a frame alone cannot be (see decode).
constexpr std::uint64_t kDecodeWholeBytes = 64ULL << 20;

// Frame n of ds's pixel data after decoding all of it into a copy (ds is left as it was), with
// the photometric interpretation the decoder gave; nullopt when DCMTK cannot.
std::optional<std::pair<std::string, std::string>> decode_whole(DcmDataset& ds, int frame,
                                                                std::uint64_t frame_bytes) {
  DcmDataset copy(ds);
  if (copy.chooseRepresentation(EXS_LittleEndianExplicit, nullptr).bad()) return std::nullopt;
  DcmElement* pixels = nullptr;
  const std::uint64_t offset = frame_bytes * static_cast<std::uint64_t>(frame - 1);
  if (copy.findAndGetElement(DCM_PixelData, pixels).bad() || !pixels ||
      pixels->getLength() < offset + frame_bytes)
    return std::nullopt;
  std::string bytes(frame_bytes, '\0');
  if (pixels
          ->getPartialValue(bytes.data(), static_cast<Uint32>(offset),
                            static_cast<Uint32>(frame_bytes))
          .bad())
    return std::nullopt;
  OFString photometric;
  copy.findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  return std::make_pair(std::move(bytes), std::string(photometric.c_str()));
}

Result<DecodedFrame> decode(DcmDataset& ds, int frame, Uint32& start_fragment) {
  using R = Result<DecodedFrame>;
  register_decoders();
  const Geometry g = geometry_of(ds);
  if (frame < 1 || frame > g.frames)
    return R::fail("frame " + std::to_string(frame) + " does not exist (the instance has " +
                   std::to_string(g.frames) + ")");
  if (g.bits_allocated == 0 || g.bits_allocated % 8 != 0)
    return R::fail("frames of bit-packed pixel data are not decoded here");
  const std::uint64_t expected = g.frame_bytes();
  DecodedFrame out;
  OFString text;
  if (ds.findAndGetOFString(DCM_PhotometricInterpretation, text).good())
    out.photometric = text.c_str();
  ds.findAndGetUint16(DCM_BitsStored, out.bits_stored);
  ds.findAndGetUint16(DCM_HighBit, out.high_bit);
  ds.findAndGetUint16(DCM_PixelRepresentation, out.pixel_representation);

  if (is_jpeg2000(ds.getOriginalXfer())) {
    DcmDataset one;
    auto decoded = decode_jpeg2000_frame(ds, frame, one);
    if (!decoded) return R::fail(decoded.error());
    DcmElement* pixels = nullptr;
    if (one.findAndGetElement(DCM_PixelData, pixels).bad() || pixels->getLength() < expected)
      return R::fail("the decoded JPEG 2000 frame is shorter than Rows x Columns");
    out.bytes.assign(expected, '\0');
    if (pixels->getPartialValue(out.bytes.data(), 0, static_cast<Uint32>(expected)).bad())
      return R::fail("the decoded JPEG 2000 frame cannot be read");
    one.findAndGetOFString(DCM_PhotometricInterpretation, text);
    out.photometric = text.c_str();
    one.findAndGetUint16(DCM_BitsStored, out.bits_stored);
    one.findAndGetUint16(DCM_HighBit, out.high_bit);
    one.findAndGetUint16(DCM_PixelRepresentation, out.pixel_representation);
    return R::ok(std::move(out));
  }

  DcmPixelData* pixels = pixel_data(ds);
  if (!pixels) return R::fail("the instance has no pixel data");
  Uint32 size = 0;
  if (pixels->getUncompressedFrameSize(&ds, size).bad() || size < expected)
    return R::fail("the pixel data's frame size cannot be worked out");
  out.bytes.assign(size, '\0');
  OFString model;
  const OFCondition c = pixels->getUncompressedFrame(&ds, static_cast<Uint32>(frame - 1),
                                                     start_fragment, out.bytes.data(), size, model);
  if (c.bad()) {
    // DCMTK's frame-at-a-time decoding refuses a few odd files (a 3x3 JPEG) that decoding the
    // whole value takes: small values are decoded whole, in memory, then the frame cut out.
    const std::uint64_t whole = expected * static_cast<std::uint64_t>(g.frames);
    auto retry = whole <= kDecodeWholeBytes ? decode_whole(ds, frame, expected) : std::nullopt;
    if (!retry)
      return R::fail("frame " + std::to_string(frame) + " cannot be decoded (" +
                     DcmXfer(ds.getOriginalXfer()).getXferName() + "): " + c.text());
    out.bytes = std::move(retry->first);
    model = retry->second.c_str();
  }
  out.bytes.resize(expected);
  if (!model.empty()) out.photometric = model.c_str();
  return R::ok(std::move(out));
}

}  // namespace

Result<DecodedFrame> decode_frame(DcmDataset& ds, int frame) {
  Uint32 start = 0;
  return decode(ds, frame, start);
}

Result<std::uint64_t> transcode_to_explicit_le(const std::string& path,
                                               const std::string& out_path) {
  using R = Result<std::uint64_t>;
  const auto fail = [&out_path](std::string why) {
    std::remove(out_path.c_str());
    return R::fail(std::move(why));
  };
  // Two readings of one file: the frames are decoded from one while the other, its pixel data
  // taken out, is written as the new file's header.
  DcmFileFormat source, header;
  std::string why;
  if (!load_stored(path, source, why) || !load_stored(path, header, why)) return fail(why);
  DcmDataset& ds = *source.getDataset();
  if (!ds.tagExists(DCM_PixelData)) {  // a report, a document: only the encoding changes
    const OFCondition saved = header.saveFile(out_path.c_str(), EXS_LittleEndianExplicit,
                                              EET_ExplicitLength, EGL_withoutGL);
    if (saved.bad())
      return fail(std::string("cannot write the transcoded instance: ") + saved.text());
    std::ifstream written(out_path, std::ios::binary | std::ios::ate);
    return R::ok(static_cast<std::uint64_t>(written.tellg()));
  }
  Geometry g = geometry_of(ds);
  const bool encapsulated = DcmXfer(ds.getOriginalXfer()).isEncapsulated();
  std::uint64_t frame_bytes = g.frame_bytes();
  if (g.bits_allocated == 1 && !encapsulated) {
    // Bit-packed frames (segmentations) need not start on a byte: the whole value is one piece,
    // small at one bit a pixel.
    frame_bytes = (static_cast<std::uint64_t>(g.rows) * g.columns * g.samples * g.frames + 7) / 8;
    g.frames = 1;
  } else if (g.bits_allocated == 0 || g.bits_allocated % 8 != 0) {
    return fail("pixel data of " + std::to_string(g.bits_allocated) +
                " bits allocated is not transcoded here");
  }
  const std::uint64_t total = frame_bytes * static_cast<std::uint64_t>(g.frames);
  if (total + (total & 1) > 0xFFFFFFFEULL) return fail("the pixel data is too large for one value");

  // Frame by frame, the first read before the header is written: decoding may change what the
  // header must say (RGB where a colour transform was undone, the codestream's bits).
  Uint32 start_fragment = 0;
  DcmPixelData* raw = encapsulated ? nullptr : pixel_data(ds);
  const auto next_frame = [&](int n) -> Result<DecodedFrame> {
    if (encapsulated) return decode(ds, n, start_fragment);
    DecodedFrame f;
    f.bytes.assign(frame_bytes, '\0');
    const auto offset = frame_bytes * static_cast<std::uint64_t>(n - 1);
    if (!raw || offset + frame_bytes > raw->getLength() ||
        raw->getPartialValue(f.bytes.data(), static_cast<Uint32>(offset),
                             static_cast<Uint32>(frame_bytes))
            .bad())
      return Result<DecodedFrame>::fail("the pixel data is shorter than its frames");
    undo_big_endian_ow(ds, f.bytes.data(), f.bytes.size());
    return Result<DecodedFrame>::ok(std::move(f));
  };
  auto first = next_frame(1);
  if (!first) return fail(first.error());

  DcmDataset& out = *header.getDataset();
  // The pixel data is written last, by hand; what DICOM puts after it (trailing padding, digital
  // signatures that no longer hold) is left out.
  for (unsigned long i = out.card(); i > 0; --i) {
    DcmElement* e = out.getElement(i - 1);
    if (e && e->getTag() >= DCM_PixelData) delete out.remove(e);
  }
  if (encapsulated) {
    if (!first->photometric.empty())
      out.putAndInsertString(DCM_PhotometricInterpretation, first->photometric.c_str());
    out.putAndInsertUint16(DCM_BitsStored, first->bits_stored);
    out.putAndInsertUint16(DCM_HighBit, first->high_bit);
    out.putAndInsertUint16(DCM_PixelRepresentation, first->pixel_representation);
    // OpenJPEG's samples are interleaved here; DCMTK's decoders write the data set's own.
    if (g.samples > 1 && is_jpeg2000(ds.getOriginalXfer()))
      out.putAndInsertUint16(DCM_PlanarConfiguration, 0);
  }
  const OFCondition saved = header.saveFile(out_path.c_str(), EXS_LittleEndianExplicit,
                                            EET_ExplicitLength, EGL_withoutGL);
  if (saved.bad())
    return fail(std::string("cannot write the transcoded instance: ") + saved.text());

  std::ofstream file(out_path, std::ios::binary | std::ios::app);
  const bool words = g.bits_allocated > 8;
  const std::uint64_t length = total + (total & 1);
  const unsigned char element[12] = {0xe0,
                                     0x7f,
                                     0x10,
                                     0x00,
                                     static_cast<unsigned char>('O'),
                                     static_cast<unsigned char>(words ? 'W' : 'B'),
                                     0,
                                     0,
                                     static_cast<unsigned char>(length & 0xff),
                                     static_cast<unsigned char>((length >> 8) & 0xff),
                                     static_cast<unsigned char>((length >> 16) & 0xff),
                                     static_cast<unsigned char>((length >> 24) & 0xff)};
  file.write(reinterpret_cast<const char*>(element), sizeof element);
  file.write(first->bytes.data(), static_cast<std::streamsize>(first->bytes.size()));
  for (int n = 2; n <= g.frames && file; ++n) {
    auto frame = next_frame(n);
    if (!frame) {
      file.close();
      return fail(frame.error());
    }
    file.write(frame->bytes.data(), static_cast<std::streamsize>(frame->bytes.size()));
  }
  if (total & 1) file.put('\0');
  file.flush();
  if (!file) {
    file.close();
    return fail("cannot write the transcoded instance");
  }
  const auto end = file.tellp();
  file.close();
  return R::ok(static_cast<std::uint64_t>(end));
}

}  // namespace carehub::dicom

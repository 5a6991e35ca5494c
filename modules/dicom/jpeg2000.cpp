#include "dicom/jpeg2000.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <openjpeg.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace carehub::dicom {
namespace {

// A codestream in memory, read by OpenJPEG through its stream callbacks.
struct Source {
  const std::uint8_t* data;
  std::size_t size, at = 0;
};

OPJ_SIZE_T read_fn(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* s = static_cast<Source*>(user);
  if (s->at >= s->size) return static_cast<OPJ_SIZE_T>(-1);  // OpenJPEG's end of stream
  const std::size_t take = std::min<std::size_t>(n, s->size - s->at);
  std::memcpy(buffer, s->data + s->at, take);
  s->at += take;
  return take;
}

OPJ_OFF_T skip_fn(OPJ_OFF_T n, void* user) {
  auto* s = static_cast<Source*>(user);
  const auto target =
      std::clamp<OPJ_OFF_T>(static_cast<OPJ_OFF_T>(s->at) + n, 0, static_cast<OPJ_OFF_T>(s->size));
  const OPJ_OFF_T moved = target - static_cast<OPJ_OFF_T>(s->at);
  s->at = static_cast<std::size_t>(target);
  return moved;
}

OPJ_BOOL seek_fn(OPJ_OFF_T to, void* user) {
  auto* s = static_cast<Source*>(user);
  if (to < 0 || static_cast<std::size_t>(to) > s->size) return OPJ_FALSE;
  s->at = static_cast<std::size_t>(to);
  return OPJ_TRUE;
}

void quiet(const char*, void*) {}
// OpenJPEG's own words for why it stopped: the first error, for the refusal.
void keep_error(const char* message, void* user) {
  auto* kept = static_cast<std::string*>(user);
  if (kept->empty() && message) {
    *kept = message;
    while (!kept->empty() && (kept->back() == '\n' || kept->back() == ' ')) kept->pop_back();
  }
}

struct CodecDeleter {
  void operator()(opj_codec_t* c) const { opj_destroy_codec(c); }
};
struct StreamDeleter {
  void operator()(opj_stream_t* s) const { opj_stream_destroy(s); }
};
struct ImageDeleter {
  void operator()(opj_image_t* i) const { opj_image_destroy(i); }
};

// A codestream begins with SOC (FF 4F); a JP2 file with its signature box.
bool starts_codestream(const std::uint8_t* p, std::size_t n) {
  static const std::uint8_t kJp2[] = {0, 0, 0, 0x0c, 'j', 'P', ' ', ' '};
  return (n >= 2 && p[0] == 0xff && p[1] == 0x4f) || (n >= 8 && std::memcmp(p, kJp2, 8) == 0);
}

// The bytes of frame n (1-based): the fragments from the one that starts its codestream to the
// one before the next frame's. Each frame's codestream starts a fragment (PS3.5 A.4), so this
// needs no offset table, which many writers leave empty.
Result<std::vector<std::uint8_t>> frame_bytes(DcmDataset& ds, int frame) {
  using R = Result<std::vector<std::uint8_t>>;
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad() || !element)
    return R::fail("the instance has no pixel data");
  auto* pixels = dynamic_cast<DcmPixelData*>(element);
  DcmPixelSequence* sequence = nullptr;
  if (!pixels ||
      pixels->getEncapsulatedRepresentation(ds.getOriginalXfer(), nullptr, sequence).bad() ||
      !sequence)
    return R::fail("the JPEG 2000 pixel data has no fragments");
  std::vector<std::uint8_t> out;
  int at = 0;  // the frame the fragments read so far belong to
  for (unsigned long i = 1; i < sequence->card(); ++i) {  // item 0: the offset table
    DcmPixelItem* item = nullptr;
    Uint8* data = nullptr;
    if (sequence->getItem(item, i).bad() || !item) break;
    const Uint32 length = item->getLength();
    if (length > 0 && item->getUint8Array(data).bad()) return R::fail("a fragment cannot be read");
    if (data && starts_codestream(data, length)) ++at;
    if (at > frame) break;
    if (at == frame && data) out.insert(out.end(), data, data + length);
  }
  if (out.empty())
    return R::fail("frame " + std::to_string(frame) + " has no JPEG 2000 codestream");
  return R::ok(std::move(out));
}

// The attributes a DicomImage of one frame needs, copied.
const DcmTagKey kImageAttributes[] = {DCM_Rows,
                                      DCM_Columns,
                                      DCM_BitsAllocated,
                                      DCM_BitsStored,
                                      DCM_HighBit,
                                      DCM_PixelRepresentation,
                                      DCM_SamplesPerPixel,
                                      DCM_PhotometricInterpretation,
                                      DCM_RescaleSlope,
                                      DCM_RescaleIntercept,
                                      DCM_RescaleType,
                                      DCM_WindowCenter,
                                      DCM_WindowWidth,
                                      DCM_VOILUTFunction,
                                      DCM_ModalityLUTSequence,
                                      DCM_VOILUTSequence,
                                      DCM_PixelAspectRatio,
                                      DCM_PixelSpacing,
                                      DCM_Modality,
                                      DCM_SOPClassUID};

}  // namespace

bool is_jpeg2000(E_TransferSyntax xfer) {
  return xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000;
}

Result<bool> decode_jpeg2000_frame(DcmDataset& ds, int frame, DcmDataset& out) {
  using R = Result<bool>;
  auto bytes = frame_bytes(ds, frame);
  if (!bytes) return R::fail(bytes.error());
  Source source{bytes->data(), bytes->size()};
  const bool jp2 = bytes->size() >= 2 && !((*bytes)[0] == 0xff && (*bytes)[1] == 0x4f);
  std::unique_ptr<opj_codec_t, CodecDeleter> codec(
      opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  std::unique_ptr<opj_stream_t, StreamDeleter> stream(opj_stream_default_create(OPJ_TRUE));
  if (!codec || !stream) return R::fail("no memory to decode JPEG 2000");
  opj_set_info_handler(codec.get(), quiet, nullptr);
  opj_set_warning_handler(codec.get(), quiet, nullptr);
  std::string error;
  opj_set_error_handler(codec.get(), keep_error, &error);
  opj_stream_set_user_data(stream.get(), &source, nullptr);
  opj_stream_set_user_data_length(stream.get(), source.size);
  opj_stream_set_read_function(stream.get(), read_fn);
  opj_stream_set_skip_function(stream.get(), skip_fn);
  opj_stream_set_seek_function(stream.get(), seek_fn);
  opj_dparameters_t parameters;
  opj_set_default_decoder_parameters(&parameters);
  opj_image_t* raw = nullptr;
  if (!opj_setup_decoder(codec.get(), &parameters) ||
      !opj_read_header(stream.get(), codec.get(), &raw))
    return R::fail("the JPEG 2000 codestream's header cannot be read: " + error);
  std::unique_ptr<opj_image_t, ImageDeleter> image(raw);
  if (!opj_decode(codec.get(), stream.get(), image.get()) ||
      !opj_end_decompress(codec.get(), stream.get()))
    return R::fail("the JPEG 2000 codestream cannot be decoded: " + error);

  for (const auto& tag : kImageAttributes) {
    DcmElement* copy = nullptr;
    if (ds.findAndGetElement(tag, copy, OFFalse, OFTrue).good() && copy) out.insert(copy, OFTrue);
  }
  Uint16 rows = 0, columns = 0, bits_allocated = 0, samples = 1;
  out.findAndGetUint16(DCM_Rows, rows);
  out.findAndGetUint16(DCM_Columns, columns);
  out.findAndGetUint16(DCM_BitsAllocated, bits_allocated);
  out.findAndGetUint16(DCM_SamplesPerPixel, samples);
  const opj_image_comp_t* comps = image->comps;
  if (image->numcomps != samples || samples == 0)
    return R::fail("the codestream has " + std::to_string(image->numcomps) +
                   " components where the data set says " + std::to_string(samples));
  for (unsigned c = 0; c < image->numcomps; ++c) {
    if (comps[c].w != columns || comps[c].h != rows || !comps[c].data)
      return R::fail("the codestream's size is not the data set's Rows and Columns");
  }
  if (bits_allocated != 8 && bits_allocated != 16)
    return R::fail("JPEG 2000 frames of " + std::to_string(bits_allocated) +
                   " bits allocated are not decoded here");
  if (comps[0].prec == 0 || comps[0].prec > bits_allocated)
    return R::fail("the codestream's precision exceeds the data set's Bits Allocated");
  // The codestream says how its samples are to be read: that is what was encoded, whatever a
  // writer put in Pixel Representation (pydicom's J2K_pixelrep_mismatch.dcm disagrees).
  out.putAndInsertUint16(DCM_BitsStored, static_cast<Uint16>(comps[0].prec));
  out.putAndInsertUint16(DCM_HighBit, static_cast<Uint16>(comps[0].prec - 1));
  out.putAndInsertUint16(DCM_PixelRepresentation, comps[0].sgnd ? 1 : 0);
  OFString photometric;
  out.findAndGetOFString(DCM_PhotometricInterpretation, photometric);
  // OpenJPEG undoes the codestream's colour transform (ICT or RCT): the samples are RGB.
  if (samples == 3 && (photometric == "YBR_ICT" || photometric == "YBR_RCT"))
    out.putAndInsertString(DCM_PhotometricInterpretation, "RGB");
  if (samples > 1) out.putAndInsertUint16(DCM_PlanarConfiguration, 0);

  const std::size_t pixels = static_cast<std::size_t>(rows) * columns;
  if (bits_allocated == 8) {
    std::vector<Uint8> data(pixels * samples);
    for (std::size_t i = 0; i < pixels; ++i)
      for (unsigned c = 0; c < samples; ++c)
        data[i * samples + c] = static_cast<Uint8>(comps[c].data[i]);
    out.putAndInsertUint8Array(DCM_PixelData, data.data(), static_cast<unsigned long>(data.size()));
  } else {
    std::vector<Uint16> data(pixels * samples);
    for (std::size_t i = 0; i < pixels; ++i)
      for (unsigned c = 0; c < samples; ++c)
        data[i * samples + c] = static_cast<Uint16>(comps[c].data[i]);
    out.putAndInsertUint16Array(DCM_PixelData, data.data(),
                                static_cast<unsigned long>(data.size()));
  }
  return R::ok(true);
}

}  // namespace carehub::dicom

#include "dicom/parse.hpp"

#include <dcmtk/config/osconfig.h>  // first, as DCMTK requires
//
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcfcache.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcjson.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcstack.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "carehub/text_check.hpp"
#include "dicom/dcmtk_file.hpp"
#include "dicom/decode.hpp"
#include "dicom/nesting.hpp"

namespace carehub::dicom {
namespace {

// Values longer than this are read from the file only when asked for.
constexpr Uint32 kLazyValueBytes = 4096;
// Binary values longer than this are bulk data in the metadata (a BulkDataURI, not inline).
constexpr Uint32 kBulkValueBytes = 1024;

bool is_binary_vr(DcmEVR vr) {
  switch (vr) {
    case EVR_OB:
    case EVR_OW:
    case EVR_OF:
    case EVR_OD:
    case EVR_OL:
    case EVR_OV:
    case EVR_UN:
    case EVR_ox:
    case EVR_px:
    case EVR_pixelSQ: return true;
    default: return false;
  }
}

std::string hex_tag(const DcmTagKey& tag) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%04X%04X", tag.getGroup(), tag.getElement());
  return buf;
}

// JSON as DICOM says (compact), with the bulk data tags given as URIs.
class BulkDataFormat : public DcmJsonFormatCompact {
 public:
  BulkDataFormat(std::set<DcmTagKey> bulk, std::string base)
      : DcmJsonFormatCompact(OFFalse), bulk_(std::move(bulk)), base_(std::move(base)) {}
  OFBool asBulkDataURI(const DcmTagKey& tag, OFString& uri) override {
    if (!bulk_.contains(tag)) return OFFalse;
    uri = (base_ + "/bulkdata/" + hex_tag(tag)).c_str();
    return OFTrue;
  }

 private:
  std::set<DcmTagKey> bulk_;
  std::string base_;
};

std::string text(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad()) return {};
  std::string s(value.c_str());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  while (!s.empty() && s.front() == ' ') s.erase(0, 1);
  return s;
}

int number(DcmItem& item, const DcmTagKey& tag) {
  Uint16 u = 0;
  if (item.findAndGetUint16(tag, u).good()) return u;
  const std::string s = text(item, tag);
  int n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  return ec == std::errc{} ? n : 0;
}

// Dates as YYYYMMDD: old ACR-NEMA "YYYY.MM.DD" loses its dots.
std::string date(DcmItem& item, const DcmTagKey& tag) {
  std::string s = text(item, tag);
  std::erase(s, '.');
  return s;
}

bool has_part10_preamble(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char buf[132];
  if (!in.read(buf, sizeof buf)) return false;
  return std::string_view(buf + 128, 4) == "DICM";
}

// Tags of the binary values too large to inline, and of pixel data whatever its size.
std::set<DcmTagKey> bulk_tags(DcmDataset& ds) {
  std::set<DcmTagKey> out;
  DcmStack stack;
  while (ds.nextObject(stack, OFTrue).good()) {
    DcmObject* obj = stack.top();
    const DcmTagKey key = obj->getTag();
    if (key == DCM_PixelData || key == DCM_FloatPixelData || key == DCM_DoubleFloatPixelData ||
        (is_binary_vr(obj->ident()) && obj->getLength() > kBulkValueBytes)) {
      out.insert(key);
    }
  }
  return out;
}

// DICOM JSON writes FL, FD, DS and IS values as JSON numbers, and DCMTK writes a DS or IS value
// as the text it holds. DICOM allows text JSON does not ("+5", "007", "1981010.", " 12 ") and a
// sloppy writer puts anything there; DCMTK also writes a NaN or an infinity as nan or inf, and a
// DS beyond a double as a number no JSON reader here accepts (1e999). So, in the in-memory copy
// the metadata is written from (the stored file keeps its bytes): a DS or IS whose values are
// finite numbers gets them in JSON's form; any other FL, FD, DS or IS loses its value, and the
// metadata shows the attribute without one.

// True when text is a JSON number (RFC 8259 section 6).
bool json_number_text(std::string_view t) {
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > from;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < t.size() && t[i] == '.' && (++i, !digits())) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

// The values of a DS or IS element in JSON's form, joined with backslashes; nullopt when one is
// not a finite number. Empty values stay empty (DICOM JSON writes them as null).
std::optional<std::string> json_form_of_numbers(DcmElement& el) {
  std::string out;
  const unsigned long count = el.getVM();
  for (unsigned long i = 0; i < count; ++i) {
    OFString raw;
    if (el.getOFString(raw, i).bad()) return std::nullopt;
    std::string_view text(raw.c_str(), raw.size());
    while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
    if (i > 0) out += '\\';
    if (text.empty()) continue;
    const std::string copy(text);
    char* end = nullptr;
    const double value = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || !std::isfinite(value)) return std::nullopt;
    if (json_number_text(text)) {
      out.append(text);
    } else {
      out += fmt::format("{}", value);  // shortest round-trip form: always a JSON number
    }
  }
  return out;
}

bool finite_floats(DcmElement& el) {
  const unsigned long count = el.getVM();
  for (unsigned long i = 0; i < count; ++i) {
    double value = 0;
    if (el.ident() == EVR_FL) {
      Float32 f = 0;
      if (el.getFloat32(f, i).bad()) return true;
      value = f;
    } else if (el.getFloat64(value, i).bad()) {
      return true;
    }
    if (!std::isfinite(value)) return false;
  }
  return true;
}

void make_numbers_json(DcmDataset& ds) {
  std::vector<DcmElement*> drop;
  std::vector<std::pair<DcmElement*, std::string>> rewrite;
  DcmStack stack;
  while (ds.nextObject(stack, OFTrue).good()) {
    DcmObject* obj = stack.top();
    if (!obj->isLeaf()) continue;
    auto* el = static_cast<DcmElement*>(obj);
    switch (el->ident()) {
      case EVR_FL:
      case EVR_FD:
        if (!finite_floats(*el)) drop.push_back(el);
        break;
      case EVR_DS:
      case EVR_IS: {
        OFString all;
        if (el->getOFStringArray(all).bad()) break;
        auto json = json_form_of_numbers(*el);
        if (!json) {
          drop.push_back(el);
        } else if (*json != std::string_view(all.c_str(), all.size())) {
          rewrite.emplace_back(el, std::move(*json));
        }
        break;
      }
      default: break;
    }
  }
  for (DcmElement* el : drop) el->clear();
  for (auto& [el, text] : rewrite) {
    if (el->putString(text.c_str()).bad()) el->clear();
  }
}

// DCMTK's JSON as one object, kept as text (parsing it again only to print it cost half a
// millisecond an instance). Values in a character set that could not be converted to UTF-8 keep
// only their ASCII (JSON must be UTF-8). Throws std::runtime_error when DCMTK stops half-way (a
// value its VR cannot hold, such as a 2-byte SL): the text would be cut off, not JSON.
std::string metadata_json(DcmDataset& ds, BulkDataFormat& format) {
  make_numbers_json(ds);
  std::ostringstream out;
  out << '{';
  const OFCondition written = ds.writeJson(out, format);
  if (written.bad()) throw std::runtime_error(written.text());
  out << '}';
  std::string text = out.str();
  if (!valid_utf8(text)) {
    for (auto& c : text) {
      if (static_cast<unsigned char>(c) > 0x7f) c = '?';
    }
  }
  return text;
}

DcmElement* find_element(DcmDataset& ds, std::uint32_t tag) {
  DcmElement* element = nullptr;
  const DcmTagKey key(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xffff));
  if (ds.findAndGetElement(key, element, OFFalse).good()) return element;
  if (ds.findAndGetElement(key, element, OFTrue).good()) return element;
  return nullptr;
}

// Bytes [offset, offset + length) of an element's value, little endian.
Result<std::string> value_range(DcmElement& element, Uint32 offset, Uint32 length) {
  std::string out(length, '\0');
  if (length == 0) return Result<std::string>::ok(std::move(out));
  DcmFileCache cache;
  const OFCondition c =
      element.getPartialValue(out.data(), offset, length, &cache, EBO_LittleEndian);
  if (c.bad()) return Result<std::string>::fail(std::string("cannot read the value: ") + c.text());
  return Result<std::string>::ok(std::move(out));
}

}  // namespace

int big_endian_ow_bits(DcmDataset& ds) {
  Uint16 bits = 0;
  DcmElement* pixels = nullptr;
  if (ds.getOriginalXfer() != EXS_BigEndianExplicit ||
      ds.findAndGetUint16(DCM_BitsAllocated, bits).bad() ||
      ds.findAndGetElement(DCM_PixelData, pixels).bad() || !pixels || pixels->getVR() != EVR_OW)
    return 0;
  return bits;
}

void undo_big_endian_ow(DcmDataset& ds, char* data, std::size_t n) {
  const int bits = big_endian_ow_bits(ds);
  if (bits == 8 || bits == 1) {
    for (std::size_t i = 0; i + 2 <= n; i += 2) std::swap(data[i], data[i + 1]);
  } else if (bits == 32) {
    for (std::size_t i = 0; i + 4 <= n; i += 4) {
      std::swap(data[i], data[i + 2]);
      std::swap(data[i + 1], data[i + 3]);
    }
  }
}

bool load_lazily(const std::string& path, DcmFileFormat& file, std::string& why) {
  // DCMTK recurses per sequence level: what nests too deep never reaches it.
  if (auto problem = sequence_nesting_problem(path)) {
    why = *problem;
    return false;
  }
  return load_stored(path, file, why);
}

bool load_stored(const std::string& path, DcmFileFormat& file, std::string& why) {
  const OFCondition c =
      file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, kLazyValueBytes, ERM_fileOnly);
  if (c.bad()) {
    why = std::string("truncated or malformed DICOM: ") + c.text();
    return false;
  }
  return true;
}

void quiet_dcmtk_logging() {
  OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
}

bool valid_uid(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto dot = s.find('.', start);
    const auto part =
        s.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (part.empty() || (part.size() > 1 && part[0] == '0')) return false;
    if (!std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return false;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return true;
}

std::variant<ParsedInstance, std::string> parse_instance(const std::string& path,
                                                         const UriBase& uri_base) {
  using Out = std::variant<ParsedInstance, std::string>;
  const auto refuse = [](std::string why) { return Out(std::in_place_index<1>, std::move(why)); };
  if (!has_part10_preamble(path))
    return refuse("not a DICOM Part 10 file (no 'DICM' prefix after the 128-byte preamble)");
  DcmFileFormat file;
  std::string why;
  if (!load_lazily(path, file, why)) return refuse(why);
  DcmMetaInfo& meta = *file.getMetaInfo();
  DcmDataset& ds = *file.getDataset();

  ParsedInstance p;
  p.transfer_syntax_uid = text(meta, DCM_TransferSyntaxUID);
  p.sop_class_uid = text(ds, DCM_SOPClassUID);
  p.sop_instance_uid = text(ds, DCM_SOPInstanceUID);
  p.study_uid = text(ds, DCM_StudyInstanceUID);
  p.series_uid = text(ds, DCM_SeriesInstanceUID);
  const std::pair<const char*, const std::string*> required[] = {
      {"Transfer Syntax UID (file meta)", &p.transfer_syntax_uid},
      {"SOP Class UID", &p.sop_class_uid},
      {"SOP Instance UID", &p.sop_instance_uid},
      {"Study Instance UID", &p.study_uid},
      {"Series Instance UID", &p.series_uid}};
  for (const auto& [name, value] : required) {
    if (value->empty()) return refuse(std::string(name) + " is missing");
    // The value is not quoted: a broken file may hold anything there, and reasons reach logs.
    if (!valid_uid(*value))
      return refuse(std::string(name) +
                    " is not a valid UID (1 to 64 bytes of digits in dot-separated parts)");
  }
  // A Media Storage SOP Instance UID in the file meta that differs from the data set's is a
  // sloppy writer's mistake, not a reason to refuse: the data set's UID is the instance's.

  // Text in UTF-8 for the index and the JSON; the stored file keeps its own character set.
  const std::string charset = text(ds, DCM_SpecificCharacterSet);
  if (!charset.empty() && charset != "ISO_IR 192") (void)ds.convertToUTF8();

  p.patient_id = text(ds, DCM_PatientID);
  p.issuer_of_patient_id = text(ds, DCM_IssuerOfPatientID);
  p.patient_name = text(ds, DCM_PatientName);
  p.patient_birth_date = date(ds, DCM_PatientBirthDate);
  p.patient_sex = text(ds, DCM_PatientSex);
  p.study_date = date(ds, DCM_StudyDate);
  p.study_time = text(ds, DCM_StudyTime);
  p.accession_number = text(ds, DCM_AccessionNumber);
  p.study_id = text(ds, DCM_StudyID);
  p.study_description = text(ds, DCM_StudyDescription);
  p.referring_physician_name = text(ds, DCM_ReferringPhysicianName);
  p.modality = text(ds, DCM_Modality);
  p.series_number = text(ds, DCM_SeriesNumber);
  p.series_description = text(ds, DCM_SeriesDescription);
  p.instance_number = text(ds, DCM_InstanceNumber);
  p.rows = number(ds, DCM_Rows);
  p.columns = number(ds, DCM_Columns);
  p.bits_allocated = number(ds, DCM_BitsAllocated);
  p.samples_per_pixel = number(ds, DCM_SamplesPerPixel);
  p.has_pixel_data = ds.tagExists(DCM_PixelData);
  p.number_of_frames = number(ds, DCM_NumberOfFrames);
  if (p.number_of_frames <= 0) p.number_of_frames = p.has_pixel_data ? 1 : 0;
  p.encapsulated = DcmXfer(p.transfer_syntax_uid.c_str()).isEncapsulated();

  BulkDataFormat format(bulk_tags(ds), uri_base(p.study_uid, p.series_uid, p.sop_instance_uid));
  try {
    p.metadata = metadata_json(ds, format);
  } catch (const std::exception& e) {
    return refuse(std::string("the data set cannot be written as DICOM JSON: ") + e.what());
  }
  return p;
}

Result<std::string> read_frame(const std::string& path, int frame) {
  const auto refuse = [](std::string why) { return Result<std::string>::fail(std::move(why)); };
  DcmFileFormat file;
  std::string why;
  if (!load_lazily(path, file, why)) return refuse(why);
  DcmDataset& ds = *file.getDataset();
  if (DcmXfer(ds.getOriginalXfer()).isEncapsulated()) {
    auto decoded = decode_frame(ds, frame);
    if (!decoded) return refuse(decoded.error());
    return Result<std::string>::ok(std::move(decoded->bytes));
  }
  DcmElement* pixels = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, pixels).bad() || !pixels)
    return refuse("the instance has no pixel data");
  const std::uint64_t bits =
      static_cast<std::uint64_t>(number(ds, DCM_Rows)) *
      static_cast<std::uint64_t>(number(ds, DCM_Columns)) *
      static_cast<std::uint64_t>(std::max(1, number(ds, DCM_SamplesPerPixel))) *
      static_cast<std::uint64_t>(number(ds, DCM_BitsAllocated));
  int frames = number(ds, DCM_NumberOfFrames);
  if (frames <= 0) frames = 1;
  if (frame < 1 || frame > frames)
    return refuse("frame " + std::to_string(frame) + " does not exist (the instance has " +
                  std::to_string(frames) + ")");
  if (bits == 0) return refuse("Rows, Columns or Bits Allocated are missing");
  if (bits % 8 != 0) return refuse("frames of bit-packed pixel data do not start on a byte");
  const std::uint64_t frame_bytes = bits / 8;
  const std::uint64_t offset = frame_bytes * static_cast<std::uint64_t>(frame - 1);
  if (offset + frame_bytes > pixels->getLength())
    return refuse("the pixel data is shorter than its frames");
  auto bytes = value_range(*pixels, static_cast<Uint32>(offset), static_cast<Uint32>(frame_bytes));
  if (bytes) undo_big_endian_ow(ds, bytes->data(), bytes->size());
  return bytes;
}

Result<std::string> read_bulk_value(const std::string& path, std::uint32_t tag) {
  const auto refuse = [](std::string why) { return Result<std::string>::fail(std::move(why)); };
  DcmFileFormat file;
  std::string why;
  if (!load_lazily(path, file, why)) return refuse(why);
  DcmDataset& ds = *file.getDataset();
  DcmElement* element = find_element(ds, tag);
  if (!element) return refuse("the instance has no such element");
  if (tag == 0x7fe00010 && DcmXfer(ds.getOriginalXfer()).isEncapsulated())
    return refuse("compressed pixel data is not available as bulk data; retrieve the instance");
  return value_range(*element, 0, element->getLength());
}

std::optional<std::uint32_t> tag_of(std::string_view name) {
  if (name.size() == 8 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    std::uint32_t tag = 0;
    std::from_chars(name.data(), name.data() + 8, tag, 16);
    return tag;
  }
  const DcmDataDictionary& dict = dcmDataDict.rdlock();
  const DcmDictEntry* entry = dict.findEntry(std::string(name).c_str());
  std::optional<std::uint32_t> out;
  if (entry) out = (static_cast<std::uint32_t>(entry->getGroup()) << 16) | entry->getElement();
  dcmDataDict.rdunlock();
  return out;
}

std::string vr_of(std::uint32_t tag) {
  DcmTag t(static_cast<Uint16>(tag >> 16), static_cast<Uint16>(tag & 0xffff));
  const std::string vr = t.getVR().getValidVRName();
  return vr.empty() || vr == "??" ? "UN" : vr;
}

}  // namespace carehub::dicom

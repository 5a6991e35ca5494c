#include "support/dicom_bytes.hpp"

namespace carehub::test::dicom_bytes {
namespace {

// An element of a short value (even length, padded as its VR asks), explicit or implicit.
std::string element(std::uint16_t group, std::uint16_t number, const char* vr, std::string value,
                    bool implicit) {
  if (value.size() % 2) value.push_back(std::string_view(vr) == "UI" ? '\0' : ' ');
  const auto length = static_cast<std::uint16_t>(value.size());
  return tag(group, number) + (implicit ? le32(length) : std::string(vr) + le16(length)) + value;
}

const std::string kSecondaryCapture = "1.2.840.10008.5.1.4.1.1.7";

}  // namespace

std::string le16(std::uint16_t v) {
  return {char(v & 0xff), char(v >> 8)};
}

std::string le32(std::uint32_t v) {
  return {char(v & 0xff), char(v >> 8 & 0xff), char(v >> 16 & 0xff), char(v >> 24)};
}

std::string tag(std::uint16_t group, std::uint16_t element) {
  return le16(group) + le16(element);
}

std::string part10(const std::string& transfer_syntax) {
  const std::string meta = element(0x0002, 0x0010, "UI", transfer_syntax, false);
  return std::string(128, '\0') + "DICM" + tag(0x0002, 0x0000) + "UL" + le16(4) +
         le32(static_cast<std::uint32_t>(meta.size())) + meta;
}

std::string undefined_nesting(int depth, bool implicit) {
  std::string open, close;
  for (int i = 0; i < depth; ++i) {
    open += tag(0x0040, 0xA730) + (implicit ? "" : std::string("SQ") + le16(0)) + le32(kUndefined);
    open += tag(0xFFFE, 0xE000) + le32(kUndefined);
    close += tag(0xFFFE, 0xE00D) + le32(0) + tag(0xFFFE, 0xE0DD) + le32(0);
  }
  return open + element(0x0008, 0x0100, "SH", "X", implicit) + close;
}

std::string defined_nesting(int depth, bool implicit) {
  std::string inner = element(0x0008, 0x0100, "SH", "X", implicit);
  for (int i = 0; i < depth; ++i) {
    const std::string item =
        tag(0xFFFE, 0xE000) + le32(static_cast<std::uint32_t>(inner.size())) + inner;
    inner = tag(0x0040, 0xA730) + (implicit ? "" : std::string("SQ") + le16(0)) +
            le32(static_cast<std::uint32_t>(item.size())) + item;
  }
  return inner;
}

std::string nested_instance(const std::string& study_uid, int depth, bool implicit) {
  const std::string sop = study_uid + ".1", ts = implicit ? kImplicit : kExplicit;
  // (0002,0001) is OB, whose explicit length has 4 bytes.
  const std::string group =
      tag(0x0002, 0x0001) + "OB" + le16(0) + le32(2) + std::string("\0\1", 2) +
      element(0x0002, 0x0002, "UI", kSecondaryCapture, false) +
      element(0x0002, 0x0003, "UI", sop, false) + element(0x0002, 0x0010, "UI", ts, false);
  return std::string(128, '\0') + "DICM" + tag(0x0002, 0x0000) + "UL" + le16(4) +
         le32(static_cast<std::uint32_t>(group.size())) + group +
         element(0x0008, 0x0016, "UI", kSecondaryCapture, implicit) +
         element(0x0008, 0x0018, "UI", sop, implicit) +
         element(0x0010, 0x0020, "LO", "NEST-1", implicit) +
         element(0x0020, 0x000D, "UI", study_uid, implicit) +
         element(0x0020, 0x000E, "UI", study_uid + ".2", implicit) +
         undefined_nesting(depth, implicit);
}

std::string nested_in_meta(int depth) {
  std::string meta = element(0x0002, 0x0010, "UI", kExplicit, false);
  std::string close;
  for (int i = 0; i < depth; ++i) {
    meta += tag(0x0002, 0x0100) + "SQ" + le16(0) + le32(kUndefined) + tag(0xFFFE, 0xE000) +
            le32(kUndefined);
    close += tag(0xFFFE, 0xE00D) + le32(0) + tag(0xFFFE, 0xE0DD) + le32(0);
  }
  meta += close;
  return std::string(128, '\0') + "DICM" + tag(0x0002, 0x0000) + "UL" + le16(4) +
         le32(static_cast<std::uint32_t>(meta.size())) + meta;
}

}  // namespace carehub::test::dicom_bytes

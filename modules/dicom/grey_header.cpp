#include "dicom/grey_header.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

#include "dicom/nesting.hpp"

namespace carehub::dicom {
namespace {

constexpr std::uint32_t kUndefined = 0xFFFFFFFF;
constexpr std::uint32_t tag(std::uint16_t group, std::uint16_t element) {
  return (std::uint32_t{group} << 16) | element;
}
constexpr std::uint32_t kItem = tag(0xFFFE, 0xE000);
constexpr std::uint32_t kItemEnd = tag(0xFFFE, 0xE00D);
constexpr std::uint32_t kSequenceEnd = tag(0xFFFE, 0xE0DD);

struct Element {
  std::uint32_t tag = 0;
  char vr[2] = {0, 0};  // explicit VR only
  std::uint32_t length = 0;
  std::size_t value = 0;  // where the value starts
};

class Reader {
 public:
  explicit Reader(std::vector<unsigned char> bytes) : b_(std::move(bytes)) {}

  std::uint16_t u16(std::size_t at) const { return b_[at] | (b_[at + 1] << 8); }
  std::uint32_t u32(std::size_t at) const {
    return b_[at] | (b_[at + 1] << 8) | (b_[at + 2] << 16) | (std::uint32_t{b_[at + 3]} << 24);
  }
  std::size_t size() const { return b_.size(); }
  const unsigned char* data() const { return b_.data(); }

  // The element header at pos; false when it runs past what was read.
  bool element(std::size_t pos, bool explicit_vr, Element& e) const {
    if (pos + 8 > b_.size()) return false;
    e.tag = tag(u16(pos), u16(pos + 2));
    // Items and delimiters have no VR in either encoding.
    if (!explicit_vr || (e.tag >> 16) == 0xFFFE) {
      e.vr[0] = e.vr[1] = 0;
      e.length = u32(pos + 4);
      e.value = pos + 8;
      return true;
    }
    e.vr[0] = static_cast<char>(b_[pos + 4]);
    e.vr[1] = static_cast<char>(b_[pos + 5]);
    static const char* kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                  "SV", "UC", "UN", "UR", "UT", "UV"};
    bool long_form = false;
    for (const char* v : kLong) long_form = long_form || (e.vr[0] == v[0] && e.vr[1] == v[1]);
    if (long_form) {
      if (pos + 12 > b_.size()) return false;
      e.length = u32(pos + 8);
      e.value = pos + 12;
    } else {
      e.length = u16(pos + 6);
      e.value = pos + 8;
    }
    return true;
  }

  // A value's text without its padding (trailing spaces and NULs, leading spaces); its first
  // value when it has several.
  std::string_view text(const Element& e) const {
    std::string_view v(reinterpret_cast<const char*>(b_.data()) + e.value, e.length);
    v = v.substr(0, v.find('\\'));
    while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) v.remove_suffix(1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return v;
  }

  // After an undefined-length sequence that starts at pos (its first item); nullopt when it is
  // malformed, runs past what was read or nests deeper than the server stores.
  std::optional<std::size_t> skip_sequence(std::size_t pos, bool explicit_vr, int depth) const {
    if (depth > kMaxSequenceDepth) return std::nullopt;
    Element e;
    while (element(pos, explicit_vr, e)) {
      if (e.tag == kSequenceEnd) return e.value;
      if (e.tag != kItem) return std::nullopt;
      if (e.length != kUndefined) {
        pos = e.value + e.length;
        continue;
      }
      auto after = skip_item(e.value, explicit_vr, depth);
      if (!after) return std::nullopt;
      pos = *after;
    }
    return std::nullopt;
  }

 private:
  std::optional<std::size_t> skip_item(std::size_t pos, bool explicit_vr, int depth) const {
    Element e;
    while (element(pos, explicit_vr, e)) {
      if (e.tag == kItemEnd) return e.value;
      if (e.length != kUndefined) {
        pos = e.value + e.length;
        continue;
      }
      // An undefined-length UN holds implicit VR, whatever the file's encoding.
      const bool nested_explicit = explicit_vr && !(e.vr[0] == 'U' && e.vr[1] == 'N');
      auto after = skip_sequence(e.value, nested_explicit, depth + 1);
      if (!after) return std::nullopt;
      pos = *after;
    }
    return std::nullopt;
  }

  std::vector<unsigned char> b_;
};

std::optional<double> decimal(std::string_view v) {
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  double out = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || p != v.data() + v.size()) return std::nullopt;
  return out;
}

std::optional<int> integer(std::string_view v) {
  if (!v.empty() && v.front() == '+') v.remove_prefix(1);
  int out = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || p != v.data() + v.size()) return std::nullopt;
  return out;
}

}  // namespace

bool read_exactly(int fd, void* into, std::size_t n, std::uint64_t at) {
  auto* out = static_cast<unsigned char*>(into);
  std::size_t got = 0;
  while (got < n) {
    const ssize_t r = ::pread(fd, out + got, n - got, static_cast<off_t>(at + got));
    if (r <= 0) return false;
    got += static_cast<std::size_t>(r);
  }
  return true;
}

std::optional<GreyHeader> read_grey_header(int fd) {
  std::vector<unsigned char> bytes(kMaxGreyHeader);
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t r = ::pread(fd, bytes.data() + got, bytes.size() - got, static_cast<off_t>(got));
    if (r < 0) return std::nullopt;
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  bytes.resize(got);
  const Reader r(std::move(bytes));
  if (r.size() < 132 || std::memcmp(r.data() + 128, "DICM", 4) != 0) return std::nullopt;

  // The file meta group (always Explicit VR Little Endian): its transfer syntax.
  std::size_t pos = 132;
  Element e;
  std::string_view syntax;
  while (r.element(pos, true, e) && (e.tag >> 16) == 0x0002) {
    if (e.length == kUndefined || e.value + e.length > r.size()) return std::nullopt;
    if (e.tag == tag(0x0002, 0x0010)) syntax = r.text(e);
    pos = e.value + e.length;
  }
  bool explicit_vr = false;
  if (syntax == "1.2.840.10008.1.2.1")
    explicit_vr = true;
  else if (syntax != "1.2.840.10008.1.2")
    return std::nullopt;

  GreyHeader h;
  const auto us = [&](std::uint16_t& into) {
    if (e.length != 2) return false;
    into = r.u16(e.value);
    return true;
  };
  while (r.element(pos, explicit_vr, e)) {
    if (e.tag == tag(0x7FE0, 0x0010)) {
      if (e.length == kUndefined) return std::nullopt;  // encapsulated: not drawn here
      h.pixel_offset = e.value;
      h.pixel_length = e.length;
      return h;
    }
    if (e.length == kUndefined) {
      if (e.tag == tag(0x0028, 0x3000)) h.modality_lut = true;
      if (e.tag == tag(0x0028, 0x3010)) h.voi_lut = true;
      const bool nested_explicit = explicit_vr && !(e.vr[0] == 'U' && e.vr[1] == 'N');
      auto after = r.skip_sequence(e.value, nested_explicit, 1);
      if (!after) return std::nullopt;
      pos = *after;
      continue;
    }
    if (e.value + e.length > r.size()) return std::nullopt;
    bool ok = true;
    switch (e.tag) {
      case tag(0x0028, 0x0002): ok = us(h.samples); break;
      case tag(0x0028, 0x0004): h.photometric = r.text(e); break;
      case tag(0x0028, 0x0008): h.frames = std::max(1, integer(r.text(e)).value_or(1)); break;
      case tag(0x0028, 0x0010): ok = us(h.rows); break;
      case tag(0x0028, 0x0011): ok = us(h.columns); break;
      case tag(0x0028, 0x0100): ok = us(h.bits_allocated); break;
      case tag(0x0028, 0x0101): ok = us(h.bits_stored); break;
      case tag(0x0028, 0x0102): ok = us(h.high_bit); break;
      case tag(0x0028, 0x0103): ok = us(h.pixel_representation); break;
      case tag(0x0028, 0x1050): {
        const auto center = decimal(r.text(e));
        h.has_window_center = center.has_value();
        h.window_center = center.value_or(0);
        break;
      }
      case tag(0x0028, 0x1051): h.window_width = decimal(r.text(e)).value_or(0); break;
      case tag(0x0028, 0x1052): h.intercept = decimal(r.text(e)).value_or(0); break;
      case tag(0x0028, 0x1053): h.slope = decimal(r.text(e)).value_or(1); break;
      case tag(0x0028, 0x1056): h.voi_lut_function = r.text(e); break;
      case tag(0x0028, 0x3000): h.modality_lut = true; break;
      case tag(0x0028, 0x3010): h.voi_lut = true; break;
      default: break;
    }
    if (!ok) return std::nullopt;
    pos = e.value + e.length;
  }
  return std::nullopt;  // no pixel data within what was read
}

}  // namespace carehub::dicom

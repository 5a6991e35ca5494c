#include "dicom/zip_stream.hpp"

#include <zlib.h>

#include <algorithm>
#include <ctime>
#include <limits>
#include <stdexcept>

namespace carehub::dicom {
namespace {

constexpr std::uint64_t kMax32 = 0xFFFFFFFF;  // a classic field this full means "see ZIP64"
constexpr std::uint64_t kMax16 = 0xFFFF;
constexpr std::uint16_t kVersion20 = 20;  // STORE with data descriptors
constexpr std::uint16_t kVersion45 = 45;  // ZIP64
// Bit 3: CRC and sizes follow the data in a descriptor. Bit 11: names are UTF-8.
constexpr std::uint16_t kFlags = (1 << 3) | (1 << 11);
constexpr std::size_t kLocalHeader = 30, kCentralHeader = 46, kEnd = 22;
constexpr std::size_t kZip64End = 56, kZip64Locator = 20;

void put16(std::string& out, std::uint64_t v) {
  out.push_back(static_cast<char>(v & 0xFF));
  out.push_back(static_cast<char>((v >> 8) & 0xFF));
}
void put32(std::string& out, std::uint64_t v) {
  put16(out, v & 0xFFFF);
  put16(out, (v >> 16) & 0xFFFF);
}
void put64(std::string& out, std::uint64_t v) {
  put32(out, v & kMax32);
  put32(out, v >> 32);
}
std::uint64_t clamp32(std::uint64_t v) {
  return std::min(v, kMax32);
}

// The central directory's ZIP64 extra field holds, in this order, the values whose classic field
// is full: uncompressed size, compressed size, local header offset.
std::size_t central_extra_size(bool zip64_size, std::uint64_t offset) {
  const std::size_t fields = (zip64_size ? 2 : 0) + (offset >= kMax32 ? 1 : 0);
  return fields ? 4 + 8 * fields : 0;
}

bool needs_zip64_end(std::size_t count, std::uint64_t central_offset, std::uint64_t central_size) {
  return count >= kMax16 || central_offset >= kMax32 || central_size >= kMax32;
}

}  // namespace

ZipStream::ZipStream(std::vector<Entry> entries, std::int64_t modified_ms)
    : entries_(std::move(entries)), placed_(entries_.size()) {
  const std::time_t seconds = static_cast<std::time_t>(modified_ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  if (tm.tm_year < 80) tm = std::tm{0, 0, 0, 1, 0, 80, 0, 0, 0, 0, nullptr};  // DOS starts in 1980
  dos_time_ = static_cast<std::uint16_t>((tm.tm_hour << 11) | (tm.tm_min << 5) | (tm.tm_sec / 2));
  dos_date_ =
      static_cast<std::uint16_t>(((tm.tm_year - 80) << 9) | ((tm.tm_mon + 1) << 5) | tm.tm_mday);

  std::uint64_t at = 0, central_size = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    Placed& p = placed_[i];
    p.offset = at;
    p.zip64 = entries_[i].size >= kMax32;
    at += kLocalHeader + entries_[i].name.size() + (p.zip64 ? 20 : 0);
    at += entries_[i].size + (p.zip64 ? 24 : 16);
    central_size +=
        kCentralHeader + entries_[i].name.size() + central_extra_size(p.zip64, p.offset);
  }
  central_offset_ = at;
  total_ = at + central_size + kEnd;
  if (needs_zip64_end(entries_.size(), central_offset_, central_size))
    total_ += kZip64End + kZip64Locator;
  if (entries_.empty()) {
    step_ = Step::kCentral;
    pending_ = central_directory();
  } else {
    pending_ = local_header(0);
  }
}

std::string ZipStream::local_header(std::size_t i) const {
  const Entry& e = entries_[i];
  const bool zip64 = placed_[i].zip64;
  std::string out;
  put32(out, 0x04034b50);
  put16(out, zip64 ? kVersion45 : kVersion20);
  put16(out, kFlags);
  put16(out, 0);  // STORE
  put16(out, dos_time_);
  put16(out, dos_date_);
  put32(out, 0);  // CRC-32: in the descriptor
  // Sizes: in the descriptor too; a ZIP64 entry says so here, and its extra field tells readers
  // that the descriptor's sizes are 8 bytes each.
  put32(out, zip64 ? kMax32 : 0);
  put32(out, zip64 ? kMax32 : 0);
  put16(out, e.name.size());
  put16(out, zip64 ? 20 : 0);
  out += e.name;
  if (zip64) {
    put16(out, 0x0001);
    put16(out, 16);
    put64(out, 0);
    put64(out, 0);
  }
  return out;
}

std::string ZipStream::descriptor(std::size_t i) const {
  std::string out;
  put32(out, 0x08074b50);
  put32(out, placed_[i].crc);
  if (placed_[i].zip64) {
    put64(out, entries_[i].size);
    put64(out, entries_[i].size);
  } else {
    put32(out, entries_[i].size);
    put32(out, entries_[i].size);
  }
  return out;
}

std::string ZipStream::central_directory() const {
  std::string out;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const Entry& e = entries_[i];
    const Placed& p = placed_[i];
    const std::size_t extra = central_extra_size(p.zip64, p.offset);
    put32(out, 0x02014b50);
    put16(out, kVersion45);  // made by
    put16(out, p.zip64 || p.offset >= kMax32 ? kVersion45 : kVersion20);
    put16(out, kFlags);
    put16(out, 0);
    put16(out, dos_time_);
    put16(out, dos_date_);
    put32(out, p.crc);
    put32(out, clamp32(e.size));
    put32(out, clamp32(e.size));
    put16(out, e.name.size());
    put16(out, extra);
    put16(out, 0);  // comment
    put16(out, 0);  // disk
    put16(out, 0);  // internal attributes
    put32(out, 0);  // external attributes
    put32(out, clamp32(p.offset));
    out += e.name;
    if (extra) {
      put16(out, 0x0001);
      put16(out, extra - 4);
      if (p.zip64) {
        put64(out, e.size);
        put64(out, e.size);
      }
      if (p.offset >= kMax32) put64(out, p.offset);
    }
  }
  const std::uint64_t central_size = out.size();
  const std::uint64_t count = entries_.size();
  if (needs_zip64_end(entries_.size(), central_offset_, central_size)) {
    const std::uint64_t end64_offset = central_offset_ + central_size;
    put32(out, 0x06064b50);
    put64(out, kZip64End - 12);  // the record's size after this field
    put16(out, kVersion45);
    put16(out, kVersion45);
    put32(out, 0);
    put32(out, 0);
    put64(out, count);
    put64(out, count);
    put64(out, central_size);
    put64(out, central_offset_);
    put32(out, 0x07064b50);
    put32(out, 0);
    put64(out, end64_offset);
    put32(out, 1);
  }
  put32(out, 0x06054b50);
  put16(out, 0);
  put16(out, 0);
  put16(out, std::min(count, kMax16));
  put16(out, std::min(count, kMax16));
  put32(out, clamp32(central_size));
  put32(out, clamp32(central_offset_));
  put16(out, 0);
  return out;
}

void ZipStream::advance() {
  pending_.clear();
  pending_at_ = 0;
  switch (step_) {
    case Step::kHeader:
      step_ = Step::kData;
      done_ = 0;
      crc_ = static_cast<std::uint32_t>(crc32(0L, Z_NULL, 0));
      break;
    case Step::kData:
      placed_[at_].crc = crc_;
      source_.reset();
      step_ = Step::kDescriptor;
      pending_ = descriptor(at_);
      break;
    case Step::kDescriptor:
      if (++at_ < entries_.size()) {
        step_ = Step::kHeader;
        pending_ = local_header(at_);
      } else {
        step_ = Step::kCentral;
        pending_ = central_directory();
      }
      break;
    case Step::kCentral:
    case Step::kDone: step_ = Step::kDone; break;
  }
}

std::size_t ZipStream::read(char* buffer, std::size_t capacity) {
  std::size_t filled = 0;
  while (filled < capacity && step_ != Step::kDone) {
    if (step_ != Step::kData) {
      const std::size_t n = std::min(capacity - filled, pending_.size() - pending_at_);
      std::copy_n(pending_.data() + pending_at_, n, buffer + filled);
      filled += n;
      pending_at_ += n;
      if (pending_at_ == pending_.size()) advance();
      continue;
    }
    const Entry& e = entries_[at_];
    if (done_ < e.size) {
      try {
        if (!source_) source_ = e.open();
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(capacity - filled, e.size - done_));
        const std::size_t n = source_->read(buffer + filled, want);
        if (n == 0) throw std::runtime_error("ZIP entry " + e.name + " ended before its size");
        crc_ = static_cast<std::uint32_t>(
            crc32(crc_, reinterpret_cast<const Bytef*>(buffer + filled), static_cast<uInt>(n)));
        filled += n;
        done_ += n;
      } catch (...) {
        if (filled > 0) return filled;  // what was read goes out; the next call fails again
        throw;
      }
    }
    if (done_ >= e.size) advance();
  }
  return filled;
}

}  // namespace carehub::dicom

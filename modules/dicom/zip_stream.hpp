// A ZIP archive written as it is sent: each entry STOREd (no compression: DICOM pixel data is
// often compressed already), its CRC-32 computed while its bytes go out and written after them in
// a data descriptor, the central directory at the end. Sizes are known in advance (the index has
// them), so the archive's length is too: it goes out with a Content-Length. ZIP64 records are
// written where a size, an offset or the entry count does not fit the classic fields (an archive
// over 4 GiB, or over 65,535 entries). Only one entry's source is open at a time.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "carehub/http.hpp"

namespace carehub::dicom {

class ZipStream : public BodySource {
 public:
  struct Entry {
    std::string name;  // a relative path with '/' separators, UTF-8
    std::uint64_t size = 0;
    PiecesBody::Opener open;  // gives exactly size bytes
  };
  // modified_ms: the time every entry is dated (ZIP's MS-DOS time, UTC, two-second steps).
  ZipStream(std::vector<Entry> entries, std::int64_t modified_ms);

  std::optional<std::uint64_t> size() const override { return total_; }
  std::size_t read(char* buffer, std::size_t capacity) override;

 private:
  struct Placed {
    std::uint64_t offset = 0;  // of its local header
    std::uint32_t crc = 0;     // known once its bytes have been read
    bool zip64 = false;        // its size needs ZIP64 fields
  };
  enum class Step { kHeader, kData, kDescriptor, kCentral, kDone };

  std::string local_header(std::size_t i) const;
  std::string descriptor(std::size_t i) const;
  std::string central_directory() const;
  void advance();  // the next step once the current one is sent

  std::vector<Entry> entries_;
  std::vector<Placed> placed_;
  std::uint16_t dos_time_ = 0, dos_date_ = 0;
  std::uint64_t central_offset_ = 0, total_ = 0;

  Step step_ = Step::kHeader;
  std::size_t at_ = 0;   // the entry being sent
  std::string pending_;  // header, descriptor or directory bytes not yet sent
  std::size_t pending_at_ = 0;
  std::shared_ptr<BodySource> source_;
  std::uint64_t done_ = 0;  // bytes of the entry's data sent
  std::uint32_t crc_ = 0;
};

}  // namespace carehub::dicom

// The ZIP written as it is sent (modules/dicom/zip_stream.hpp): the announced size is what is
// written, each central directory entry carries the CRC-32 of the bytes streamed, and ZIP64
// records appear exactly when the entry count overflows the classic fields. (unzip -t and
// Python's zipfile read real archives in tests/e2e/dicom_archive_test.cpp.)
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstring>

#include "dicom/zip_stream.hpp"

using carehub::BodySource;
using carehub::dicom::ZipStream;

namespace {

// n bytes of a simple sequence, in a source of their own.
class Counting : public BodySource {
 public:
  Counting(std::uint64_t n, unsigned char seed) : left_(n), next_(seed) {}
  std::optional<std::uint64_t> size() const override { return left_; }
  std::size_t read(char* buffer, std::size_t capacity) override {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(capacity, left_));
    for (std::size_t i = 0; i < n; ++i) buffer[i] = static_cast<char>(next_++);
    left_ -= n;
    return n;
  }

 private:
  std::uint64_t left_;
  unsigned char next_;
};

std::string content(std::uint64_t n, unsigned char seed) {
  std::string s(n, '\0');
  Counting(n, seed).read(s.data(), s.size());
  return s;
}

std::vector<ZipStream::Entry> entries(int count) {
  std::vector<ZipStream::Entry> out;
  for (int i = 0; i < count; ++i) {
    const std::uint64_t n = static_cast<std::uint64_t>(i % 7) * 301;
    const auto seed = static_cast<unsigned char>(i);
    out.push_back({"s/" + std::to_string(i) + ".dcm", n,
                   [n, seed] { return std::make_shared<Counting>(n, seed); }});
  }
  return out;
}

std::string drain(ZipStream& zip) {
  std::string out;
  char buffer[4093];  // odd-sized reads cross every boundary somewhere
  for (std::size_t n; (n = zip.read(buffer, sizeof buffer)) > 0;) out.append(buffer, n);
  return out;
}

std::uint32_t u32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  std::memcpy(&v, s.data() + at, 4);
  return v;
}
std::uint16_t u16(const std::string& s, std::size_t at) {
  std::uint16_t v = 0;
  std::memcpy(&v, s.data() + at, 2);
  return v;
}

}  // namespace

TEST_CASE("zip stream: size announced, CRCs of the streamed bytes in the directory",
          "[unit][dicom]") {
  ZipStream zip(entries(5), 1700000000000);
  const auto announced = zip.size();
  const std::string bytes = drain(zip);
  REQUIRE(announced == bytes.size());
  const std::size_t end = bytes.size() - 22;
  REQUIRE(u32(bytes, end) == 0x06054b50);
  CHECK(u16(bytes, end + 10) == 5);
  std::size_t at = u32(bytes, end + 16);  // the central directory
  for (int i = 0; i < 5; ++i) {
    REQUIRE(u32(bytes, at) == 0x02014b50);
    const std::uint64_t n = static_cast<std::uint64_t>(i % 7) * 301;
    const std::string data = content(n, static_cast<unsigned char>(i));
    const auto crc = crc32(0L, reinterpret_cast<const Bytef*>(data.data()), data.size());
    CHECK(u32(bytes, at + 16) == crc);
    CHECK(u32(bytes, at + 20) == n);
    const std::uint32_t local = u32(bytes, at + 42);
    CHECK(u32(bytes, local) == 0x04034b50);
    const std::string name = "s/" + std::to_string(i) + ".dcm";
    CHECK(bytes.substr(local + 30, name.size()) == name);
    CHECK(bytes.substr(local + 30 + name.size(), n) == data);  // STOREd as it is
    at += 46 + u16(bytes, at + 28) + u16(bytes, at + 30);
  }
}

TEST_CASE("zip stream: more than 65,535 entries get the ZIP64 end records", "[unit][dicom]") {
  ZipStream zip(entries(70000), 0);
  const auto announced = zip.size();
  const std::string bytes = drain(zip);
  REQUIRE(announced == bytes.size());
  const std::size_t end = bytes.size() - 22;
  REQUIRE(u32(bytes, end) == 0x06054b50);
  CHECK(u16(bytes, end + 10) == 0xFFFF);
  REQUIRE(u32(bytes, end - 20) == 0x07064b50);  // the locator
  std::uint64_t end64 = 0;
  std::memcpy(&end64, bytes.data() + end - 20 + 8, 8);
  REQUIRE(u32(bytes, end64) == 0x06064b50);
  std::uint64_t count = 0;
  std::memcpy(&count, bytes.data() + end64 + 32, 8);
  CHECK(count == 70000);
}

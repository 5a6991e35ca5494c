// A download's request headers as download_response reads them (src/core/download.cpp): Range
// (one byte range, or several, which get the whole object) and If-None-Match against the
// object's ETag, plus the Content-Disposition built from a stored file name. The object comes
// from an in-memory store; the answer must be 200, 206 or 304, a 206 must name a range inside
// the object and stream exactly its bytes, and no header may carry a line break.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "carehub/download.hpp"
#include "carehub/error.hpp"

namespace {

constexpr std::uint64_t kMaxReadBytes = 1 << 16;  // larger objects: headers only

char byte_at(std::uint64_t i) {
  return static_cast<char>((i * 31 + 7) & 0xff);
}

// Objects of any size whose byte i is byte_at(i); only small ones are ever read.
class PatternStore : public carehub::BlobStore {
 public:
  explicit PatternStore(std::uint64_t size) : size_(size) {}
  carehub::BlobInfo put(std::string_view, std::istream&, std::uint64_t) override { return {}; }
  std::unique_ptr<std::istream> get(std::string_view,
                                    std::optional<carehub::ByteRange> range) override {
    const std::uint64_t first = range ? range->first : 0;
    const std::uint64_t end = range && range->last ? *range->last + 1 : size_;
    if (end < first || end > size_) __builtin_trap();  // asked past the end
    std::string bytes;
    if (size_ <= kMaxReadBytes) {
      for (std::uint64_t i = first; i < end; ++i) bytes.push_back(byte_at(i));
    }
    return std::make_unique<std::istringstream>(bytes);
  }
  std::optional<carehub::BlobInfo> stat(std::string_view) override { return std::nullopt; }
  bool exists(std::string_view) override { return true; }
  bool remove(std::string_view) override { return false; }
  std::vector<carehub::BlobInfo> list(std::string_view) override { return {}; }

 private:
  std::uint64_t size_;
};

std::optional<std::string> header(const carehub::Response& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return std::nullopt;
}

void check(const carehub::Response& r, std::uint64_t size) {
  for (const auto& [name, value] : r.headers) {
    if (value.find_first_of("\r\n") != std::string::npos) __builtin_trap();
  }
  if (r.status == 304) return;
  if ((r.status != 200 && r.status != 206) || !r.stream || !r.stream->size()) __builtin_trap();
  std::uint64_t first = 0, last = size - 1;
  if (r.status == 206) {
    const auto range = header(r, "Content-Range");
    if (!range) __builtin_trap();
    unsigned long long a = 0, b = 0, total = 0;
    if (std::sscanf(range->c_str(), "bytes %llu-%llu/%llu", &a, &b, &total) != 3) __builtin_trap();
    if (a > b || b >= size || total != size) __builtin_trap();
    first = a, last = b;
  }
  const std::uint64_t length = size == 0 ? 0 : last - first + 1;
  if (*r.stream->size() != length) __builtin_trap();
  if (size > kMaxReadBytes) return;
  std::string body(length + 1, '\0');
  std::uint64_t got = 0;
  while (std::size_t n = r.stream->read(body.data() + got, body.size() - got)) got += n;
  if (got != length) __builtin_trap();
  for (std::uint64_t i = 0; i < length; ++i) {
    if (body[i] != byte_at(first + i)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const bool small = in.ConsumeBool();
  const std::uint64_t object_size = small ? in.ConsumeIntegralInRange<std::uint64_t>(0, 4096)
                                          : in.ConsumeIntegral<std::uint64_t>();
  carehub::Download download{"documents/1", object_size, std::string(64, 'a'), "application/pdf",
                             in.ConsumeRandomLengthString(256)};
  carehub::Request req;
  if (in.ConsumeBool()) req.headers.emplace_back("range", in.ConsumeRandomLengthString(256));
  if (in.ConsumeBool()) {
    req.headers.emplace_back("if-none-match", in.ConsumeRemainingBytesAsString());
  }
  PatternStore store(object_size);
  try {
    check(carehub::download_response(req, store, download), object_size);
  } catch (const carehub::ApiError& e) {
    if (e.code() != carehub::ErrorCode::kBadRequest &&
        e.code() != carehub::ErrorCode::kRangeNotSatisfiable)
      __builtin_trap();
  }
  return 0;
}

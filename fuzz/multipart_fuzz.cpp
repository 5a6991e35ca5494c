// A multipart upload as the upload routes read it (EMPI import, case documents, STOW-RS): the
// Content-Type header through parse_multipart_content_type, then the spooled body through
// scan_multipart. The body is scanned twice, with the routes' path entry point (64 KiB reads) and
// with reads of a few bytes, so a delimiter, a CRLF or a header line may straddle any read: both
// scans must agree, and every part's range must lie inside the body.
//
// Input: one byte choosing the small read size, the Content-Type value up to the first LF, then
// the body.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "carehub/multipart.hpp"
#include "fuzz_support.hpp"

namespace {

// The routes' own cap (EMPI import and documents); STOW-RS allows more, to the same code.
constexpr std::size_t kMaxParts = 16;

struct Scan {
  std::vector<carehub::MultipartPart> parts;
  std::optional<std::string> error;
};

bool same(const carehub::MultipartPart& a, const carehub::MultipartPart& b) {
  return a.headers == b.headers && a.name == b.name && a.filename == b.filename &&
         a.content_type == b.content_type && a.offset == b.offset && a.length == b.length;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::size_t chunk = 1 + data[0] % 96;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t newline = rest.find('\n');
  if (newline == std::string_view::npos) return 0;
  const auto type = carehub::parse_multipart_content_type(rest.substr(0, newline));
  if (!type) return 0;
  const std::string_view body = rest.substr(newline + 1);
  const carehub::fuzz::MemFile file(body);

  Scan whole, pieces;
  try {
    whole.parts = carehub::scan_multipart(file.path(), type->boundary, kMaxParts);
  } catch (const carehub::MultipartError& e) {
    whole.error = e.what();
  }
  try {
    carehub::scan_multipart(
        file.fd(), type->boundary,
        [&](carehub::MultipartPart&& part) { pieces.parts.push_back(std::move(part)); }, kMaxParts,
        chunk);
  } catch (const carehub::MultipartError& e) {
    pieces.error = e.what();
  }

  if (whole.error != pieces.error) __builtin_trap();
  if (whole.error) return 0;
  if (whole.parts.size() != pieces.parts.size() || whole.parts.size() > kMaxParts) __builtin_trap();
  std::uint64_t end = 0;
  for (std::size_t i = 0; i < whole.parts.size(); ++i) {
    const auto& part = whole.parts[i];
    if (!same(part, pieces.parts[i])) __builtin_trap();
    if (part.offset < end || part.offset + part.length > body.size()) __builtin_trap();
    end = part.offset + part.length;
  }
  return 0;
}

#include "carehub/download.hpp"

#include <charconv>
#include <optional>

#include "carehub/error.hpp"

namespace carehub {
namespace {

std::optional<std::uint64_t> number(std::string_view s) {
  std::uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// The one range asked for, as [first, last]; nullopt: the whole object (no Range, or several).
std::optional<std::pair<std::uint64_t, std::uint64_t>> range_of(std::string_view header,
                                                                std::uint64_t size) {
  if (!header.starts_with("bytes="))
    throw ApiError(ErrorCode::kBadRequest, "Range must be bytes=...");
  const auto spec = header.substr(6);
  if (spec.find(',') != std::string_view::npos) return std::nullopt;
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos) throw ApiError(ErrorCode::kBadRequest, "Range is malformed");
  const auto a = spec.substr(0, dash), b = spec.substr(dash + 1);
  const auto unsatisfiable = [&] {
    return ApiError(ErrorCode::kRangeNotSatisfiable,
                    "the range starts past the end (" + std::to_string(size) + " bytes)")
        .with_header("Content-Range", "bytes */" + std::to_string(size));
  };
  if (a.empty()) {  // the last n bytes
    auto n = number(b);
    if (!n) throw ApiError(ErrorCode::kBadRequest, "Range is malformed");
    if (*n == 0 || size == 0) throw unsatisfiable();
    return std::pair{size - std::min(*n, size), size - 1};
  }
  const auto first = number(a);
  const auto last = b.empty() ? std::optional<std::uint64_t>(UINT64_MAX) : number(b);
  if (!first || !last || *last < *first)
    throw ApiError(ErrorCode::kBadRequest, "Range is malformed");
  if (*first >= size) throw unsatisfiable();
  return std::pair{*first, std::min(*last, size - 1)};
}

}  // namespace

bool etag_matches(std::string_view header, std::string_view etag) {
  if (header == "*") return true;
  std::size_t at = 0;
  while (at < header.size()) {
    auto comma = header.find(',', at);
    auto item =
        header.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item == etag) return true;
    if (comma == std::string_view::npos) break;
    at = comma + 1;
  }
  return false;
}

std::string content_disposition(const std::string& filename, bool show_inline) {
  std::string ascii, encoded;
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : filename) {
    const bool plain = std::isalnum(c) || c == '.' || c == '-' || c == '_' || c == ' ';
    ascii.push_back(plain ? static_cast<char>(c) : '_');
    if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
      encoded.push_back(static_cast<char>(c));
    } else {
      encoded += '%';
      encoded += kHex[c >> 4];
      encoded += kHex[c & 15];
    }
  }
  if (ascii.empty()) ascii = "download";
  return std::string(show_inline ? "inline" : "attachment") + "; filename=\"" + ascii +
         "\"; filename*=UTF-8''" + encoded;
}

Response download_response(const Request& request, BlobStore& blobs, const Download& d) {
  const std::string etag = "\"" + d.sha256 + "\"";
  if (auto inm = request.header("if-none-match"); inm && etag_matches(*inm, etag)) {
    Response r;
    r.status = 304;
    r.content_type.clear();
    return r.with_header("ETag", etag);
  }
  std::optional<std::pair<std::uint64_t, std::uint64_t>> range;
  if (auto h = request.header("range")) range = range_of(*h, d.size);
  const std::uint64_t offset = range ? range->first : 0;
  const std::uint64_t length = range ? range->second - range->first + 1 : d.size;
  std::shared_ptr<BodySource> body;
  if (auto path = blobs.local_path(d.key)) {
    body = file_body(*path, offset, length);
  } else {
    auto in = range ? blobs.get(d.key, ByteRange{offset, offset + length - 1}) : blobs.get(d.key);
    if (!in) throw ApiError(ErrorCode::kNotFound, "the document's content is missing");
    body = istream_body(std::move(in), length);
  }
  auto r = Response::streamed(body, d.content_type, range ? 206 : 200);
  r.with_header("ETag", etag)
      .with_header("Accept-Ranges", "bytes")
      .with_header("Content-Disposition", content_disposition(d.filename, d.show_inline))
      .with_header("X-Content-Type-Options", "nosniff");
  if (range) {
    r.with_header("Content-Range", "bytes " + std::to_string(range->first) + "-" +
                                       std::to_string(range->second) + "/" +
                                       std::to_string(d.size));
  }
  return r;
}

}  // namespace carehub

// Multipart bodies (multipart/form-data, RFC 7578; multipart/related, RFC 2387) found in a file
// without loading them: the HTTP server spools an upload to disk, and scan_multipart() reads the
// file once in chunks and reports each part's headers and the byte range of its content, which the
// caller then reads straight from the file (pread, ifstream seek). Memory stays at one chunk plus
// one part's headers, whatever the size of the parts.
//
// Delimiters are CRLF "--" boundary (the first may open the file without the CRLF), followed by
// optional spaces/tabs and a line end, or by "--" for the closing one. Preamble and epilogue are
// ignored. Part headers may end their lines with LF alone; delimiters may not.
//
// A body the client got wrong throws MultipartError with a message meant for the client (HTTP 400);
// a failure to read the file throws std::system_error (a server fault).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace carehub {

inline constexpr std::size_t kMultipartMaxHeaderBytes = 16 * 1024;  // per part, blank line included
inline constexpr std::size_t kMultipartChunkBytes = 64 * 1024;
inline constexpr std::size_t kMultipartDefaultMaxParts = 10000;

struct MultipartPart {
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed
  std::string name;                     // Content-Disposition "name"; "" when absent
  std::optional<std::string> filename;  // Content-Disposition "filename*" (decoded) or "filename",
                                        // as sent: never use it as a path
  std::string content_type;             // the whole header value; "" when absent (callers default
                                        // it as their RFC says)
  std::uint64_t offset = 0;             // where the content starts in the file
  std::uint64_t length = 0;             // content bytes, without the CRLF before the delimiter

  // First header with that (lower-case) name.
  std::optional<std::string_view> header(std::string_view lower_name) const;
};

class MultipartError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct MultipartType {
  std::string media_type;  // lower-cased, e.g. "multipart/related"
  std::string boundary;    // 1-70 visible ASCII characters or spaces, not ending in a space
  std::optional<std::string> type;  // the "type" parameter (multipart/related), when present
};

// nullopt when the value is not multipart/*, or has no valid (or more than one) boundary.
std::optional<MultipartType> parse_multipart_content_type(std::string_view content_type);

// Scans the body in the file at path. Throws MultipartError ("no opening boundary",
// "part headers too long", "body ends before the closing boundary", "more than N parts", ...),
// std::system_error when the file cannot be read, std::invalid_argument for an invalid boundary.
std::vector<MultipartPart> scan_multipart(const std::string& path, std::string_view boundary,
                                          std::size_t max_parts = kMultipartDefaultMaxParts);

// Same over an open file (read with pread from offset 0; the fd's position is left alone), handing
// each part to on_part as soon as its end is found. chunk_bytes is the read size (tests shrink it).
void scan_multipart(int fd, std::string_view boundary,
                    const std::function<void(MultipartPart&&)>& on_part,
                    std::size_t max_parts = kMultipartDefaultMaxParts,
                    std::size_t chunk_bytes = kMultipartChunkBytes);

}  // namespace carehub

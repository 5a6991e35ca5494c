#include "carehub/multipart.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "carehub/text_check.hpp"
#include "carehub/unique_fd.hpp"

namespace carehub {

namespace {

// A delimiter line may carry this much transport padding; more and it is not taken as one.
constexpr std::size_t kMaxPadding = 1024;
constexpr std::size_t kNotFound = static_cast<std::size_t>(-1);

bool is_space(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 2046 asks for 1-70 bchars; any visible ASCII is accepted because the scanner only needs the
// boundary to be a short, line-free string, and some clients stray from bchars.
bool valid_boundary(std::string_view b) {
  if (b.empty() || b.size() > 70 || b.back() == ' ') return false;
  for (char c : b) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

struct HeaderValue {
  std::string main;                                         // lower-cased
  std::vector<std::pair<std::string, std::string>> params;  // names lower-cased
};

// main *( ";" name "=" ( token | quoted-string ) ); nullopt when a parameter is malformed.
// A backslash escapes only '"' and '\' (as Go's mime package does), so that the unescaped Windows
// paths some browsers send as filenames survive.
std::optional<HeaderValue> parse_header_value(std::string_view v) {
  HeaderValue out;
  std::size_t i = std::min(v.find(';'), v.size());
  out.main = lower(trim(v.substr(0, i)));
  while (i < v.size()) {
    if (v[i] == ';' || is_space(v[i])) {
      ++i;
      continue;
    }
    const std::size_t eq = v.find('=', i);
    if (eq == std::string_view::npos || eq > v.find(';', i)) return std::nullopt;
    std::string name = lower(trim(v.substr(i, eq - i)));
    if (name.empty()) return std::nullopt;
    i = eq + 1;
    while (i < v.size() && is_space(v[i])) ++i;
    std::string value;
    if (i < v.size() && v[i] == '"') {
      bool closed = false;
      for (++i; i < v.size();) {
        char c = v[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\' && i < v.size() && (v[i] == '"' || v[i] == '\\')) c = v[i++];
        value += c;
      }
      while (i < v.size() && is_space(v[i])) ++i;
      if (!closed || (i < v.size() && v[i] != ';')) return std::nullopt;
    } else {
      const std::size_t end = std::min(v.find(';', i), v.size());
      value = trim(v.substr(i, end - i));
      i = end;
    }
    out.params.emplace_back(std::move(name), std::move(value));
  }
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 5987 ext-value: charset "'" [language] "'" pct-encoded. UTF-8 and ISO-8859-1 are decoded to
// UTF-8; anything else (or a bad escape, invalid UTF-8, a NUL) gives nullopt.
std::optional<std::string> decode_ext_value(std::string_view v) {
  const std::size_t q1 = v.find('\'');
  const std::size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
  if (q2 == std::string_view::npos) return std::nullopt;
  const std::string charset = lower(v.substr(0, q1));
  std::string raw;
  for (std::size_t i = q2 + 1; i < v.size(); ++i) {
    if (v[i] != '%') {
      raw += v[i];
      continue;
    }
    if (i + 2 >= v.size() || hex_digit(v[i + 1]) < 0 || hex_digit(v[i + 2]) < 0) {
      return std::nullopt;
    }
    raw += static_cast<char>(hex_digit(v[i + 1]) * 16 + hex_digit(v[i + 2]));
    i += 2;
  }
  if (raw.find('\0') != std::string::npos) return std::nullopt;
  if (charset == "utf-8") return valid_utf8(raw) ? std::optional(raw) : std::nullopt;
  if (charset != "iso-8859-1") return std::nullopt;
  std::string utf8;
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      utf8 += ch;
    } else {
      utf8 += static_cast<char>(0xc0 | (c >> 6));
      utf8 += static_cast<char>(0x80 | (c & 0x3f));
    }
  }
  return utf8;
}

// Boyer-Moore-Horspool over one buffer: the delimiter needle is 5-74 bytes, so most steps skip
// that many bytes and a large part scans at memory speed. Content crafted against the boundary can
// force a compare of up to 73 bytes per position: bounded, and it only slows its own upload.
class Horspool {
 public:
  explicit Horspool(std::string_view needle) : needle_(needle) {
    skip_.fill(needle.size());
    for (std::size_t i = 0; i + 1 < needle.size(); ++i) {
      skip_[static_cast<unsigned char>(needle[i])] = needle.size() - 1 - i;
    }
  }

  std::size_t find(const char* p, std::size_t n) const {
    const std::size_t m = needle_.size();
    const auto last = static_cast<unsigned char>(needle_.back());
    for (std::size_t i = 0; i + m <= n;) {
      const auto c = static_cast<unsigned char>(p[i + m - 1]);
      if (c == last && std::memcmp(p + i, needle_.data(), m - 1) == 0) return i;
      i += skip_[c];
    }
    return kNotFound;
  }

 private:
  std::string_view needle_;
  std::array<std::size_t, 256> skip_{};
};

// A sliding window over the file: bytes from the last release() point up to what has been read.
class Window {
 public:
  Window(int fd, std::size_t chunk) : fd_(fd), chunk_(chunk) {}

  void release(std::uint64_t off) {
    assert(off >= keep_ && off <= end());
    keep_ = off;
  }

  // Bytes available from off, reading until there are at least n or the file ends.
  std::size_t fill(std::uint64_t off, std::size_t n) {
    assert(off >= keep_ && off <= end());
    while (end() - off < n && !eof_) read_chunk();
    return static_cast<std::size_t>(end() - off);
  }

  const char* at(std::uint64_t off) const { return buf_.data() + (off - start_); }

 private:
  std::uint64_t end() const { return start_ + len_; }

  void read_chunk() {
    const auto drop = static_cast<std::size_t>(keep_ - start_);
    if (drop > 0) {
      std::memmove(buf_.data(), buf_.data() + drop, len_ - drop);
      len_ -= drop;
      start_ = keep_;
    }
    if (buf_.size() < len_ + chunk_) buf_.resize(len_ + chunk_);
    ssize_t got = 0;
    do {
      got = ::pread(fd_, buf_.data() + len_, chunk_, static_cast<off_t>(end()));
    } while (got < 0 && errno == EINTR);
    if (got < 0) throw std::system_error(errno, std::generic_category(), "reading multipart body");
    eof_ = got == 0;
    len_ += static_cast<std::size_t>(got);
  }

  int fd_;
  std::size_t chunk_;
  std::vector<char> buf_;
  std::size_t len_ = 0;
  std::uint64_t start_ = 0;  // file offset of buf_[0]
  std::uint64_t keep_ = 0;
  bool eof_ = false;
};

enum class DelimKind { kNext, kClose, kNone, kTruncated };

struct Delim {
  DelimKind kind = DelimKind::kNone;
  std::uint64_t next = 0;  // kNext: where the next part's headers start
};

struct Found {
  std::uint64_t at = 0;  // first byte of the delimiter (its CRLF, or its dashes)
  Delim delim;
};

MultipartError truncated() {
  return MultipartError("body ends before the closing boundary");
}

class Scanner {
 public:
  Scanner(int fd, std::string_view boundary, std::size_t chunk)
      : window_(fd, chunk),
        needle_("\r\n--" + std::string(boundary)),
        dash_(std::string_view(needle_).substr(2)),
        search_(needle_) {}
  Scanner(const Scanner&) = delete;  // dash_ and search_ point into needle_
  Scanner& operator=(const Scanner&) = delete;

  void run(const std::function<void(MultipartPart&&)>& on_part, std::size_t max_parts) {
    std::optional<Found> found = find_delimiter(0);
    if (!found) throw MultipartError("no opening boundary");
    std::size_t count = 0;
    while (found->delim.kind == DelimKind::kNext) {
      if (count == max_parts) {
        throw MultipartError("more than " + std::to_string(max_parts) + " parts");
      }
      ++count;
      MultipartPart part;
      std::uint64_t content = 0;
      std::optional<Found> end = read_headers(found->delim.next, count, part, content);
      if (!end) end = find_delimiter(content);
      if (!end) throw truncated();
      part.offset = content;
      part.length = end->at - content;
      describe(part, count);
      on_part(std::move(part));
      found = end;
    }
  }

 private:
  // What follows a "--boundary" ending just before `after`.
  Delim classify(std::uint64_t after) {
    for (std::size_t i = 0;; ++i) {
      const std::size_t avail = window_.fill(after, i + 2);
      if (avail <= i) return {DelimKind::kTruncated};
      const char* p = window_.at(after);
      if (i == 0 && p[0] == '-') {
        if (avail < 2) return {DelimKind::kTruncated};
        return {p[1] == '-' ? DelimKind::kClose : DelimKind::kNone};
      }
      if (p[i] == '\n') return {DelimKind::kNext, after + i + 1};
      if (p[i] == '\r') {
        if (avail < i + 2) return {DelimKind::kTruncated};
        return p[i + 1] == '\n' ? Delim{DelimKind::kNext, after + i + 2} : Delim{};
      }
      if (!is_space(p[i]) || i == kMaxPadding) return {};
    }
  }

  // The first delimiter at or after `from`, which may be a bare "--boundary" right at `from` (the
  // start of the body, or of a part's content whose headers ate the CRLF). nullopt at end of file.
  std::optional<Found> find_delimiter(std::uint64_t from) {
    window_.release(from);
    if (window_.fill(from, dash_.size()) >= dash_.size() &&
        std::memcmp(window_.at(from), dash_.data(), dash_.size()) == 0) {
      const Delim d = classify(from + dash_.size());
      if (d.kind == DelimKind::kTruncated) return std::nullopt;
      if (d.kind != DelimKind::kNone) return Found{from, d};
    }
    const std::size_t m = needle_.size();
    for (std::uint64_t cur = from;;) {
      window_.release(cur);
      const std::size_t avail = window_.fill(cur, m);
      if (avail < m) return std::nullopt;
      const std::size_t hit = search_.find(window_.at(cur), avail);
      if (hit == kNotFound) {
        cur += avail - m + 1;
        continue;
      }
      const Delim d = classify(cur + hit + m);
      if (d.kind == DelimKind::kTruncated) return std::nullopt;
      if (d.kind != DelimKind::kNone) return Found{cur + hit, d};
      cur += hit + 1;
    }
  }

  // Reads the header block starting at `start` into part and sets content to where the content
  // starts. Returns the delimiter when the block runs straight into one (a part without content).
  std::optional<Found> read_headers(std::uint64_t start, std::size_t number, MultipartPart& part,
                                    std::uint64_t& content) {
    const auto too_long = [number] {
      return MultipartError("part headers too long (part " + std::to_string(number) + ", limit " +
                            std::to_string(kMultipartMaxHeaderBytes) + " bytes)");
    };
    window_.release(start);
    for (std::uint64_t line = start;;) {
      if (window_.fill(line, dash_.size()) >= dash_.size() &&
          std::memcmp(window_.at(line), dash_.data(), dash_.size()) == 0) {
        const Delim d = classify(line + dash_.size());
        if (d.kind == DelimKind::kTruncated) throw truncated();
        if (d.kind != DelimKind::kNone) {
          content = line;
          return Found{line, d};
        }
      }
      std::size_t scanned = 0;
      std::size_t len = 0;
      for (;;) {
        const std::size_t avail = window_.fill(line, scanned + 1);
        if (avail <= scanned) throw truncated();
        const char* p = window_.at(line);
        if (const void* nl = std::memchr(p + scanned, '\n', avail - scanned)) {
          len = static_cast<std::size_t>(static_cast<const char*>(nl) - p);
          break;
        }
        scanned = avail;
        if (line + scanned - start > kMultipartMaxHeaderBytes) throw too_long();
      }
      const std::uint64_t next = line + len + 1;
      if (next - start > kMultipartMaxHeaderBytes) throw too_long();
      std::string_view text(window_.at(line), len);
      if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
      if (text.empty()) {
        content = next;
        return std::nullopt;
      }
      add_header(part, text, number);
      line = next;
    }
  }

  static void add_header(MultipartPart& part, std::string_view text, std::size_t number) {
    const auto malformed = [number] {
      return MultipartError("malformed header line in part " + std::to_string(number));
    };
    if (is_space(text.front())) {  // obsolete line folding (RFC 5322): continues the last value
      if (part.headers.empty()) throw malformed();
      std::string& value = part.headers.back().second;
      value += value.empty() ? "" : " ";
      value += trim(text);
      return;
    }
    const std::size_t colon = text.find(':');
    const std::string name = lower(trim(text.substr(0, std::min(colon, text.size()))));
    if (colon == std::string_view::npos || name.empty()) throw malformed();
    part.headers.emplace_back(name, std::string(trim(text.substr(colon + 1))));
  }

  static void describe(MultipartPart& part, std::size_t number) {
    if (auto ct = part.header("content-type")) part.content_type = std::string(*ct);
    const auto cd = part.header("content-disposition");
    if (!cd) return;
    const std::optional<HeaderValue> value = parse_header_value(*cd);
    if (!value) {
      throw MultipartError("malformed Content-Disposition in part " + std::to_string(number));
    }
    std::optional<std::string> name, filename, ext_filename;
    for (const auto& [key, v] : value->params) {
      if (key == "name" && !name) name = v;
      if (key == "filename" && !filename) filename = v;
      if (key == "filename*" && !ext_filename) ext_filename = decode_ext_value(v);
    }
    part.name = name.value_or("");
    part.filename = ext_filename ? ext_filename : filename;
  }

  Window window_;
  std::string needle_;     // CRLF "--" boundary
  std::string_view dash_;  // "--" boundary
  Horspool search_;
};

}  // namespace

std::optional<std::string_view> MultipartPart::header(std::string_view lower_name) const {
  for (const auto& [key, value] : headers) {
    if (key == lower_name) return value;
  }
  return std::nullopt;
}

std::optional<MultipartType> parse_multipart_content_type(std::string_view content_type) {
  const std::optional<HeaderValue> value = parse_header_value(content_type);
  if (!value || !value->main.starts_with("multipart/") || value->main.size() == 10) {
    return std::nullopt;
  }
  MultipartType out{value->main, {}, std::nullopt};
  bool have_boundary = false;
  for (const auto& [key, v] : value->params) {
    if (key == "boundary") {
      if (have_boundary) return std::nullopt;  // ambiguous: two readers could pick different ones
      have_boundary = true;
      out.boundary = v;
    } else if (key == "type" && !out.type) {
      out.type = v;
    }
  }
  if (!valid_boundary(out.boundary)) return std::nullopt;
  return out;
}

void scan_multipart(int fd, std::string_view boundary,
                    const std::function<void(MultipartPart&&)>& on_part, std::size_t max_parts,
                    std::size_t chunk_bytes) {
  if (!valid_boundary(boundary)) throw std::invalid_argument("invalid multipart boundary");
  if (chunk_bytes == 0) throw std::invalid_argument("multipart chunk size must be positive");
  Scanner(fd, boundary, chunk_bytes).run(on_part, max_parts);
}

std::vector<MultipartPart> scan_multipart(const std::string& path, std::string_view boundary,
                                          std::size_t max_parts) {
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw std::system_error(errno, std::generic_category(), "opening " + path);
  std::vector<MultipartPart> parts;
  scan_multipart(
      fd.get(), boundary, [&parts](MultipartPart&& part) { parts.push_back(std::move(part)); },
      max_parts);
  return parts;
}

}  // namespace carehub

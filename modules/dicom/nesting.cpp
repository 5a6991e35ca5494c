#include "dicom/nesting.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "carehub/unique_fd.hpp"

namespace carehub::dicom {
namespace {

constexpr std::uint32_t kUndefined = 0xFFFFFFFF;
constexpr std::uint64_t kNoEnd = std::numeric_limits<std::uint64_t>::max();

// Bytes in order, with a little look-ahead; skip() of a value never reads it where it can seek.
class Source {
 public:
  virtual ~Source() = default;
  // Fills out with n bytes; false when the input ends first.
  bool read(void* out, std::size_t n) {
    if (!fill(n)) return false;
    std::memcpy(out, buffer_.data() + at_, n);
    at_ += n;
    pos_ += n;
    return true;
  }
  // Up to n bytes into out, as many as come; 0 at the end.
  std::size_t read_up_to(void* out, std::size_t n) {
    if (at_ == buffer_.size()) {
      buffer_.clear();
      at_ = 0;
      const std::size_t got = more(static_cast<unsigned char*>(out), n);
      pos_ += got;
      return got;
    }
    const std::size_t got = std::min(n, buffer_.size() - at_);
    std::memcpy(out, buffer_.data() + at_, got);
    at_ += got;
    pos_ += got;
    return got;
  }
  // The next n bytes without consuming them; nullptr when the input ends first.
  const unsigned char* peek(std::size_t n) { return fill(n) ? buffer_.data() + at_ : nullptr; }
  bool skip(std::uint64_t n) {
    const std::uint64_t buffered = buffer_.size() - at_;
    if (n <= buffered) {
      at_ += static_cast<std::size_t>(n);
      pos_ += n;
      return true;
    }
    n -= buffered;
    pos_ += buffered;
    buffer_.clear();
    at_ = 0;
    if (!discard(n)) return false;
    pos_ += n;
    return true;
  }
  std::uint64_t position() const { return pos_; }

 protected:
  // Appends up to want bytes to out; 0 at the end.
  virtual std::size_t more(unsigned char* out, std::size_t want) = 0;
  // Passes over n bytes the buffer does not hold; false when the input ends first.
  virtual bool discard(std::uint64_t n) {
    std::array<unsigned char, 16384> sink;
    while (n > 0) {
      const std::size_t got =
          more(sink.data(), static_cast<std::size_t>(std::min<std::uint64_t>(n, sink.size())));
      if (got == 0) return false;
      n -= got;
    }
    return true;
  }

 private:
  bool fill(std::size_t n) {
    if (buffer_.size() - at_ >= n) return true;
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(at_));
    at_ = 0;
    while (buffer_.size() < n) {
      const std::size_t have = buffer_.size();
      buffer_.resize(std::max<std::size_t>(n, 4096));
      const std::size_t got = more(buffer_.data() + have, buffer_.size() - have);
      buffer_.resize(have + got);
      if (got == 0) return false;
    }
    return true;
  }

  std::vector<unsigned char> buffer_;
  std::size_t at_ = 0;
  std::uint64_t pos_ = 0;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}

 protected:
  std::size_t more(unsigned char* out, std::size_t want) override {
    const std::size_t n = std::min(want, bytes_.size() - at_);
    std::memcpy(out, bytes_.data() + at_, n);
    at_ += n;
    return n;
  }
  bool discard(std::uint64_t n) override {
    if (n > bytes_.size() - at_) return false;
    at_ += static_cast<std::size_t>(n);
    return true;
  }

 private:
  std::string_view bytes_;
  std::size_t at_ = 0;
};

class FileSource final : public Source {
 public:
  explicit FileSource(const std::string& path)
      : path_(path), fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (!fd_) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  }

 protected:
  std::size_t more(unsigned char* out, std::size_t want) override {
    for (;;) {
      const ssize_t n = ::pread(fd_.get(), out, want, static_cast<off_t>(offset_));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error("cannot read " + path_ + ": " + std::strerror(errno));
      offset_ += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
  }
  bool discard(std::uint64_t n) override {
    offset_ += n;  // a seek: the value is never read (a 2 GB pixel value costs nothing)
    return true;   // past the end, the next read finds nothing
  }

 private:
  std::string path_;
  UniqueFd fd_;
  std::uint64_t offset_ = 0;
};

// The raw deflate stream of a Deflated Explicit VR Little Endian data set, inflated as read.
class InflateSource final : public Source {
 public:
  explicit InflateSource(Source& compressed) : in_(compressed) {
    if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) throw std::runtime_error("inflateInit2 failed");
  }
  ~InflateSource() override { inflateEnd(&z_); }
  InflateSource(const InflateSource&) = delete;
  InflateSource& operator=(const InflateSource&) = delete;

 protected:
  std::size_t more(unsigned char* out, std::size_t want) override {
    z_.next_out = out;
    z_.avail_out = static_cast<uInt>(std::min<std::size_t>(want, 1 << 20));
    while (z_.avail_out > 0 && !done_) {
      if (z_.avail_in == 0) {
        const std::size_t got = read_some(chunk_.data(), chunk_.size());
        if (got == 0) break;
        z_.next_in = chunk_.data();
        z_.avail_in = static_cast<uInt>(got);
      }
      const int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) done_ = true;
      if (rc != Z_OK && rc != Z_STREAM_END) break;  // corrupt: DCMTK will say so
    }
    return static_cast<std::size_t>(z_.next_out - out);
  }

 private:
  std::size_t read_some(unsigned char* out, std::size_t cap) { return in_.read_up_to(out, cap); }

  Source& in_;
  z_stream z_{};
  std::array<unsigned char, 16384> chunk_{};
  bool done_ = false;
};

enum class Syntax { kExplicitLittle, kImplicitLittle, kExplicitBig, kDeflated };

std::uint16_t u16(const unsigned char* p, bool big) {
  return big ? static_cast<std::uint16_t>(p[0] << 8 | p[1])
             : static_cast<std::uint16_t>(p[1] << 8 | p[0]);
}

std::uint32_t u32(const unsigned char* p, bool big) {
  return big ? std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
                   p[3]
             : std::uint32_t{p[3]} << 24 | std::uint32_t{p[2]} << 16 | std::uint32_t{p[1]} << 8 |
                   p[0];
}

bool is_vr(const unsigned char* p) {
  return p[0] >= 'A' && p[0] <= 'Z' && p[1] >= 'A' && p[1] <= 'Z';
}

bool long_length_vr(const char* vr) {
  static constexpr std::array<std::string_view, 11> kLong = {"OB", "OD", "OF", "OL", "OV", "OW",
                                                             "SQ", "UC", "UN", "UR", "UT"};
  return std::find(kLong.begin(), kLong.end(), std::string_view(vr, 2)) != kLong.end();
}

// What a walk concluded. kLost: the bytes did not have the structure the walk follows (truncated,
// inconsistent lengths, delimiters out of place, a file meta group it cannot read for certain).
// DCMTK may still read such a file, and read it differently, so a lost walk proves nothing about
// nesting: the caller then bounds it another way (raw_bound).
enum class Verdict { kFine, kTooDeep, kLost };

struct Meta {
  Verdict verdict = Verdict::kFine;
  Syntax syntax = Syntax::kExplicitLittle;
};

// Reads the file meta group (always explicit little endian) and returns the data set's syntax.
// Anything but the plain layout (group length first, then group 0002 elements of explicit VR and
// defined length, ending exactly where the group length says, or where group 0002 ends when it
// is absent) is kLost: DCMTK tolerates more, and where it tolerates it is its own business.
Meta read_meta(Source& in) {
  const Meta lost{Verdict::kLost, Syntax::kExplicitLittle};
  std::array<unsigned char, 132> preamble;
  if (!in.read(preamble.data(), preamble.size()) ||
      std::memcmp(preamble.data() + 128, "DICM", 4) != 0)
    return lost;
  std::optional<std::uint64_t> end;  // from (0002,0000)
  std::string ts;
  for (;;) {
    if (end && in.position() >= *end) {
      if (in.position() > *end) return lost;
      break;
    }
    const unsigned char* head = in.peek(8);
    if (!head) return lost;
    const std::uint16_t group = u16(head, false);
    if (!end && group != 0x0002) break;  // no group length: the group ends where 0002 does
    if (group != 0x0002 || !is_vr(head + 4)) return lost;
    const std::uint16_t element = u16(head + 2, false);
    const char vr[2] = {static_cast<char>(head[4]), static_cast<char>(head[5])};
    if (std::string_view(vr, 2) == "SQ") return lost;
    std::uint32_t length = 0;
    if (long_length_vr(vr)) {
      unsigned char h[12];
      if (!in.read(h, 12)) return lost;
      length = u32(h + 8, false);
    } else {
      unsigned char h[8];
      if (!in.read(h, 8)) return lost;
      length = u16(h + 6, false);
    }
    if (length == kUndefined) return lost;
    if (element == 0x0000) {
      unsigned char v[4];
      if (length != 4 || end || in.position() != 140 || !in.read(v, 4)) return lost;
      end = in.position() + u32(v, false);
      continue;
    }
    if (end && in.position() + length > *end) return lost;
    if (element == 0x0010 && length <= 64) {
      ts.resize(length);
      if (!in.read(ts.data(), length)) return lost;
      while (!ts.empty() && (ts.back() == '\0' || ts.back() == ' ')) ts.pop_back();
    } else if (!in.skip(length)) {
      return lost;
    }
  }
  // More of group 0002 past the group length: DCMTK may read it as meta or as data set.
  if (const unsigned char* next = in.peek(2); next && u16(next, false) == 0x0002) return lost;
  Meta meta;
  if (ts == "1.2.840.10008.1.2") meta.syntax = Syntax::kImplicitLittle;
  if (ts == "1.2.840.10008.1.2.2") meta.syntax = Syntax::kExplicitBig;
  if (ts == "1.2.840.10008.1.2.1.99") meta.syntax = Syntax::kDeflated;
  return meta;
}

struct Frame {
  bool sequence = false;   // a sequence (else an item)
  bool fragments = false;  // encapsulated pixel data: its items are bytes, not data sets
  bool implicit = false;   // its content is implicit little endian (UN of undefined length)
  std::uint64_t end = kNoEnd;
};

class Walker {
 public:
  Walker(Source& in, Syntax syntax, int max_depth)
      : in_(in),
        big_(syntax == Syntax::kExplicitBig),
        implicit_(syntax == Syntax::kImplicitLittle),
        max_depth_(max_depth) {}

  Verdict run() {
    for (;;) {
      while (!stack_.empty() && stack_.back().end != kNoEnd &&
             in_.position() >= stack_.back().end) {
        if (in_.position() > stack_.back().end) return Verdict::kLost;  // ran over its length
        pop();
      }
      const bool implicit = in_frame_implicit();
      const bool big = big_ && !implicit;
      // The data set may end only between elements, with nothing left open.
      if (!in_.peek(1)) return stack_.empty() ? Verdict::kFine : Verdict::kLost;
      unsigned char tag[4];
      if (!in_.read(tag, 4)) return Verdict::kLost;
      const std::uint16_t group = u16(tag, big);
      const std::uint16_t element = u16(tag + 2, big);
      if (group == 0xFFFE) {
        unsigned char len[4];
        if (!in_.read(len, 4)) return Verdict::kLost;
        if (!item_tag(element, u32(len, big))) return Verdict::kLost;
        if (too_deep()) return Verdict::kTooDeep;
        continue;
      }
      std::uint32_t length = 0;
      std::string vr = "??";  // unknown: implicit, or a VR that is not one
      unsigned char h[4];
      if (!in_.read(h, 4)) return Verdict::kLost;
      if (!implicit && is_vr(h)) {
        vr.assign(reinterpret_cast<const char*>(h), 2);
        if (long_length_vr(vr.data())) {
          unsigned char len[4];
          if (!in_.read(len, 4)) return Verdict::kLost;
          length = u32(len, big);
        } else {
          length = u16(h + 2, big);
        }
      } else {
        // Implicit, or bytes where a VR should be: read as an implicit element (as DCMTK may).
        length = u32(h, big);
      }
      const bool pixel_data = group == 0x7FE0 && element == 0x0010;
      const bool unknown = vr == "??" || vr == "UN";
      if (length == kUndefined) {
        // SQ, UN (read as implicit little endian, CP-246), or encapsulated pixel data.
        push_sequence(kNoEnd, pixel_data && vr != "SQ", implicit || unknown);
      } else if (vr == "SQ" || ((implicit || unknown) && starts_with_item(length))) {
        push_sequence(in_.position() + length, false, implicit || unknown);
      } else if (!in_.skip(length)) {
        // A value past the end: DCMTK reads the same bytes as that value and finds the end.
        return Verdict::kLost;
      }
      if (too_deep()) return Verdict::kTooDeep;
    }
  }

 private:
  bool in_frame_implicit() const {
    for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
      if (it->sequence) return implicit_ || it->implicit;
    }
    return implicit_;
  }

  bool starts_with_item(std::uint32_t length) {
    if (length < 8) return false;
    const unsigned char* p = in_.peek(4);
    return p && u16(p, false) == 0xFFFE && u16(p + 2, false) == 0xE000;
  }

  // An item, item delimiter or sequence delimiter; false when it is out of place (an item
  // outside a sequence, a delimiter that closes nothing of undefined length) or breaks off.
  bool item_tag(std::uint16_t element, std::uint32_t length) {
    if (stack_.empty() || (element == 0xE000 && !stack_.back().sequence)) return false;
    if (element == 0xE000) {
      if (stack_.back().fragments) return length != kUndefined && in_.skip(length);
      Frame item;
      item.end = length == kUndefined ? kNoEnd : in_.position() + length;
      stack_.push_back(item);
      return true;
    }
    const bool closes_item = element == 0xE00D && !stack_.back().sequence;
    const bool closes_sequence = element == 0xE0DD && stack_.back().sequence;
    if ((!closes_item && !closes_sequence) || stack_.back().end != kNoEnd || length != 0)
      return false;
    pop();
    return true;
  }

  void push_sequence(std::uint64_t end, bool fragments, bool implicit) {
    Frame f;
    f.sequence = true;
    f.fragments = fragments;
    f.implicit = implicit;
    f.end = end;
    stack_.push_back(f);
    if (!fragments) ++depth_;
  }

  void pop() {
    if (stack_.back().sequence && !stack_.back().fragments) --depth_;
    stack_.pop_back();
  }

  // Sequences past the bound; or frames of any kind past twice that and some (an item holds one
  // sequence level).
  bool too_deep() const {
    return depth_ > max_depth_ ||
           stack_.size() > 2 * static_cast<std::size_t>(std::max(max_depth_, 0)) + 8;
  }

  Source& in_;
  const bool big_;
  const bool implicit_;
  const int max_depth_;
  std::vector<Frame> stack_;
  int depth_ = 0;
};

Verdict walk(Source& in, int max_depth) {
  const Meta meta = read_meta(in);
  if (meta.verdict != Verdict::kFine) return meta.verdict;
  if (meta.syntax == Syntax::kDeflated) {
    InflateSource inflated(in);
    return Walker(inflated, Syntax::kExplicitLittle, max_depth).run();
  }
  return Walker(in, meta.syntax, max_depth).run();
}

// For a file the walk lost its way in, a bound that holds however DCMTK reads it: a sequence
// holds the next level only inside an item, so nesting is at most the number of item tags in the
// bytes (little or big endian). That holds unless DCMTK inflates the data set, which it does only
// when the file names the deflated transfer syntax: such a file is refused.
std::optional<std::string> raw_bound(Source& in, int max_depth) {
  static constexpr std::string_view kItemLittle("\xFE\xFF\x00\xE0", 4);
  static constexpr std::string_view kItemBig("\xFF\xFE\xE0\x00", 4);
  static constexpr std::string_view kDeflated = "1.2.840.10008.1.2.1.99";
  std::string window;  // the tail of the previous chunk, so no match straddles two chunks
  std::array<char, 65536> chunk;
  long items = 0;
  for (;;) {
    const std::size_t got = in.read_up_to(chunk.data(), chunk.size());
    if (got == 0) break;
    const std::size_t kept = window.size();
    window.append(chunk.data(), got);
    for (std::size_t at = 0; (at = window.find(kDeflated, at)) != std::string::npos; ++at)
      return std::string("a deflated DICOM data set whose structure cannot be followed");
    for (auto needle : {kItemLittle, kItemBig}) {
      // Matches wholly inside the kept tail were counted with the previous chunk.
      std::size_t at = kept >= 3 ? kept - 3 : 0;
      while ((at = window.find(needle, at)) != std::string::npos) {
        if (at + needle.size() > kept) ++items;
        ++at;
      }
    }
    if (items > max_depth)
      return "a DICOM structure that cannot be followed, with items enough to nest more than " +
             std::to_string(max_depth) + " levels";
    window.erase(0, window.size() > kDeflated.size() ? window.size() - kDeflated.size() : 0);
  }
  return std::nullopt;
}

std::optional<std::string> problem_of(Verdict verdict, int max_depth) {
  if (verdict == Verdict::kTooDeep)
    return "DICOM sequences nested deeper than " + std::to_string(max_depth) + " levels";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> sequence_nesting_problem(const std::string& path, int max_depth) {
  FileSource in(path);
  const Verdict verdict = walk(in, max_depth);
  if (verdict != Verdict::kLost) return problem_of(verdict, max_depth);
  FileSource again(path);
  return raw_bound(again, max_depth);
}

std::optional<std::string> sequence_nesting_problem_of(std::string_view bytes, int max_depth) {
  MemorySource in(bytes);
  const Verdict verdict = walk(in, max_depth);
  if (verdict != Verdict::kLost) return problem_of(verdict, max_depth);
  MemorySource again(bytes);
  return raw_bound(again, max_depth);
}

}  // namespace carehub::dicom

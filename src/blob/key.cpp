#include <cstddef>
#include <string_view>

#include "carehub/blob.hpp"

namespace carehub {

namespace {

constexpr std::size_t kMaxKeyBytes = 512;

bool allowed_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool valid_segment(std::string_view segment) {
  if (segment.empty() || segment == "." || segment == "..") return false;
  for (char c : segment) {
    if (!allowed_char(c)) return false;
  }
  return true;
}

}  // namespace

bool valid_blob_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyBytes) return false;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = key.find('/', start);
    std::string_view segment =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!valid_segment(segment)) return false;
    if (slash == std::string_view::npos) return true;
    start = slash + 1;
  }
}

}  // namespace carehub

// Rendered pictures (JPEG or PNG bytes, never decoded pixels) kept in memory, least recently used
// out first, so a viewer scrolling back and forth through a series is answered without decoding
// again. Keyed by the instance's SHA-256 and every rendering option, so a changed instance (other
// bytes) never meets an old picture; the route looks the instance up in the index first, so a
// deleted one is never served from here. Thread-safe.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace carehub::dicom {

class RenderCache {
 public:
  explicit RenderCache(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}
  std::shared_ptr<const std::string> find(const std::string& key);
  void put(const std::string& key, std::shared_ptr<const std::string> image);
  std::uint64_t bytes() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const std::string> image;
  };
  const std::uint64_t max_bytes_;
  mutable std::mutex mutex_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::uint64_t bytes_ = 0;
};

}  // namespace carehub::dicom

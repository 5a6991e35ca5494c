#include "dicom/render_cache.hpp"

namespace carehub::dicom {

std::shared_ptr<const std::string> RenderCache::find(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return it->second->image;
}

void RenderCache::put(const std::string& key, std::shared_ptr<const std::string> image) {
  // The key counts too; a picture larger than the whole cache is not kept.
  const std::uint64_t size = image->size() + key.size();
  if (size > max_bytes_) return;
  std::lock_guard lock(mutex_);
  if (auto it = index_.find(key); it != index_.end()) {
    bytes_ -= it->second->image->size() + key.size();
    order_.erase(it->second);
    index_.erase(it);
  }
  order_.push_front({key, std::move(image)});
  index_[key] = order_.begin();
  bytes_ += size;
  while (bytes_ > max_bytes_ && !order_.empty()) {
    const auto& last = order_.back();
    bytes_ -= last.image->size() + last.key.size();
    index_.erase(last.key);
    order_.pop_back();
  }
}

std::uint64_t RenderCache::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

}  // namespace carehub::dicom

#include <stdexcept>

#include "carehub/jobs.hpp"

namespace carehub {

void JobRegistry::add(const std::string& type, JobHandler handler) {
  if (type.empty()) throw std::invalid_argument("job type must not be empty");
  if (!handler) throw std::invalid_argument("job handler for '" + type + "' is empty");
  if (!handlers_.emplace(type, std::move(handler)).second) {
    throw std::invalid_argument("a handler for job type '" + type + "' is already registered");
  }
}

const JobHandler* JobRegistry::find(const std::string& type) const {
  auto it = handlers_.find(type);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> JobRegistry::types() const {
  std::vector<std::string> out;
  out.reserve(handlers_.size());
  for (const auto& [type, handler] : handlers_) out.push_back(type);
  return out;
}

}  // namespace carehub

// Grouping records into persons: every pair scored at or above the auto-match threshold joins its
// two records' groups (connected components), strongest pairs first, unless a do-not-link pair
// would end up inside one group; that link is refused and the rest goes on.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace carehub::empi {

class Clusters {
 public:
  explicit Clusters(std::size_t n);
  std::uint32_t find(std::uint32_t x);
  // Joins the groups of a and b unless a do-not-link pair spans them; true when joined (or
  // already one group).
  bool link(std::uint32_t a, std::uint32_t b);
  void forbid(std::uint32_t a, std::uint32_t b);  // a do-not-link pair
  std::size_t size() const { return parent_.size(); }

 private:
  std::vector<std::uint32_t> parent_;
  std::vector<std::uint32_t> rank_;
  // Per group root: the members' do-not-link partners (as record indexes).
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> forbidden_;
};

}  // namespace carehub::empi

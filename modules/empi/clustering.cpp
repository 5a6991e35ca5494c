#include "empi/clustering.hpp"

#include <numeric>
#include <utility>

namespace carehub::empi {

Clusters::Clusters(std::size_t n) : parent_(n), rank_(n, 0) {
  std::iota(parent_.begin(), parent_.end(), 0u);
}

std::uint32_t Clusters::find(std::uint32_t x) {
  while (parent_[x] != x) {
    parent_[x] = parent_[parent_[x]];
    x = parent_[x];
  }
  return x;
}

void Clusters::forbid(std::uint32_t a, std::uint32_t b) {
  forbidden_[find(a)].push_back(b);
  forbidden_[find(b)].push_back(a);
}

bool Clusters::link(std::uint32_t a, std::uint32_t b) {
  std::uint32_t ra = find(a), rb = find(b);
  if (ra == rb) return true;
  // Would a forbidden partner of one group be in the other?
  for (auto [from, to] : {std::pair{ra, rb}, std::pair{rb, ra}}) {
    auto it = forbidden_.find(from);
    if (it == forbidden_.end()) continue;
    for (std::uint32_t partner : it->second) {
      if (find(partner) == to) return false;
    }
  }
  if (rank_[ra] < rank_[rb]) std::swap(ra, rb);
  parent_[rb] = ra;
  if (rank_[ra] == rank_[rb]) ++rank_[ra];
  if (auto it = forbidden_.find(rb); it != forbidden_.end()) {
    auto moved = std::move(it->second);
    forbidden_.erase(it);
    auto& into = forbidden_[ra];
    into.insert(into.end(), moved.begin(), moved.end());
  }
  return true;
}

}  // namespace carehub::empi

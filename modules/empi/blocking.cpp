#include "empi/blocking.hpp"

#include <algorithm>
#include <unordered_set>

namespace carehub::empi {
namespace {

std::uint64_t fnv1a(std::string_view s, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ULL ^ seed;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h == 0 ? 1 : h;
}

std::string join(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return {};
  return a + "|" + b;
}

constexpr std::string_view kDescriptions[kBlockingRules] = {
    "first and last name sound alike (Double Metaphone)",
    "same birth date and name initials (either order)",
    "last name sounds alike, same zip code",
    "same phone",
    "same social security number",
    "first name sounds alike, same zip code",
    "same address",
};

}  // namespace

BlockingKeys blocking_keys(const RecordFeatures& r) {
  BlockingKeys k;
  k[0] = join(r.first_code, r.last_code);
  // Birth date alone pairs ~30 records a day at a million, 15M pairs of which almost all are
  // strangers; with the initials of the two names (in either order, for swapped names) it keeps
  // the matches whose names are garbled beyond sounding alike.
  if (!r.value[vBirthDate].empty()) {
    const std::string& f = r.value[vFirstName];
    const std::string& l = r.value[vLastName];
    std::string initials{f.empty() ? '_' : f[0], l.empty() ? '_' : l[0]};
    if (initials[0] > initials[1]) std::swap(initials[0], initials[1]);
    k[1] = r.value[vBirthDate] + "|" + initials;
  }
  k[2] = join(r.last_code, r.value[vZip]);
  if (r.value[vPhone].size() >= 6) k[3] = r.value[vPhone];
  if (r.value[vSsn].size() >= 4) k[4] = r.value[vSsn];
  k[5] = join(r.first_code, r.value[vZip]);
  k[6] = r.value[vAddress];
  return k;
}

KeyHashes key_hashes(const BlockingKeys& keys) {
  KeyHashes h{};
  for (int i = 0; i < kBlockingRules; ++i) h[i] = keys[i].empty() ? 0 : fnv1a(keys[i], i);
  return h;
}

std::string_view blocking_rule_description(int rule) {
  return kDescriptions[rule];
}

BlockingStats for_each_candidate_pair(
    const std::vector<KeyHashes>& hashes, const std::vector<bool>* is_new, std::size_t max_block,
    const std::function<void(std::uint32_t, std::uint32_t)>& on_pair) {
  BlockingStats stats;
  // Keys of skipped blocks: a pair sharing one was not emitted by that rule, so a later rule must.
  std::array<std::unordered_set<std::uint64_t>, kBlockingRules> oversized;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> keyed;
  keyed.reserve(hashes.size());
  for (int rule = 0; rule < kBlockingRules; ++rule) {
    keyed.clear();
    for (std::uint32_t i = 0; i < hashes.size(); ++i) {
      if (hashes[i][rule] != 0) keyed.emplace_back(hashes[i][rule], i);
    }
    std::sort(keyed.begin(), keyed.end());
    for (std::size_t start = 0; start < keyed.size();) {
      std::size_t end = start + 1;
      while (end < keyed.size() && keyed[end].first == keyed[start].first) ++end;
      const std::size_t n = end - start;
      if (n > max_block) {
        ++stats.oversized_blocks;
        oversized[rule].insert(keyed[start].first);
      } else {
        for (std::size_t x = start; x < end; ++x) {
          for (std::size_t y = x + 1; y < end; ++y) {
            const std::uint32_t i = keyed[x].second, j = keyed[y].second;
            if (is_new && !(*is_new)[i] && !(*is_new)[j]) continue;
            // Emitted by the first rule that pairs them: skip if an earlier rule did.
            bool earlier = false;
            for (int r = 0; r < rule && !earlier; ++r) {
              earlier = hashes[i][r] != 0 && hashes[i][r] == hashes[j][r] &&
                        !oversized[r].contains(hashes[i][r]);
            }
            if (earlier) continue;
            ++stats.pairs;
            on_pair(std::min(i, j), std::max(i, j));
          }
        }
      }
      start = end;
    }
  }
  return stats;
}

}  // namespace carehub::empi

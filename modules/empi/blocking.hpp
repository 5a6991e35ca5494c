// Blocking: which pairs are worth comparing. Each rule gives a record a key (or none); records
// sharing a key under any rule are candidates (the rules are OR'd, so a pair one rule misses,
// because of a typo in its field, another finds). Keys are stored with the records so a new
// record finds its candidates without reading the index.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "empi/model.hpp"

namespace carehub::empi {

inline constexpr int kBlockingRules = 7;
using BlockingKeys = std::array<std::string, kBlockingRules>;  // "" where a rule gives no key
using KeyHashes = std::array<std::uint64_t, kBlockingRules>;   // 0 where no key

BlockingKeys blocking_keys(const RecordFeatures& record);
KeyHashes key_hashes(const BlockingKeys& keys);
std::string_view blocking_rule_description(int rule);

struct BlockingStats {
  std::uint64_t pairs = 0;             // distinct candidate pairs emitted
  std::uint64_t oversized_blocks = 0;  // keys shared by more than max_block records: skipped
};

// Calls on_pair(i, j) once for every distinct candidate pair of indexes into hashes (i < j), a
// pair found by several rules only for the first. With only_new, pairs of two old records
// (is_new false for both) are left out. Blocks larger than max_block are skipped (a value shared
// by thousands, such as a default date, says nothing), and counted.
BlockingStats for_each_candidate_pair(
    const std::vector<KeyHashes>& hashes, const std::vector<bool>* is_new, std::size_t max_block,
    const std::function<void(std::uint32_t, std::uint32_t)>& on_pair);

}  // namespace carehub::empi

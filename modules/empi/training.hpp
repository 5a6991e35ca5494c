// Learning the model from the records themselves, without labels, as Splink does: u from pairs
// drawn at random (almost all non-matches), m by expectation-maximisation over pairs that share a
// blocking value, once per training rule with the rule's own fields left out (every pair agrees
// on them, so they cannot be learnt there), and the prior from how many pairs the EM finds to be
// matches.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "empi/model.hpp"

namespace carehub::empi {

struct TrainingSettings {
  std::size_t u_sample_pairs = 1'000'000;  // random pairs for u
  std::size_t max_em_pairs = 2'000'000;    // blocked pairs per training rule
  std::size_t max_block = 500;
  int max_iterations = 50;
  double convergence = 1e-5;     // stop when no m moves by more than this
  std::optional<double> lambda;  // given: used as is; else estimated
  std::uint64_t seed = 20261122;
};

// Throws std::invalid_argument when there are fewer than 2 records.
ModelParams train_model(const std::vector<RecordFeatures>& records,
                        const TrainingSettings& settings, nlohmann::json* report = nullptr);

}  // namespace carehub::empi

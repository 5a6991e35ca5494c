// Learning the model from the records themselves, without labels, as Splink does: u from pairs
// drawn at random (almost all non-matches), m by expectation-maximisation over pairs that share a
// blocking value, once per training rule with the rule's own fields left out (every pair agrees
// on them, so they cannot be learnt there), and the prior from how many pairs the EM finds to be
// matches.
#pragma once

#include <array>
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
  // Comparisons that count; one left out carries no evidence either way (its m is set to its u).
  std::array<bool, kFieldCount> compared{true, true, true, true, true, true};
};

// A config's settings as POST /api/v1/config takes them: Tuva's `splink_settings` (of which
// probability_two_random_records_match, max_iterations and em_convergence are used) and carehub's
// own `model` object (the same three, u_sample_pairs, max_em_pairs, seed and `comparisons`, the
// list of comparisons to use); `model` wins where both say. Throws std::invalid_argument naming
// the key when a value is of the wrong type or out of range, or a `model` key is unknown.
TrainingSettings training_settings_from(const nlohmann::json& splink_settings,
                                        const nlohmann::json& model);

// Throws std::invalid_argument when there are fewer than 2 records.
ModelParams train_model(const std::vector<RecordFeatures>& records,
                        const TrainingSettings& settings, nlohmann::json* report = nullptr);

}  // namespace carehub::empi

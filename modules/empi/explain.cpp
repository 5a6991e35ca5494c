#include "empi/explain.hpp"

#include <array>

namespace carehub::empi {
namespace {

// Level 0 is "missing" and level 1 exact agreement in every comparison (model.hpp); the last
// level is "different"; whatever lies between is some kind of likeness.
const char* agreement_of(int level, std::size_t levels) {
  if (level == 0) return "missing";
  if (level == 1) return "same";
  if (static_cast<std::size_t>(level) + 1 == levels) return "different";
  return "similar";
}

}  // namespace

const std::vector<std::string_view>& comparison_columns(int field) {
  static const std::array<std::vector<std::string_view>, kFieldCount> columns = {{
      {"first_name"},
      {"last_name"},
      {"birth_date"},
      {"address", "city", "state", "zip_code", "phone"},
      {"social_security_number"},
      {"sex"},
  }};
  return columns.at(static_cast<std::size_t>(field));
}

nlohmann::json explain_pair(const ModelParams& model, const RecordFeatures& a,
                            const RecordFeatures& b, const TermFrequencies* tf) {
  const auto& specs = field_specs();
  const Gamma g = compare(a, b);
  nlohmann::json comparisons = nlohmann::json::array();
  double total = model.prior_weight();
  for (int f = 0; f < kFieldCount; ++f) {
    const int level = g[f];
    const double level_weight = model.level_weight(f, level);
    const double tf_weight = model.tf_weight(g, f, a, tf);
    total += level_weight + tf_weight;
    comparisons.push_back({{"comparison", specs[f].name},
                           {"columns", comparison_columns(f)},
                           {"level", level},
                           {"label", specs[f].levels.at(static_cast<std::size_t>(level))},
                           {"agreement", agreement_of(level, specs[f].levels.size())},
                           {"m_probability", model.m[f][level]},
                           {"u_probability", model.u[f][level]},
                           {"match_weight", level_weight},
                           {"term_frequency_weight", tf_weight}});
  }
  return {{"prior_match_weight", model.prior_weight()},
          {"match_weight", total},
          {"match_probability", probability_of(total)},
          {"comparisons", comparisons}};
}

}  // namespace carehub::empi

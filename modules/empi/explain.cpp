#include "empi/explain.hpp"

#include <array>

#include "empi/text.hpp"

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

// One household column alone. The model weighs the five together (a family shares them), so its
// level cannot say which of them differ; a reviewer needs to see that per field. Address keeps the
// model's own likeness (kSimilarAddress); for the short codes, one typing slip (one edit)
// is "similar".
const char* household_column_agreement(Value column, const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return "missing";
  if (a == b) return "same";
  const bool similar = (column == vAddress || column == vCity)
                           ? jaro_winkler(a, b) >= kSimilarAddress
                           : damerau_levenshtein(a, b, 1) <= 1;
  return similar ? "similar" : "different";
}

nlohmann::json column_agreements(int field, const char* agreement, const RecordFeatures& a,
                                 const RecordFeatures& b) {
  if (field != kHousehold) return {{comparison_columns(field).front(), agreement}};
  static constexpr std::array<std::pair<std::string_view, Value>, 5> kHouseholdColumns = {{
      {"address", vAddress},
      {"city", vCity},
      {"state", vState},
      {"zip_code", vZip},
      {"phone", vPhone},
  }};
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, column] : kHouseholdColumns) {
    out[std::string(name)] = household_column_agreement(column, a.value[column], b.value[column]);
  }
  return out;
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
    const char* agreement = agreement_of(level, specs[f].levels.size());
    comparisons.push_back({{"comparison", specs[f].name},
                           {"columns", comparison_columns(f)},
                           {"column_agreements", column_agreements(f, agreement, a, b)},
                           {"level", level},
                           {"label", specs[f].levels.at(static_cast<std::size_t>(level))},
                           {"agreement", agreement},
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

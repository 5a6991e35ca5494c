// Why a pair scored what it did, in the manner of Splink's waterfall chart: the prior, then each
// comparison's level and the weight it added, then the total. Computed again from the stored model
// and today's term frequencies, so it explains the model as it is (a pair stored by an older run
// of the same config scores the same: a config's model is written once).
#pragma once

#include <nlohmann/json.hpp>

#include "empi/model.hpp"

namespace carehub::empi {

// {prior_match_weight, match_weight, match_probability, comparisons: [{comparison, columns,
// column_agreements, level, label, agreement (same|similar|different|missing), m_probability,
// u_probability, match_weight, term_frequency_weight}]}; match_weight is the prior plus every
// comparison's two weights. column_agreements maps each column the comparison reads to its own
// agreement: the comparison's for a one-column comparison; for household, each column judged
// alone (address and city by Jaro-Winkler >= 0.90, state, zip code and phone by one edit).
nlohmann::json explain_pair(const ModelParams& model, const RecordFeatures& a,
                            const RecordFeatures& b, const TermFrequencies* tf);

// The record columns a comparison reads (household: address, city, state, zip_code, phone).
const std::vector<std::string_view>& comparison_columns(int field);

}  // namespace carehub::empi

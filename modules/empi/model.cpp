#include "empi/model.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "empi/text.hpp"

namespace carehub::empi {
namespace {

constexpr double kMinProbability = 1e-6;  // m and u are kept away from 0 and 1

// Names: exact; the other name field's value (first and last swapped); one edit; close by
// Jaro-Winkler; sounding alike; loosely alike; different.
std::uint8_t name_level(const std::string& a, const std::string& b, const std::string& a_other,
                        const std::string& b_other, const std::string& a_code,
                        const std::string& a_alt, const std::string& b_code,
                        const std::string& b_alt) {
  if (a.empty() || b.empty()) return 0;
  if (a == b) return 1;
  if ((!b_other.empty() && a == b_other) || (!a_other.empty() && b == a_other)) return 2;
  if (damerau_levenshtein(a, b, 1) <= 1) return 3;
  const double jw = jaro_winkler(a, b);
  if (jw >= 0.92) return 4;
  if (!a_code.empty() && (a_code == b_code || a_code == b_alt || a_alt == b_code)) return 5;
  if (jw >= 0.80) return 6;
  return 7;
}

bool same(const std::string& a, const std::string& b) {
  return !a.empty() && a == b;
}

bool both(const std::string& a, const std::string& b) {
  return !a.empty() && !b.empty();
}

// Where and how to reach them, strongest first.
std::uint8_t household_level(const RecordFeatures& a, const RecordFeatures& b) {
  const auto& x = a.value;
  const auto& y = b.value;
  const bool address = same(x[vAddress], y[vAddress]);
  const bool phone = same(x[vPhone], y[vPhone]);
  if (address && phone) return 1;
  if (address) return 2;
  if (phone) return 3;
  if (both(x[vAddress], y[vAddress]) && jaro_winkler(x[vAddress], y[vAddress]) >= kSimilarAddress) {
    return 4;
  }
  if (same(x[vZip], y[vZip])) return 5;
  if (same(x[vCity], y[vCity])) return 6;
  if (same(x[vState], y[vState])) return 7;
  for (auto v : {vAddress, vPhone, vZip, vCity, vState}) {
    if (both(x[v], y[v])) return 8;  // something to compare, and it differs
  }
  return 0;
}

std::uint8_t edit_level(const std::string& a, const std::string& b, int max_edits) {
  if (a.empty() || b.empty()) return 0;
  if (a == b) return 1;
  return damerau_levenshtein(a, b, max_edits) <= max_edits ? 2 : 3;
}

std::uint8_t exact_level(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return 0;
  return a == b ? 1 : 2;
}

std::uint8_t date_level(const std::string& a, const std::string& b) {
  switch (compare_dates(a, b)) {
    case DateLevel::kMissing: return 0;
    case DateLevel::kExact: return 1;
    case DateLevel::kDayMonthSwapped: return 2;
    case DateLevel::kOneComponentOff: return 3;
    case DateLevel::kYearOff: return 4;
    case DateLevel::kDifferent: return 5;
  }
  return 5;
}

const char* const kNameLevels[] = {"missing",
                                   "exact",
                                   "swapped with the other name",
                                   "one edit",
                                   "jaro-winkler >= 0.92",
                                   "same double metaphone",
                                   "jaro-winkler >= 0.80",
                                   "different"};

}  // namespace

const std::array<FieldSpec, kFieldCount>& field_specs() {
  static const std::array<FieldSpec, kFieldCount> specs = [] {
    std::vector<std::string_view> names(std::begin(kNameLevels), std::end(kNameLevels));
    return std::array<FieldSpec, kFieldCount>{{
        {"first_name", names, true},
        {"last_name", names, true},
        {"birth_date",
         {"missing", "exact", "day and month swapped", "one component off", "year off",
          "different"},
         false},
        {"household",
         {"missing", "same address and phone", "same address", "same phone",
          "address jaro-winkler >= 0.90", "same zip code", "same city", "same state", "different"},
         false},
        {"social_security_number", {"missing", "exact", "one edit", "different"}, false},
        {"sex", {"missing", "exact", "different"}, false},
    }};
  }();
  return specs;
}

RecordFeatures features_of(std::int64_t id, const PersonRecord& r) {
  RecordFeatures f;
  f.id = id;
  f.value[vFirstName] = r.first_name();
  f.value[vLastName] = r.last_name();
  f.value[vBirthDate] = r.birth_date();
  f.value[vAddress] = r.address();
  f.value[vCity] = r.city();
  f.value[vState] = r.state();
  f.value[vZip] = r.zip_code();
  f.value[vPhone] = r.phone();
  f.value[vSsn] = r.ssn();
  f.value[vSex] = r.sex();
  if (!r.first_name().empty()) {
    f.first_code = double_metaphone(r.first_name());
    f.first_code_alt = double_metaphone_alt(r.first_name());
  }
  if (!r.last_name().empty()) {
    f.last_code = double_metaphone(r.last_name());
    f.last_code_alt = double_metaphone_alt(r.last_name());
  }
  return f;
}

Gamma compare(const RecordFeatures& a, const RecordFeatures& b) {
  const auto& av = a.value;
  const auto& bv = b.value;
  Gamma g{};
  g[kFirstName] = name_level(av[vFirstName], bv[vFirstName], av[vLastName], bv[vLastName],
                             a.first_code, a.first_code_alt, b.first_code, b.first_code_alt);
  g[kLastName] = name_level(av[vLastName], bv[vLastName], av[vFirstName], bv[vFirstName],
                            a.last_code, a.last_code_alt, b.last_code, b.last_code_alt);
  g[kBirthDate] = date_level(av[vBirthDate], bv[vBirthDate]);
  g[kHousehold] = household_level(a, b);
  g[kSsn] = edit_level(av[vSsn], bv[vSsn], 1);
  g[kSex] = exact_level(av[vSex], bv[vSex]);
  return g;
}

const std::string& tf_value(const RecordFeatures& r, int field) {
  static const std::string none;
  switch (field) {
    case kFirstName: return r.value[vFirstName];
    case kLastName: return r.value[vLastName];
    default: return none;
  }
}

void TermFrequencies::add(const RecordFeatures& r, std::int64_t times) {
  const auto& specs = field_specs();
  for (int f = 0; f < kFieldCount; ++f) {
    if (specs[f].term_frequency && !tf_value(r, f).empty()) counts_[f][tf_value(r, f)] += times;
  }
  total_ += times;
}

void TermFrequencies::set(Field field, const std::string& value, std::int64_t count) {
  counts_[field][value] = count;
}

double TermFrequencies::frequency(Field field, const std::string& value) const {
  if (total_ <= 0) return 1.0;
  const auto it = counts_[field].find(value);
  const double n =
      it == counts_[field].end() ? 1.0 : static_cast<double>(std::max<std::int64_t>(1, it->second));
  return n / static_cast<double>(total_);
}

double ModelParams::prior_weight() const {
  return std::log2(lambda / (1.0 - lambda));
}

double ModelParams::level_weight(int field, int level) const {
  if (level == 0) return 0.0;
  return std::log2(std::max(m[field][level], kMinProbability) /
                   std::max(u[field][level], kMinProbability));
}

double ModelParams::weight(const Gamma& g, const RecordFeatures& a,
                           const TermFrequencies* tf) const {
  double w = prior_weight();
  for (int f = 0; f < kFieldCount; ++f) w += level_weight(f, g[f]) + tf_weight(g, f, a, tf);
  return w;
}

double ModelParams::tf_weight(const Gamma& g, int f, const RecordFeatures& a,
                              const TermFrequencies* tf) const {
  if (!tf || g[f] != 1 || !field_specs()[f].term_frequency || tf->total() <= 0) return 0.0;
  // Splink's adjustment: the exact level's u is replaced by this value's own frequency.
  const double freq =
      std::max(tf->frequency(static_cast<Field>(f), tf_value(a, f)), kMinProbability);
  return std::log2(std::max(u[f][1], kMinProbability) / freq);
}

double probability_of(double weight) {
  return 1.0 / (1.0 + std::exp2(-weight));
}

double weight_of(double probability) {
  const double p = std::clamp(probability, 1e-12, 1.0 - 1e-12);
  return std::log2(p / (1.0 - p));
}

nlohmann::json ModelParams::to_json() const {
  const auto& specs = field_specs();
  nlohmann::json fields = nlohmann::json::object();
  for (int f = 0; f < kFieldCount; ++f) {
    nlohmann::json levels = nlohmann::json::array();
    for (std::size_t l = 0; l < specs[f].levels.size(); ++l) {
      levels.push_back({{"label", specs[f].levels[l]},
                        {"m_probability", m[f][l]},
                        {"u_probability", u[f][l]},
                        {"match_weight", level_weight(f, static_cast<int>(l))}});
    }
    fields[std::string(specs[f].name)] = {{"comparison_levels", levels},
                                          {"term_frequency_adjustment", specs[f].term_frequency}};
  }
  return {{"probability_two_random_records_match", lambda}, {"comparisons", fields}};
}

ModelParams ModelParams::from_json(const nlohmann::json& j) {
  const auto& specs = field_specs();
  ModelParams p;
  try {
    p.lambda = j.at("probability_two_random_records_match").get<double>();
    for (int f = 0; f < kFieldCount; ++f) {
      const auto& levels =
          j.at("comparisons").at(std::string(specs[f].name)).at("comparison_levels");
      if (levels.size() != specs[f].levels.size())
        throw std::invalid_argument("comparison levels do not match this version's comparisons");
      for (std::size_t l = 0; l < levels.size(); ++l) {
        p.m[f][l] = levels[l].at("m_probability").get<double>();
        p.u[f][l] = levels[l].at("u_probability").get<double>();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("model parameters: ") + e.what());
  }
  return p;
}

}  // namespace carehub::empi

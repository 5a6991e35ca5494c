// The Fellegi-Sunter model: each field of a record pair falls into one comparison level; each
// level has m (how often true matches show it) and u (how often non-matches do); the match weight
// is log2 of the prior odds plus, per field, log2(m/u), and the probability follows from it. An
// exact agreement on a rare value counts for more than on a common one (term frequencies).
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "empi/record.hpp"

namespace carehub::empi {

// The values a record is compared on.
enum Value : std::uint8_t {
  vFirstName,
  vLastName,
  vBirthDate,
  vAddress,
  vCity,
  vState,
  vZip,
  vPhone,
  vSsn,
  vSex,
  kValueCount
};

// The comparisons, each one piece of evidence. Address, city, state, zip and phone are one
// comparison, "household": they are not independent (a family shares them all), and counting them
// as five pieces of evidence made relatives at one address look like one person.
enum Field : std::uint8_t {
  kFirstName,
  kLastName,
  kBirthDate,
  kHousehold,
  kSsn,
  kSex,
  kFieldCount
};
// Two addresses at least this alike (Jaro-Winkler) are the household's "similar address" level,
// and the review's "similar" for address and city.
inline constexpr double kSimilarAddress = 0.90;
inline constexpr int kMaxLevels = 10;  // level 0 is "missing": it carries no evidence

struct FieldSpec {
  std::string_view name;
  std::vector<std::string_view> levels;  // [0] is "missing"; [1] is exact agreement
  bool term_frequency = false;           // exact agreement adjusted by the value's frequency
};
const std::array<FieldSpec, kFieldCount>& field_specs();

// What comparisons need of a record, computed once.
struct RecordFeatures {
  std::int64_t id = 0;
  std::array<std::string, kValueCount> value;                        // normalised, per Value
  std::string first_code, first_code_alt, last_code, last_code_alt;  // Double Metaphone
};
RecordFeatures features_of(std::int64_t id, const PersonRecord& record);

using Gamma = std::array<std::uint8_t, kFieldCount>;  // the level of every field
Gamma compare(const RecordFeatures& a, const RecordFeatures& b);

// The value a term-frequency comparison looks up (first or last name).
const std::string& tf_value(const RecordFeatures& record, int field);

// Occurrences of each value of the term-frequency fields among the records.
class TermFrequencies {
 public:
  void add(const RecordFeatures& r, std::int64_t times = 1);
  void set(Field field, const std::string& value, std::int64_t count);
  void set_total(std::int64_t records) { total_ = records; }
  // Share of records with this value (at least 1 / total).
  double frequency(Field field, const std::string& value) const;
  std::int64_t total() const { return total_; }
  const std::unordered_map<std::string, std::int64_t>& counts(Field f) const { return counts_[f]; }

 private:
  std::array<std::unordered_map<std::string, std::int64_t>, kFieldCount> counts_;
  std::int64_t total_ = 0;
};

struct ModelParams {
  double lambda = 1e-4;  // probability that two records drawn at random are one person
  std::array<std::array<double, kMaxLevels>, kFieldCount> m{};
  std::array<std::array<double, kMaxLevels>, kFieldCount> u{};

  double prior_weight() const;
  double level_weight(int field, int level) const;  // log2(m/u); 0 for "missing"
  // Match weight of a pair; with tf, exact agreements on term-frequency fields are adjusted.
  double weight(const Gamma& g, const RecordFeatures& a, const TermFrequencies* tf) const;
  // What an exact agreement on a rare value adds to field f's level weight (term-frequency
  // fields at level 1 only; else 0).
  double tf_weight(const Gamma& g, int f, const RecordFeatures& a, const TermFrequencies* tf) const;
  nlohmann::json to_json() const;
  static ModelParams from_json(const nlohmann::json& j);  // throws std::invalid_argument
};

double probability_of(double weight);
double weight_of(double probability);

}  // namespace carehub::empi

#include "empi/training.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace carehub::empi {
namespace {

std::uint64_t pack(const Gamma& g) {
  std::uint64_t v = 0;
  for (int f = 0; f < kFieldCount; ++f) v |= static_cast<std::uint64_t>(g[f]) << (4 * f);
  return v;
}

Gamma unpack(std::uint64_t v) {
  Gamma g{};
  for (int f = 0; f < kFieldCount; ++f) g[f] = static_cast<std::uint8_t>((v >> (4 * f)) & 0xf);
  return g;
}

std::size_t level_count(int f) {
  return field_specs()[f].levels.size();
}

// u: the share of each level among random pairs where the field is present, smoothed so no level
// is impossible.
void estimate_u(const std::vector<RecordFeatures>& records, const TrainingSettings& s,
                ModelParams& p, nlohmann::json* report) {
  std::array<std::array<double, kMaxLevels>, kFieldCount> counts{};
  const std::size_t n = records.size();
  const double all_pairs = static_cast<double>(n) * static_cast<double>(n - 1) / 2.0;
  std::size_t sampled = 0;
  if (all_pairs <= static_cast<double>(s.u_sample_pairs)) {
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = i + 1; j < n; ++j, ++sampled) {
        const Gamma g = compare(records[i], records[j]);
        for (int f = 0; f < kFieldCount; ++f) counts[f][g[f]] += 1;
      }
    }
  } else {
    std::mt19937_64 rng(s.seed);
    std::uniform_int_distribution<std::size_t> pick(0, n - 1);
    while (sampled < s.u_sample_pairs) {
      const std::size_t i = pick(rng), j = pick(rng);
      if (i == j) continue;
      const Gamma g = compare(records[i], records[j]);
      for (int f = 0; f < kFieldCount; ++f) counts[f][g[f]] += 1;
      ++sampled;
    }
  }
  for (int f = 0; f < kFieldCount; ++f) {
    const std::size_t levels = level_count(f);
    double present = 0;
    for (std::size_t l = 1; l < levels; ++l) present += counts[f][l];
    for (std::size_t l = 1; l < levels; ++l) {
      p.u[f][l] = (counts[f][l] + 0.5) / (present + 0.5 * static_cast<double>(levels - 1));
    }
    p.u[f][0] = 1.0;
  }
  if (report) (*report)["u_sample_pairs"] = sampled;
}

struct EmResult {
  std::array<std::array<double, kMaxLevels>, kFieldCount> m{};
  double lambda_blocked = 0;
  std::uint64_t pairs = 0;
  int iterations = 0;
};

// EM over the pairs whose key under `key_of` is equal, with the fields in `fixed` left out.
EmResult run_em(const std::vector<RecordFeatures>& records, const TrainingSettings& s,
                const std::function<std::string(const RecordFeatures&)>& key_of,
                const std::array<bool, kFieldCount>& fixed, const ModelParams& start) {
  std::unordered_map<std::string, std::vector<std::uint32_t>> blocks;
  for (std::uint32_t i = 0; i < records.size(); ++i) {
    auto key = key_of(records[i]);
    if (!key.empty()) blocks[std::move(key)].push_back(i);
  }
  std::unordered_map<std::uint64_t, double> patterns;
  EmResult out;
  for (const auto& [key, members] : blocks) {
    if (members.size() < 2 || members.size() > s.max_block) continue;
    for (std::size_t x = 0; x < members.size() && out.pairs < s.max_em_pairs; ++x) {
      for (std::size_t y = x + 1; y < members.size(); ++y) {
        patterns[pack(compare(records[members[x]], records[members[y]]))] += 1;
        ++out.pairs;
      }
    }
  }
  std::vector<std::pair<Gamma, double>> data;
  data.reserve(patterns.size());
  for (const auto& [packed, count] : patterns) data.emplace_back(unpack(packed), count);

  auto m = start.m;
  double lambda = 0.1;
  for (out.iterations = 1; out.iterations <= s.max_iterations; ++out.iterations) {
    std::array<std::array<double, kMaxLevels>, kFieldCount> sum{};
    double total = 0, matches = 0;
    for (const auto& [g, count] : data) {
      double log_m = std::log(lambda), log_u = std::log(1.0 - lambda);
      for (int f = 0; f < kFieldCount; ++f) {
        if (fixed[f] || g[f] == 0) continue;
        log_m += std::log(std::max(m[f][g[f]], 1e-12));
        log_u += std::log(std::max(start.u[f][g[f]], 1e-12));
      }
      const double posterior = 1.0 / (1.0 + std::exp(log_u - log_m));
      const double w = posterior * count;
      matches += w;
      total += count;
      for (int f = 0; f < kFieldCount; ++f) {
        if (!fixed[f] && g[f] != 0) sum[f][g[f]] += w;
      }
    }
    double moved = 0;
    for (int f = 0; f < kFieldCount; ++f) {
      if (fixed[f]) continue;
      double present = 0;
      const std::size_t levels = level_count(f);
      for (std::size_t l = 1; l < levels; ++l) present += sum[f][l];
      if (present <= 0) continue;
      for (std::size_t l = 1; l < levels; ++l) {
        const double next = (sum[f][l] + 1e-3) / (present + 1e-3 * static_cast<double>(levels - 1));
        moved = std::max(moved, std::abs(next - m[f][l]));
        m[f][l] = next;
      }
    }
    lambda = std::clamp(total > 0 ? matches / total : 0.5, 1e-6, 1.0 - 1e-6);
    if (moved < s.convergence) break;
  }
  out.m = m;
  out.lambda_blocked = lambda;
  return out;
}

double number_in(const nlohmann::json& v, const std::string& name, double lo, double hi,
                 bool open) {
  if (!v.is_number()) throw std::invalid_argument(name + " must be a number");
  const double x = v.get<double>();
  if (open ? (x <= lo || x >= hi) : (x < lo || x > hi)) {
    throw std::invalid_argument(name + " must be " + (open ? "between " : "from ") +
                                nlohmann::json(lo).dump() + (open ? " and " : " to ") +
                                nlohmann::json(hi).dump());
  }
  return x;
}

std::int64_t integer_in(const nlohmann::json& v, const std::string& name, std::int64_t lo,
                        std::int64_t hi) {
  if (!v.is_number_integer() || v.get<std::int64_t>() < lo || v.get<std::int64_t>() > hi) {
    throw std::invalid_argument(name + " must be an integer from " + std::to_string(lo) + " to " +
                                std::to_string(hi));
  }
  return v.get<std::int64_t>();
}

// The keys both objects may hold.
void apply_common(const nlohmann::json& from, const std::string& where, TrainingSettings& t) {
  if (auto it = from.find("probability_two_random_records_match"); it != from.end())
    t.lambda = number_in(*it, where + "probability_two_random_records_match", 0, 1, true);
  if (auto it = from.find("max_iterations"); it != from.end())
    t.max_iterations = static_cast<int>(integer_in(*it, where + "max_iterations", 1, 1000));
  if (auto it = from.find("em_convergence"); it != from.end())
    t.convergence = number_in(*it, where + "em_convergence", 0, 1, true);
}

}  // namespace

TrainingSettings training_settings_from(const nlohmann::json& splink_settings,
                                        const nlohmann::json& model) {
  TrainingSettings t;
  if (!splink_settings.is_null()) {
    if (!splink_settings.is_object())
      throw std::invalid_argument("splink_settings must be an object");
    apply_common(splink_settings, "splink_settings.", t);
  }
  if (model.is_null()) return t;
  if (!model.is_object()) throw std::invalid_argument("model must be an object");
  static const std::vector<std::string> kKnown = {"probability_two_random_records_match",
                                                  "max_iterations",
                                                  "em_convergence",
                                                  "u_sample_pairs",
                                                  "max_em_pairs",
                                                  "seed",
                                                  "comparisons"};
  for (const auto& [key, value] : model.items()) {
    if (std::find(kKnown.begin(), kKnown.end(), key) == kKnown.end())
      throw std::invalid_argument("model." + key + " is not a model setting");
  }
  apply_common(model, "model.", t);
  if (auto it = model.find("u_sample_pairs"); it != model.end())
    t.u_sample_pairs =
        static_cast<std::size_t>(integer_in(*it, "model.u_sample_pairs", 1000, 100'000'000));
  if (auto it = model.find("max_em_pairs"); it != model.end())
    t.max_em_pairs =
        static_cast<std::size_t>(integer_in(*it, "model.max_em_pairs", 1000, 100'000'000));
  if (auto it = model.find("seed"); it != model.end())
    t.seed = static_cast<std::uint64_t>(integer_in(*it, "model.seed", 0, INT64_MAX));
  if (auto it = model.find("comparisons"); it != model.end()) {
    std::string names;
    for (const auto& spec : field_specs())
      names += (names.empty() ? "" : ", ") + std::string(spec.name);
    if (!it->is_array() || it->empty())
      throw std::invalid_argument("model.comparisons must be a non-empty list of: " + names);
    t.compared.fill(false);
    for (const auto& name : *it) {
      bool found = false;
      for (int f = 0; f < kFieldCount; ++f) {
        if (name.is_string() && field_specs()[f].name == name.get<std::string>()) {
          t.compared[f] = true;
          found = true;
        }
      }
      if (!found)
        throw std::invalid_argument("model.comparisons: " + name.dump() +
                                    " is not one of: " + names);
    }
  }
  return t;
}

ModelParams train_model(const std::vector<RecordFeatures>& records, const TrainingSettings& s,
                        nlohmann::json* report) {
  if (records.size() < 2) throw std::invalid_argument("training needs at least two records");
  ModelParams p;
  nlohmann::json rep = nlohmann::json::object();
  estimate_u(records, s, p, &rep);

  // Starting m: agreement likely for matches, falling off level by level.
  for (int f = 0; f < kFieldCount; ++f) {
    const std::size_t levels = level_count(f);
    double left = 1.0;
    for (std::size_t l = 1; l < levels; ++l) {
      p.m[f][l] = l + 1 == levels ? left : left * 0.8;
      left -= p.m[f][l];
    }
    p.m[f][0] = 1.0;
  }

  struct Rule {
    const char* name;
    std::function<std::string(const RecordFeatures&)> key;
    std::array<bool, kFieldCount> fixed{};
  };
  std::vector<Rule> rules(2);
  for (auto& rule : rules) {
    for (int f = 0; f < kFieldCount; ++f) rule.fixed[f] = !s.compared[f];
  }
  rules[0].name = "same birth date";
  rules[0].key = [](const RecordFeatures& r) { return r.value[vBirthDate]; };
  rules[0].fixed[kBirthDate] = true;
  rules[1].name = "first and last name sound alike";
  rules[1].key = [](const RecordFeatures& r) {
    return r.first_code.empty() || r.last_code.empty() ? std::string()
                                                       : r.first_code + "|" + r.last_code;
  };
  rules[1].fixed[kFirstName] = true;
  rules[1].fixed[kLastName] = true;

  std::array<std::array<double, kMaxLevels>, kFieldCount> m_sum{};
  std::array<int, kFieldCount> m_n{};
  std::vector<EmResult> results;
  nlohmann::json em = nlohmann::json::array();
  for (const auto& rule : rules) {
    auto r = run_em(records, s, rule.key, rule.fixed, p);
    em.push_back({{"blocking", rule.name},
                  {"pairs", r.pairs},
                  {"iterations", r.iterations},
                  {"share_of_matches", r.lambda_blocked}});
    if (r.pairs > 0) {
      for (int f = 0; f < kFieldCount; ++f) {
        if (rule.fixed[f]) continue;
        for (int l = 0; l < kMaxLevels; ++l) m_sum[f][l] += r.m[f][l];
        ++m_n[f];
      }
    }
    results.push_back(r);
  }
  for (int f = 0; f < kFieldCount; ++f) {
    if (m_n[f] == 0) continue;
    for (std::size_t l = 1; l < level_count(f); ++l) p.m[f][l] = m_sum[f][l] / m_n[f];
  }

  nlohmann::json left_out = nlohmann::json::array();
  for (int f = 0; f < kFieldCount; ++f) {
    if (s.compared[f]) continue;
    p.m[f] = p.u[f];  // log2(m/u) = 0 at every level: no evidence
    left_out.push_back(field_specs()[f].name);
  }
  if (!left_out.empty()) rep["comparisons_left_out"] = left_out;

  if (s.lambda) {
    p.lambda = *s.lambda;
  } else {
    // Matches among the same-birth-date pairs, scaled up by the share of true matches whose birth
    // dates agree (learnt by the other rule), over all pairs.
    const auto& by_date = results[0];
    const double recall = std::max(p.m[kBirthDate][1], 0.05);
    const double n = static_cast<double>(records.size());
    const double matches = by_date.lambda_blocked * static_cast<double>(by_date.pairs) / recall;
    p.lambda = by_date.pairs > 0 ? std::clamp(matches / (n * (n - 1) / 2.0), 1e-9, 0.5) : 1e-4;
  }
  rep["em"] = em;
  rep["probability_two_random_records_match"] = p.lambda;
  if (report) *report = rep;
  return p;
}

}  // namespace carehub::empi

// The matching engine's parts on small cases with known answers: comparison levels, blocking,
// clustering with do-not-link, and EM recovering the error rates it was given.
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "empi/blocking.hpp"
#include "empi/clustering.hpp"
#include "empi/explain.hpp"
#include "empi/model.hpp"
#include "empi/training.hpp"

using namespace carehub::empi;

namespace {

RecordFeatures person(std::int64_t id, std::string first, std::string last, std::string dob,
                      std::string zip = "2600", std::string address = "1 main street") {
  PersonRecord r;
  r[0] = "test";
  r[1] = std::to_string(id);
  r[2] = std::move(first);
  r[3] = std::move(last);
  r[6] = std::move(dob);
  r[9] = std::move(address);
  r[12] = std::move(zip);
  REQUIRE_FALSE(normalize_record(r).has_value());
  return features_of(id, r);
}

}  // namespace

TEST_CASE("empi model: comparison levels name what differs", "[empi]") {
  const auto a = person(1, "catherine", "smith", "1980-03-04");
  CHECK(compare(a, person(2, "catherine", "smith", "1980-03-04"))[kFirstName] == 1);
  CHECK(compare(a, person(2, "smith", "catherine", "1980-03-04"))[kFirstName] == 2);  // swapped
  CHECK(compare(a, person(2, "catherina", "smith", "1980-03-04"))[kFirstName] == 3);  // one edit
  CHECK(compare(a, person(2, "katherine", "smith", "1980-03-04"))[kFirstName] == 3);
  CHECK(compare(a, person(2, "kathryn", "smith", "1980-03-04"))[kFirstName] == 5);  // sounds alike
  CHECK(compare(a, person(2, "bob", "smith", "1980-03-04"))[kFirstName] == 7);
  CHECK(compare(a, person(2, "", "smith", "1980-03-04"))[kFirstName] == 0);  // missing
  CHECK(compare(a, person(2, "catherine", "smith", "1980-04-03"))[kBirthDate] == 2);
  CHECK(compare(a, person(2, "catherine", "smith", "1980-03-05"))[kBirthDate] == 3);
  CHECK(compare(a, person(2, "catherine", "smith", "1983-03-04"))[kBirthDate] == 3);  // digit typo
  CHECK(compare(a, person(2, "catherine", "smith", "1975-03-04"))[kBirthDate] == 4);
  CHECK(compare(a, person(2, "catherine", "smith", "1950-07-09"))[kBirthDate] == 5);
}

TEST_CASE("empi explanation: each household column says how it agrees on its own", "[empi]") {
  // household: address, city, state, zip_code, phone (columns 9, 10, 11, 12, 14)
  const auto record = [](std::int64_t id, std::string address, std::string city, std::string state,
                         std::string zip, std::string phone) {
    PersonRecord r;
    r[0] = "test";
    r[1] = std::to_string(id);
    r[2] = "ann";
    r[3] = "lee";
    r[9] = std::move(address);
    r[10] = std::move(city);
    r[11] = std::move(state);
    r[12] = std::move(zip);
    r[14] = std::move(phone);
    REQUIRE_FALSE(normalize_record(r).has_value());
    return features_of(id, r);
  };
  ModelParams p;
  for (int f = 0; f < kFieldCount; ++f) {
    for (int l = 0; l < kMaxLevels; ++l) {
      p.m[f][l] = 0.1;
      p.u[f][l] = 0.1;
    }
  }
  const auto a = record(1, "12 main street", "springfield", "il", "62701", "2175550100");
  // Same address and phone make the household "same" as a whole; the city and zip still differ.
  const auto b = record(2, "12 main street", "chicago", "il", "62702", "2175550100");
  auto why = explain_pair(p, a, b, nullptr);
  const auto& household = why["comparisons"][kHousehold];
  REQUIRE(household["comparison"] == "household");
  CHECK(household["agreement"] == "same");
  CHECK(household["column_agreements"] == nlohmann::json{{"address", "same"},
                                                         {"city", "different"},
                                                         {"state", "same"},
                                                         {"zip_code", "similar"},
                                                         {"phone", "same"}});
  // A typo in the street, a missing state, another phone.
  const auto c = record(3, "12 main stret", "springfield", "", "62701", "3125559999");
  why = explain_pair(p, a, c, nullptr);
  CHECK(why["comparisons"][kHousehold]["column_agreements"] ==
        nlohmann::json{{"address", "similar"},
                       {"city", "same"},
                       {"state", "missing"},
                       {"zip_code", "same"},
                       {"phone", "different"}});
  // A one-column comparison maps its column to its own agreement.
  const auto& first = why["comparisons"][kFirstName];
  CHECK(first["column_agreements"] == nlohmann::json{{"first_name", "same"}});
  CHECK(why["comparisons"][kSsn]["column_agreements"] ==
        nlohmann::json{{"social_security_number", "missing"}});
}

TEST_CASE("empi model: parameters survive JSON and weights follow m over u", "[empi]") {
  ModelParams p;
  p.lambda = 0.001;
  for (int f = 0; f < kFieldCount; ++f) {
    for (int l = 0; l < kMaxLevels; ++l) {
      p.m[f][l] = 0.1 * (l + 1) / 4;
      p.u[f][l] = 0.05;
    }
  }
  const auto back = ModelParams::from_json(p.to_json());
  CHECK(back.lambda == p.lambda);
  CHECK(back.m[kHousehold][2] == p.m[kHousehold][2]);
  CHECK(back.level_weight(kFirstName, 1) == Approx(std::log2(p.m[kFirstName][1] / 0.05)));
  CHECK(back.level_weight(kFirstName, 0) == 0.0);
  CHECK(probability_of(0) == Approx(0.5));
  CHECK(probability_of(weight_of(0.97)) == Approx(0.97));
  CHECK_THROWS_AS(ModelParams::from_json({{"probability_two_random_records_match", 0.1}}),
                  std::invalid_argument);
}

TEST_CASE("empi blocking: each candidate pair once, new ones only, big blocks skipped", "[empi]") {
  std::vector<RecordFeatures> r = {person(1, "anna", "lee", "1990-01-01", "2600"),
                                   person(2, "anna", "lee", "1990-01-01", "2600"),
                                   person(3, "anna", "lee", "1970-05-05", "3000", "9 hill road"),
                                   person(4, "lena", "ames", "1990-01-01", "4000", "5 bay road")};
  std::vector<KeyHashes> h;
  for (const auto& f : r) h.push_back(key_hashes(blocking_keys(f)));
  std::set<std::pair<std::uint32_t, std::uint32_t>> seen;
  int calls = 0;
  for_each_candidate_pair(h, nullptr, 100, [&](std::uint32_t i, std::uint32_t j) {
    ++calls;
    seen.insert({i, j});
  });
  CHECK(calls == static_cast<int>(seen.size()));  // never twice, though 1-2 share every key
  CHECK(seen.contains({0, 1}));
  CHECK(seen.contains({0, 2}));  // names alike
  CHECK(seen.contains({0, 3}));  // birth date and initials, names in the other order
  CHECK_FALSE(seen.contains({2, 3}));

  std::vector<bool> is_new = {false, false, true, false};
  seen.clear();
  for_each_candidate_pair(h, &is_new, 100, [&](auto i, auto j) { seen.insert({i, j}); });
  for (auto [i, j] : seen) CHECK((is_new[i] || is_new[j]));
  CHECK(seen.contains({0, 2}));

  // With blocks of at most 2, the shared names (3 records) are skipped, yet 0-1 still pair by
  // birth date and zip.
  seen.clear();
  const auto stats = for_each_candidate_pair(h, nullptr, 2, [&](auto i, auto j) {
    seen.insert({i, j});
  });
  CHECK(stats.oversized_blocks >= 1);
  CHECK(seen.contains({0, 1}));
  CHECK_FALSE(seen.contains({0, 2}));
}

TEST_CASE("empi clustering: links join groups except across a do-not-link pair", "[empi]") {
  Clusters c(5);
  c.forbid(0, 4);
  CHECK(c.link(0, 1));
  CHECK(c.link(2, 3));
  CHECK(c.link(3, 4));
  CHECK_FALSE(c.link(1, 2));  // would put 0 and 4 together
  CHECK(c.find(0) == c.find(1));
  CHECK(c.find(2) == c.find(4));
  CHECK(c.find(0) != c.find(2));
  CHECK(c.link(0, 1));  // already one group
}

namespace {

// 400 people, each with a duplicate whose birth date is wrong 10% of the time and whose first
// name has a typo 20% of the time; names drawn from small pools so non-matches agree often.
std::vector<RecordFeatures> synthetic_duplicates() {
  std::mt19937 rng(7);
  const std::vector<std::string> firsts = {"anna", "ben",  "carl", "dora", "emil", "fay",  "gus",
                                           "hana", "ivan", "jill", "karl", "lena", "milo", "nina"};
  const std::vector<std::string> lasts = {"ames",  "brown", "cole",  "diaz",  "evans", "ford",
                                          "grant", "hayes", "irwin", "jones", "khan",  "lopez",
                                          "moore", "nash",  "owens", "price", "quinn", "reyes"};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  auto date = [&] {
    char buf[11];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", 1930 + static_cast<int>(rng() % 70),
                  1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
    return std::string(buf);
  };
  std::vector<RecordFeatures> records;
  std::bernoulli_distribution wrong_date(0.1), typo(0.2);
  for (int p = 0; p < 400; ++p) {
    const auto first = pick(firsts), last = pick(lasts), dob = date();
    const auto zip = std::to_string(2000 + rng() % 800);
    const auto address = std::to_string(1 + rng() % 99) + " " + pick(lasts) + " street";
    records.push_back(person(2 * p, first, last, dob, zip, address));
    std::string first2 = first;
    if (typo(rng)) first2[1] = first2[1] == 'x' ? 'y' : 'x';
    records.push_back(
        person(2 * p + 1, first2, last, wrong_date(rng) ? date() : dob, zip, address));
  }
  return records;
}

}  // namespace

TEST_CASE("empi training: EM recovers the error rates of synthetic duplicates", "[empi]") {
  const auto records = synthetic_duplicates();
  nlohmann::json report;
  const auto model = train_model(records, TrainingSettings{}, &report);
  INFO(report.dump());
  INFO(model.to_json().dump());
  const double m_date_exact = model.m[kBirthDate][1];
  CHECK(m_date_exact == Approx(0.9).margin(0.06));
  CHECK(model.m[kFirstName][1] == Approx(0.8).margin(0.08));
  CHECK(model.level_weight(kFirstName, 1) > 0);
  CHECK(model.level_weight(kFirstName, 7) < 0);
  CHECK(model.level_weight(kBirthDate, 5) < 0);
  // The truth: 400 matching pairs among 800 * 799 / 2.
  const double truth = 400.0 / (800.0 * 799.0 / 2.0);
  CHECK(model.lambda > truth / 2);
  CHECK(model.lambda < truth * 2);
}

TEST_CASE("empi training settings: Tuva's and carehub's keys, checked", "[empi]") {
  const auto none = training_settings_from(nlohmann::json(), nlohmann::json());
  CHECK_FALSE(none.lambda);
  CHECK(none.compared == std::array<bool, kFieldCount>{true, true, true, true, true, true});

  const auto both = training_settings_from({{"probability_two_random_records_match", 0.001},
                                            {"max_iterations", 7},
                                            {"blocking_rules", 1}},
                                           {{"max_iterations", 9},
                                            {"u_sample_pairs", 5000},
                                            {"comparisons", {"first_name", "birth_date"}}});
  CHECK(both.lambda == Approx(0.001));
  CHECK(both.max_iterations == 9);  // model wins
  CHECK(both.u_sample_pairs == 5000);
  CHECK(both.compared[kFirstName]);
  CHECK(both.compared[kBirthDate]);
  CHECK_FALSE(both.compared[kLastName]);
  CHECK_FALSE(both.compared[kHousehold]);

  auto refused = [](const nlohmann::json& splink, const nlohmann::json& model) {
    try {
      training_settings_from(splink, model);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(refused({{"probability_two_random_records_match", 1.5}}, nullptr)
            .find("probability_two_random_records_match") != std::string::npos);
  CHECK(refused({{"max_iterations", "ten"}}, nullptr).find("max_iterations") != std::string::npos);
  CHECK(refused(nullptr, {{"colour", 1}}) == "model.colour is not a model setting");
  CHECK(refused(nullptr, {{"comparisons", {"shoe_size"}}}).find("shoe_size") != std::string::npos);
  CHECK(refused(nullptr, {{"comparisons", nlohmann::json::array()}}) != "accepted");
  CHECK(refused(nullptr, {{"u_sample_pairs", 10}}) != "accepted");
  CHECK(refused(nullptr, "x") == "model must be an object");
}

TEST_CASE("empi training: a comparison left out carries no evidence", "[empi]") {
  const auto records = synthetic_duplicates();
  TrainingSettings settings;
  settings.compared[kHousehold] = false;
  nlohmann::json report;
  const auto model = train_model(records, settings, &report);
  INFO(report.dump());
  for (int level = 0; level < kMaxLevels; ++level)
    CHECK(model.level_weight(kHousehold, level) == 0);
  CHECK(report["comparisons_left_out"] == nlohmann::json{"household"});
  // The rest is still learnt (with less evidence, less sharply).
  CHECK(model.level_weight(kFirstName, 1) > 0);
  CHECK(model.level_weight(kBirthDate, 1) > 0);
  CHECK(model.level_weight(kBirthDate, 5) < 0);
}

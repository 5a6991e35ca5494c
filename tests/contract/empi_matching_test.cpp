// Matching against a stored index, on both backends: automatic matching adds records to persons
// and merges persons, but never against a reviewer's decision. A do-not-link pair holds even when
// one of its records is not among the new record's candidates (it only shares a person with one).
#include <catch2/catch.hpp>

#include "contract/jobs_support.hpp"
#include "empi/matching.hpp"
#include "empi/store.hpp"

using namespace carehub;
using namespace carehub::empi;
using namespace carehub::test;

namespace {

// A hand-set model: exact agreement is strong evidence, anything else evidence against. (In an
// index of three records every name is common, so the term frequencies take the names' weight
// away: the look-alikes score about 0.87, hence the auto-match threshold of 0.8 below.)
ModelParams sharp_model() {
  ModelParams p;
  p.lambda = 1e-4;
  for (int f = 0; f < kFieldCount; ++f) {
    const auto levels = field_specs()[f].levels.size();
    p.m[f][0] = p.u[f][0] = 1.0;
    p.m[f][1] = 0.9;
    p.u[f][1] = 0.001;
    for (std::size_t l = 2; l < levels; ++l) {
      p.m[f][l] = 0.1 / static_cast<double>(levels - 2);
      p.u[f][l] = 0.999 / static_cast<double>(levels - 2);
    }
  }
  return p;
}

PersonRecord record(const std::string& source_id, const std::string& first, const std::string& last,
                    const std::string& birth, const std::string& address, const std::string& zip) {
  PersonRecord r;
  r[0] = "clinic";
  r[1] = source_id;
  r[2] = first;
  r[3] = last;
  r[4] = "f";
  r[6] = birth;
  r[9] = address;
  r[10] = "springfield";
  r[12] = zip;
  REQUIRE_FALSE(normalize_record(r));
  return r;
}

struct Index {
  explicit Index(Backend backend) : database(backend) { migrate(database.db(), {}); }
  Database& db() { return database.db(); }

  std::int64_t add(Tx& tx, const PersonRecord& r) {
    const auto id = *store.insert_record(tx, r, record_hash(r), 0, clock.now_ms());
    store.insert_blocking_keys(tx, id, blocking_keys(features_of(id, r)));
    TermFrequencies delta;
    delta.add(features_of(id, r));
    store.add_term_frequencies(tx, delta);
    return id;
  }
  std::optional<std::int64_t> person_of(std::int64_t record_id) {
    return db().transact(
        [&](Tx& tx) { return store.records_by_ids(tx, {record_id}).at(0).person_id; },
        TxMode::kRead);
  }

  TestDatabase database;
  ManualClock clock;
  EmpiStore store;
};

}  // namespace

TEST_CASE("empi matching: a new record never merges persons across a do-not-link pair",
          "[contract][empi]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  Index index(backend);

  // Person P holds A1 and X (a reviewer merged them: X shares no blocking key with A1); person Q
  // holds A2, which a reviewer kept apart from X. A1 and A2 look alike.
  const auto a1_record = record("a1", "anna", "kowalski", "1980-04-02", "12 elm street", "4101");
  const auto a2_record = record("a2", "anna", "kowalski", "1980-04-02", "12 elm street", "4101");
  std::int64_t a1 = 0, a2 = 0, x = 0, p = 0, q = 0, config_id = 0;
  index.db().transact([&](Tx& tx) {
    const auto now = index.clock.now_ms();
    a1 = index.add(tx, a1_record);
    x = index.add(tx, record("x", "zygmunt", "quarles", "1931-11-30", "9 far road", "9999"));
    a2 = index.add(tx, a2_record);
    const auto event = index.store.create_event(tx, "manual-match", "reviewer", std::nullopt,
                                                nlohmann::json::object(), now);
    p = index.store.create_person(tx, now);
    q = index.store.create_person(tx, now);
    index.store.assign_new_records(tx, event, {{a1, p}, {x, p}}, now);
    index.store.assign_new_records(tx, event, {{a2, q}}, now);
    index.store.add_do_not_link(tx, x, a2, event, "reviewer", now);
    config_id = index.store.create_config(tx, 0.3, 0.8, nlohmann::json::object(), "admin", now);
    index.store.set_parameters_once(tx, config_id, sharp_model().to_json(), now);
  });
  const auto config =
      *index.db().transact([&](Tx& tx) { return index.store.find_config(tx, config_id); });

  // A third look-alike arrives: it matches A1 and A2 strongly, so it would tie P and Q together.
  const auto n_record = record("n", "anna", "kowalski", "1980-04-02", "12 elm street", "4101");
  std::int64_t n = 0;
  index.db().transact([&](Tx& tx) { n = index.add(tx, n_record); });
  const auto summary = match_records(index.db(), index.clock, index.store, config,
                                     {NewRecord{n, features_of(n, n_record)}}, 0, "system",
                                     [](double, const std::string&) { return true; });
  INFO(summary.to_json().dump());

  CHECK(index.person_of(a1) == p);
  CHECK(index.person_of(x) == p);
  CHECK(index.person_of(a2) == q);  // not merged into P: X and A2 stay apart
  const auto n_person = index.person_of(n);
  REQUIRE(n_person);
  CHECK((*n_person == p || *n_person == q));
  CHECK(summary.persons_merged == 0);

  // Without the do-not-link pair the same arrival does merge them (the test can fail).
  Index open(backend);
  std::int64_t b1 = 0, b2 = 0, bn = 0, p2 = 0, q2 = 0, config2 = 0;
  open.db().transact([&](Tx& tx) {
    const auto now = open.clock.now_ms();
    b1 = open.add(tx, a1_record);
    b2 = open.add(tx, a2_record);
    const auto event = open.store.create_event(tx, "manual-match", "reviewer", std::nullopt,
                                               nlohmann::json::object(), now);
    p2 = open.store.create_person(tx, now);
    q2 = open.store.create_person(tx, now);
    open.store.assign_new_records(tx, event, {{b1, p2}}, now);
    open.store.assign_new_records(tx, event, {{b2, q2}}, now);
    config2 = open.store.create_config(tx, 0.3, 0.8, nlohmann::json::object(), "admin", now);
    open.store.set_parameters_once(tx, config2, sharp_model().to_json(), now);
    bn = open.add(tx, n_record);
  });
  const auto config_b =
      *open.db().transact([&](Tx& tx) { return open.store.find_config(tx, config2); });
  match_records(open.db(), open.clock, open.store, config_b,
                {NewRecord{bn, features_of(bn, n_record)}}, 0, "system",
                [](double, const std::string&) { return true; });
  CHECK(open.person_of(b1) == open.person_of(b2));
  CHECK(open.person_of(bn) == open.person_of(b1));
}

#include "empi/matching.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "empi/clustering.hpp"
#include "empi/training.hpp"

namespace carehub::empi {
namespace {

constexpr std::size_t kMaxBlock = 1000;
constexpr std::size_t kLoadAllFrequenciesAbove = 2000;
constexpr std::size_t kBulkRecords = 10000;  // above this, keys are stored sorted, ahead of persons
constexpr std::size_t kScoreChunk = 1 << 16;     // candidate pairs scored together
constexpr std::size_t kScoreInlineBelow = 4096;  // fewer are scored without a second thread

}  // namespace

nlohmann::json MatchSummary::to_json() const {
  nlohmann::json j = {{"candidate_pairs", candidate_pairs},
                      {"pairs_at_or_above_potential_threshold", pairs_stored},
                      {"auto_matched_pairs", auto_matched_pairs},
                      {"persons_created", persons_created},
                      {"persons_merged", persons_merged},
                      {"potential_matches", potential_matches}};
  if (!training.is_null()) j["training"] = training;
  j["seconds"] = seconds;
  return j;
}

ModelParams model_for(Database& db, const Clock& clock, EmpiStore& store, const ConfigRow& config,
                      const std::vector<RecordFeatures>& records, nlohmann::json* report) {
  if (config.parameters) return ModelParams::from_json(*config.parameters);
  const ModelParams trained =
      train_model(records,
                  training_settings_from(config.settings.value("splink_settings", nlohmann::json()),
                                         config.settings.value("model", nlohmann::json())),
                  report);
  // Two imports may train one config at once: the first stored wins, both use it.
  const auto stored = db.transact([&](Tx& tx) {
    return store.set_parameters_once(tx, config.id, trained.to_json(), clock.now_ms());
  });
  return ModelParams::from_json(stored);
}

MatchSummary match_records(Database& db, const Clock& clock, EmpiStore& store,
                           const ConfigRow& config, std::vector<NewRecord> fresh,
                           std::int64_t job_id, const std::string& actor,
                           const std::function<bool(double, const std::string&)>& progress) {
  MatchSummary summary;
  if (fresh.empty()) return summary;
  auto phase_start = std::chrono::steady_clock::now();
  auto lap = [&](const char* phase) {
    const auto now = std::chrono::steady_clock::now();
    summary.seconds[phase] =
        std::round(std::chrono::duration<double>(now - phase_start).count() * 1000) / 1000;
    phase_start = now;
  };

  // Old records that share a blocking key with a new one, and everything the clustering needs
  // to know about them.
  std::unordered_set<std::int64_t> fresh_ids;
  std::vector<BlockingKeys> fresh_keys;
  for (const auto& r : fresh) {
    fresh_ids.insert(r.id);
    fresh_keys.push_back(blocking_keys(r.features));
  }
  // A bulk run stores its records' blocking keys first, sorted, a unit per rule; a few records'
  // keys go in with their persons below. A crash in between leaves records with keys and no
  // person, which the next import matches (and the keys' insert does nothing again).
  const bool bulk = fresh.size() > kBulkRecords;
  if (bulk) {
    for (int rule = 0; rule < kBlockingRules; ++rule) {
      std::vector<std::pair<std::string_view, std::int64_t>> keys;
      keys.reserve(fresh.size());
      for (std::size_t i = 0; i < fresh.size(); ++i) {
        if (!fresh_keys[i][rule].empty()) keys.emplace_back(fresh_keys[i][rule], fresh[i].id);
      }
      db.transact([&](Tx& tx) { store.insert_blocking_keys_sorted(tx, rule, std::move(keys)); });
    }
    lap("keys");
  }
  TermFrequencies tf;
  std::vector<StoredRecord> old;
  std::vector<std::pair<std::int64_t, std::int64_t>> forbidden;
  db.transact(
      [&](Tx& tx) {
        std::set<std::int64_t> old_ids;
        // Into an empty index (the first import) there is nothing old to look up: every stored
        // record is among these.
        const bool index_empty = !store.has_assigned_records(tx);
        for (const auto& keys : index_empty ? std::vector<BlockingKeys>{} : fresh_keys) {
          for (auto id : store.candidates_for(tx, keys)) {
            if (!fresh_ids.contains(id)) old_ids.insert(id);
          }
        }
        old = store.records_by_ids(tx, {old_ids.begin(), old_ids.end()});
        // Every record of those records' persons too: a merge of two persons must see the
        // do-not-link pairs of all their records, not only of the ones that were candidates.
        std::set<std::int64_t> persons;
        for (const auto& o : old) {
          if (o.person_id) persons.insert(*o.person_id);
        }
        for (auto person : persons) {
          for (auto& member : store.records_of_person(tx, person)) {
            if (old_ids.insert(member.id).second) old.push_back(std::move(member));
          }
        }
        forbidden = store.do_not_link_among(tx, {old_ids.begin(), old_ids.end()});
        tf.set_total(store.count_records(tx));
      },
      TxMode::kRead);
  progress(55, "matching " + std::to_string(fresh.size()) + " new records against " +
                   std::to_string(old.size()) + " stored candidates");

  const std::size_t n_new = fresh.size();
  std::vector<RecordFeatures> features;
  features.reserve(n_new + old.size());
  for (auto& r : fresh) features.push_back(std::move(r.features));
  for (const auto& o : old) features.push_back(features_of(o.id, o.record));
  std::vector<bool> is_new(features.size(), false);
  std::fill(is_new.begin(), is_new.begin() + static_cast<std::ptrdiff_t>(n_new), true);
  std::unordered_map<std::int64_t, std::uint32_t> index_of;
  for (std::uint32_t i = 0; i < features.size(); ++i) index_of[features[i].id] = i;

  db.transact(
      [&](Tx& tx) {
        // A bulk import reads the whole table (bounded by distinct values); a few records read
        // only their own values.
        if (features.size() > kLoadAllFrequenciesAbove) {
          store.load_term_frequencies(tx, tf);
        } else {
          store.load_term_frequencies_for(tx, features, tf);
        }
      },
      TxMode::kRead);
  lap("candidates");
  const ModelParams model = model_for(db, clock, store, config, features, &summary.training);
  lap("training");
  progress(65, "scoring candidate pairs");

  std::vector<KeyHashes> hashes;
  hashes.reserve(features.size());
  for (std::size_t i = 0; i < features.size(); ++i) {
    hashes.push_back(key_hashes(i < n_new ? fresh_keys[i] : blocking_keys(features[i])));
  }
  struct Scored {
    double probability, weight;
    std::uint32_t i, j;
  };
  if (bulk) std::vector<BlockingKeys>().swap(fresh_keys);  // stored; the hashes do from here
  std::vector<Scored> scored;
  const double floor = std::min(config.potential_match_threshold, config.auto_match_threshold);
  // Pairs are scored a chunk at a time, half on a second thread (scoring is most of the work and
  // reads only const data); the halves are appended in order, so the result is deterministic.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> chunk;
  chunk.reserve(kScoreChunk);
  const auto score = [&](std::size_t from, std::size_t to, std::vector<Scored>& out) {
    for (std::size_t k = from; k < to; ++k) {
      const auto [i, j] = chunk[k];
      const double w = model.weight(compare(features[i], features[j]), features[i], &tf);
      const double p = probability_of(w);
      if (p >= floor) out.push_back({p, w, i, j});
    }
  };
  const auto score_chunk = [&] {
    if (chunk.size() < kScoreInlineBelow) {  // a few records: no thread
      score(0, chunk.size(), scored);
      chunk.clear();
      return;
    }
    const std::size_t half = chunk.size() / 2;
    std::vector<Scored> first, second;
    std::exception_ptr helper_failed;
    std::thread helper([&] {
      try {
        score(0, half, first);
      } catch (...) {
        helper_failed = std::current_exception();
      }
    });
    try {
      score(half, chunk.size(), second);
    } catch (...) {
      helper.join();
      throw;
    }
    helper.join();
    if (helper_failed) std::rethrow_exception(helper_failed);
    scored.insert(scored.end(), first.begin(), first.end());
    scored.insert(scored.end(), second.begin(), second.end());
    chunk.clear();
  };
  const auto stats =
      for_each_candidate_pair(hashes, &is_new, kMaxBlock, [&](std::uint32_t i, std::uint32_t j) {
        chunk.emplace_back(i, j);
        if (chunk.size() == kScoreChunk) score_chunk();
      });
  if (!chunk.empty()) score_chunk();
  summary.candidate_pairs = stats.pairs;
  std::sort(scored.begin(), scored.end(),
            [](const Scored& a, const Scored& b) { return a.probability > b.probability; });
  lap("scoring");

  // Persons: old records start grouped as they are; strong pairs join groups.
  Clusters clusters(features.size());
  std::unordered_map<std::int64_t, std::uint32_t> first_of_person;
  std::vector<std::optional<std::int64_t>> person_of(features.size());
  for (std::size_t k = 0; k < old.size(); ++k) {
    const auto i = static_cast<std::uint32_t>(n_new + k);
    person_of[i] = old[k].person_id;
    if (!old[k].person_id) continue;
    auto [it, inserted] = first_of_person.emplace(*old[k].person_id, i);
    if (!inserted) clusters.link(it->second, i);
  }
  for (auto [l, r] : forbidden) {
    auto a = index_of.find(l), b = index_of.find(r);
    if (a != index_of.end() && b != index_of.end()) clusters.forbid(a->second, b->second);
  }
  for (const auto& s : scored) {
    if (s.probability < config.auto_match_threshold) break;
    if (clusters.link(s.i, s.j)) ++summary.auto_matched_pairs;
  }
  progress(80, "storing persons");

  const std::int64_t now = clock.now_ms();
  db.transact([&](Tx& tx) {
    const std::int64_t event =
        store.create_event(tx, "auto-match", actor, job_id,
                           {{"config_id", config.id},
                            {"new_records", n_new},
                            {"auto_matched_pairs", summary.auto_matched_pairs}},
                           now);
    // Each group with new records: its persons (the oldest keeps the rest), else a new one.
    std::map<std::uint32_t, std::vector<std::uint32_t>> groups;
    for (std::uint32_t i = 0; i < features.size(); ++i) groups[clusters.find(i)].push_back(i);
    std::unordered_map<std::int64_t, std::int64_t> final_person;  // record id -> person id
    std::vector<std::pair<std::int64_t, std::int64_t>> arriving;  // new record, its person
    struct Group {
      const std::vector<std::uint32_t>* members;
      std::set<std::int64_t> persons;
    };
    std::vector<Group> with_new;
    for (const auto& [root, members] : groups) {
      Group g{&members, {}};
      bool has_new = false;
      for (auto i : members) {
        if (is_new[i]) has_new = true;
        if (person_of[i]) g.persons.insert(*person_of[i]);
      }
      if (has_new) with_new.push_back(std::move(g));
    }
    // Those with no person yet get a new one each, made together.
    const auto without_person = std::count_if(with_new.begin(), with_new.end(),
                                              [](const Group& g) { return g.persons.empty(); });
    const auto created = store.create_persons(tx, static_cast<std::size_t>(without_person), now);
    std::size_t next_created = 0;
    for (const auto& [members_of, persons] : with_new) {
      const auto& members = *members_of;
      std::int64_t target;
      if (persons.empty()) {
        target = created.at(next_created++);
        ++summary.persons_created;
      } else {
        target = *persons.begin();
      }
      for (auto i : members) {
        if (is_new[i]) arriving.emplace_back(features[i].id, target);
        final_person[features[i].id] = target;
      }
      for (auto p : persons) {
        if (p == target) continue;
        for (const auto& rec : store.records_of_person(tx, p)) {
          store.move_record(tx, event, rec.id, p, target, now);
          final_person[rec.id] = target;
        }
        ++summary.persons_merged;
      }
    }
    store.assign_new_records(tx, event, std::move(arriving), now);
    if (!bulk) {
      for (std::size_t i = 0; i < n_new; ++i)
        store.insert_blocking_keys(tx, features[i].id, fresh_keys[i]);
    }
    for (std::size_t k = 0; k < old.size(); ++k) {
      if (!final_person.contains(old[k].id) && old[k].person_id)
        final_person[old[k].id] = *old[k].person_id;
    }

    // Pairs worth keeping (in the unique index's order, so its pages fill one after another), and
    // the groups of persons they tie for a reviewer.
    const auto pair_of = [&](const Scored& s) {
      const std::int64_t a = features[s.i].id, b = features[s.j].id;
      return std::pair{std::min(a, b), std::max(a, b)};
    };
    std::sort(scored.begin(), scored.end(),
              [&](const Scored& x, const Scored& y) { return pair_of(x) < pair_of(y); });
    std::map<std::int64_t, std::set<std::int64_t>> links;  // person -> persons
    std::map<std::int64_t, double> best;                   // person -> best pair probability
    for (const auto& s : scored) {
      const auto [a, b] = pair_of(s);
      store.store_pair(tx, {a, b, s.probability, s.weight}, config.id, job_id, now);
      ++summary.pairs_stored;
      if (s.probability >= config.auto_match_threshold ||
          s.probability < config.potential_match_threshold) {
        continue;
      }
      const auto pa = final_person.at(a), pb = final_person.at(b);
      if (pa == pb) continue;
      links[pa].insert(pb);
      links[pb].insert(pa);
      best[pa] = std::max(best[pa], s.probability);
      best[pb] = std::max(best[pb], s.probability);
    }
    std::set<std::int64_t> seen;
    for (const auto& [start, _] : links) {
      if (seen.contains(start)) continue;
      std::vector<std::int64_t> component{start}, stack{start};
      seen.insert(start);
      double max_p = 0;
      while (!stack.empty()) {
        const auto p = stack.back();
        stack.pop_back();
        max_p = std::max(max_p, best[p]);
        for (auto q : links[p]) {
          if (seen.insert(q).second) {
            component.push_back(q);
            stack.push_back(q);
          }
        }
      }
      std::optional<std::int64_t> pm;
      for (auto p : component) {
        if ((pm = store.open_potential_match_of(tx, p))) break;
      }
      if (!pm) {
        pm = store.create_potential_match(tx, max_p, now);
        ++summary.potential_matches;
      }
      store.extend_potential_match(tx, *pm, component, max_p, now);
    }
  });
  lap("persons");
  progress(99, "done");
  return summary;
}

std::vector<Candidate> score_against_index(Tx& tx, EmpiStore& store, const ModelParams& model,
                                           const RecordFeatures& record, std::size_t limit,
                                           std::optional<std::int64_t> exclude) {
  std::vector<std::int64_t> ids = store.candidates_for(tx, blocking_keys(record));
  std::erase_if(ids, [&](std::int64_t id) { return exclude && id == *exclude; });
  const auto stored = store.records_by_ids(tx, ids);
  std::vector<RecordFeatures> features{record};
  for (const auto& s : stored) features.push_back(features_of(s.id, s.record));
  TermFrequencies tf;
  store.load_term_frequencies_for(tx, features, tf);
  tf.set_total(store.count_records(tx));
  std::vector<Candidate> out;
  for (std::size_t k = 0; k < stored.size(); ++k) {
    const auto& other = features[k + 1];
    out.push_back({stored[k].id, stored[k].person_id,
                   probability_of(model.weight(compare(record, other), record, &tf))});
  }
  std::sort(out.begin(), out.end(),
            [](const Candidate& a, const Candidate& b) { return a.probability > b.probability; });
  if (out.size() > limit) out.resize(limit);
  return out;
}

MatchSummary match_records_exclusively(
    Database& db, const Clock& clock, EmpiStore& store, const ConfigRow& config,
    std::vector<NewRecord> fresh, std::int64_t job_id, const std::string& actor,
    const std::function<bool(double, const std::string&)>& progress) {
  static std::mutex in_process;  // the global lock serialises processes; this, threads
  std::lock_guard one_at_a_time(in_process);
  MatchSummary summary;
  db.with_global_lock("empi.match", [&] {
    summary = match_records(db, clock, store, config, std::move(fresh), job_id, actor, progress);
  });
  return summary;
}

}  // namespace carehub::empi

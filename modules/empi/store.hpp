// The index in the database: records, blocking keys, term frequencies, persons, scored pairs,
// match events and their record-by-record actions. SQL lives here and nowhere else in the module;
// every function runs inside the caller's transaction.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "carehub/db.hpp"
#include "empi/blocking.hpp"
#include "empi/model.hpp"
#include "empi/record.hpp"

namespace carehub::empi {

struct ConfigRow {
  std::int64_t id = 0;
  double potential_match_threshold = 0;
  double auto_match_threshold = 0;
  nlohmann::json settings;
  std::optional<nlohmann::json> parameters;
  std::optional<std::int64_t> trained_at_ms;
  std::string created_by;
  std::int64_t created_at_ms = 0;
};

struct StoredRecord {
  std::int64_t id = 0;
  std::optional<std::int64_t> person_id;
  PersonRecord record;   // normalised: what matching compares
  std::string original;  // original_delta's text: how it was imported, where that differs
  bool matched_or_reviewed = false;
  std::int64_t created_at_ms = 0;
  std::int64_t person_updated_at_ms = 0;
};

inline PersonRecord as_imported(const StoredRecord& r) {
  return with_originals(r.record, r.original);
}

struct PersonRow {
  std::int64_t id = 0;
  std::string uuid;
  int version = 0;
  int record_count = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

// Tuva's search filters: each a record column (of kRecordColumns) and its normalised value; a
// person or potential match is found when one of its records has them all. A value that could not
// be normalised (a half-typed date) is matched as the start of the stored text instead.
struct RecordFilter {
  std::string column;
  std::string value;
  bool prefix = false;
};
using RecordFilters = std::vector<RecordFilter>;

struct PotentialMatchHit {
  std::int64_t id = 0;
  double max_probability = 0;
};

// The review queue: open potential matches, by probability (highest first unless ascending).
struct PotentialMatchQuery {
  RecordFilters filters;
  std::optional<double> min_probability, max_probability;
  bool ascending = false;
  int limit = 50;
  int offset = 0;
};

// A page and the number of rows on all pages.
template <typename T>
struct Page {
  std::vector<T> rows;
  std::int64_t total = 0;
};

struct ScoredPair {
  std::int64_t record_l = 0, record_r = 0;  // l < r
  double probability = 0, weight = 0;
};

// A record on its way in from an import.
struct RecordToStore {
  PersonRecord record;   // normalised
  std::string hash;      // record_hash(record)
  std::string original;  // original_delta's text ("" when given as normalised)
};

class EmpiStore {
 public:
  // --- configs ---
  std::int64_t create_config(Tx& tx, double potential, double automatic,
                             const nlohmann::json& settings, const std::string& actor,
                             std::int64_t now_ms);
  std::optional<ConfigRow> find_config(Tx& tx, std::int64_t id);
  std::optional<ConfigRow> latest_trained_config(Tx& tx);
  // The stored record with these exact normalised values.
  std::optional<std::int64_t> record_by_hash(Tx& tx, const std::string& hash);
  // Stores learnt parameters unless some were stored first; returns what the config holds now.
  nlohmann::json set_parameters_once(Tx& tx, std::int64_t id, const nlohmann::json& parameters,
                                     std::int64_t now_ms);

  // --- records ---
  // The new record's id, or nullopt when a record with the same hash is already stored. original:
  // original_delta's text ("" when the record was given as normalised).
  std::optional<std::int64_t> insert_record(Tx& tx, const PersonRecord& record,
                                            const std::string& hash, std::int64_t job_id,
                                            std::int64_t now_ms, const std::string& original = {});
  // A bulk import's batch: the new records' ids in batch order, nullopt for one already stored.
  std::vector<std::optional<std::int64_t>> insert_records(Tx& tx,
                                                          const std::vector<RecordToStore>& batch,
                                                          std::int64_t job_id, std::int64_t now_ms);
  void insert_blocking_keys(Tx& tx, std::int64_t record_id, const BlockingKeys& keys);
  // Many records' keys under one rule, in key order (sorted here): a B-tree takes sorted keys as
  // appends to a few pages, where the same keys in arrival order dirty pages all over the index.
  void insert_blocking_keys_sorted(Tx& tx, int rule,
                                   std::vector<std::pair<std::string_view, std::int64_t>> keys);
  // Records sharing at least one blocking key with keys.
  std::vector<std::int64_t> candidates_for(Tx& tx, const BlockingKeys& keys);
  // In the order of ids (an id asked twice is there twice); absent ids are left out.
  std::vector<StoredRecord> records_by_ids(Tx& tx, const std::vector<std::int64_t>& ids);
  std::vector<StoredRecord> records_of_person(Tx& tx, std::int64_t person_id);
  // Up to limit records with a person, ids above after_id in id order, each with its person's
  // UUID: one page of the crosswalk.
  std::vector<std::pair<std::string, StoredRecord>> crosswalk_page(Tx& tx, std::int64_t after_id,
                                                                   int limit);
  std::vector<std::string> data_sources(Tx& tx);
  // Records stored, from the highest id (an index lookup; exact unless ids were skipped by rolled
  // back inserts, close enough for term frequencies). COUNT(*) would scan a million rows.
  std::int64_t count_records(Tx& tx);

  // --- term frequencies ---
  void load_term_frequencies(Tx& tx, TermFrequencies& out);
  // Only the values these records hold (for a few records against a large index).
  void load_term_frequencies_for(Tx& tx, const std::vector<RecordFeatures>& records,
                                 TermFrequencies& out);
  void add_term_frequencies(Tx& tx, const TermFrequencies& delta);

  // --- persons and events ---
  std::int64_t create_person(Tx& tx, std::int64_t now_ms);
  // count new persons, made in one go; their ids, in order.
  std::vector<std::int64_t> create_persons(Tx& tx, std::size_t count, std::int64_t now_ms);
  std::optional<PersonRow> find_person(Tx& tx, std::int64_t id);
  std::optional<PersonRow> find_person_by_uuid(Tx& tx, const std::string& uuid);

  // --- searches (store_search.cpp) ---

  // Persons with records, in id order. Throws std::invalid_argument for a filter column that is
  // not a record column (a programmer error: filter names come from code).
  Page<PersonRow> search_persons(Tx& tx, const RecordFilters& filters,
                                 const std::optional<std::string>& person_uuid, int limit,
                                 int offset);
  Page<PotentialMatchHit> search_potential_matches(Tx& tx, const PotentialMatchQuery& query);
  // Every record of every person of these potential matches, in one query (a page of the queue
  // without a query per row): potential match id -> (person id, record), by record id.
  std::map<std::int64_t, std::vector<std::pair<std::int64_t, StoredRecord>>>
  records_of_potential_matches(Tx& tx, const std::vector<std::int64_t>& ids);
  // The same for persons: person id -> records, by record id.
  std::map<std::int64_t, std::vector<StoredRecord>> records_of_persons(
      Tx& tx, const std::vector<std::int64_t>& person_ids);
  std::vector<ConfigRow> list_configs(Tx& tx);
  // Records no person holds yet (stored by a run that died before matching them).
  std::vector<std::int64_t> unassigned_record_ids(Tx& tx);
  // Whether any record belongs to a person (false: the first import into an empty index).
  bool has_assigned_records(Tx& tx);
  // Records new to any person, each into the person paired with it, with an action each; each
  // person's count and version change once. Applied in record id order (the table's order).
  void assign_new_records(Tx& tx, std::int64_t event_id,
                          std::vector<std::pair<std::int64_t, std::int64_t>> record_person,
                          std::int64_t now_ms);
  // Moves the record and keeps both persons' counts and versions right.
  void move_record(Tx& tx, std::int64_t event_id, std::int64_t record_id,
                   std::optional<std::int64_t> from, std::int64_t to, std::int64_t now_ms);
  std::int64_t create_event(Tx& tx, const std::string& type, const std::string& actor,
                            std::optional<std::int64_t> job_id, const nlohmann::json& detail,
                            std::int64_t now_ms);
  void store_pair(Tx& tx, const ScoredPair& pair, std::int64_t config_id, std::int64_t job_id,
                  std::int64_t now_ms);
  // --- potential matches ---
  std::optional<std::int64_t> open_potential_match_of(Tx& tx, std::int64_t person_id);
  std::int64_t create_potential_match(Tx& tx, double max_probability, std::int64_t now_ms);
  // Adds persons (already there: ignored), raises max_match_probability, bumps the version.
  void extend_potential_match(Tx& tx, std::int64_t id, const std::vector<std::int64_t>& persons,
                              double max_probability, std::int64_t now_ms);

  struct PotentialMatchRow {
    std::int64_t id = 0;
    int version = 0;
    std::string status;
    double max_match_probability = 0;
    std::int64_t created_at_ms = 0;
  };
  std::optional<PotentialMatchRow> find_potential_match(Tx& tx, std::int64_t id);
  std::vector<std::int64_t> potential_match_persons(Tx& tx, std::int64_t id);
  struct PairRow {
    std::int64_t id = 0;
    ScoredPair pair;
    std::int64_t config_id = 0;
    std::int64_t created_at_ms = 0;
  };
  // Scored pairs whose both records are among record_ids.
  std::vector<PairRow> pairs_among(Tx& tx, const std::vector<std::int64_t>& record_ids);
  // Marks it resolved if it is still open at this version; false when someone was first.
  bool resolve_potential_match(Tx& tx, std::int64_t id, int version, std::int64_t now_ms);
  // Bumps the person's version if it is still at this one; false when it moved on.
  bool claim_person_version(Tx& tx, std::int64_t person_id, int version, std::int64_t now_ms);
  void mark_reviewed(Tx& tx, std::int64_t record_id);
  void add_do_not_link(Tx& tx, std::int64_t a, std::int64_t b, std::int64_t event_id,
                       const std::string& actor, std::int64_t now_ms);
  void add_comment(Tx& tx, std::int64_t event_id, std::int64_t record_id, const std::string& author,
                   const std::string& comment, std::int64_t now_ms);

  // --- history and undo ---
  struct EventRow {
    std::int64_t id = 0;
    std::string type, actor;
    std::optional<std::int64_t> job_id, potential_match_id, undoes_event_id, undone_by_event_id;
    nlohmann::json detail;
    std::int64_t created_at_ms = 0;
  };
  struct ActionRow {
    std::int64_t record_id = 0;
    std::optional<std::int64_t> from_person_id;
    std::optional<std::int64_t> to_person_id;
  };
  std::optional<EventRow> find_event(Tx& tx, std::int64_t id);
  std::vector<EventRow> events_of_person(Tx& tx, std::int64_t person_id);
  std::vector<ActionRow> actions_of_event(Tx& tx, std::int64_t event_id);
  std::vector<std::pair<std::int64_t, std::string>> comments_of_event(Tx& tx,
                                                                      std::int64_t event_id);
  // Marks `id` undone by `by` unless it already was; false then.
  bool mark_undone(Tx& tx, std::int64_t id, std::int64_t by);
  void set_undoes(Tx& tx, std::int64_t event_id, std::int64_t undone);
  void remove_do_not_link_of_event(Tx& tx, std::int64_t event_id);
  // Do-not-link pairs with one record in a and the other in b.
  std::vector<std::pair<std::int64_t, std::int64_t>> do_not_link_between(
      Tx& tx, const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b);

  // Do-not-link pairs touching any of these records.
  std::vector<std::pair<std::int64_t, std::int64_t>> do_not_link_among(
      Tx& tx, const std::vector<std::int64_t>& record_ids);
};

}  // namespace carehub::empi

#include "empi/store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>
#include <unordered_map>

#include "carehub/hash.hpp"
#include "carehub/json.hpp"
#include "empi/store_rows.hpp"

namespace carehub::empi {
namespace {

// `head (...), (...) tail` over `rows` rows of `width` values each (row(k, out) appends row k's
// values): an INSERT's VALUES, or an UPDATE ... FROM (VALUES ...). Many rows a statement: a
// statement per row was most of a million-record import's time in the database. Every full chunk
// is the same SQL, so one cached statement.
void exec_many_rows(Tx& tx, std::string_view head, std::size_t width, std::size_t rows,
                    const std::function<void(std::size_t, Params&)>& row, std::string_view tail,
                    const std::function<void(const Row&)>& returned = {}) {
  constexpr std::size_t kRowsPerStatement = 128;
  const auto sql_for = [&](std::size_t n) {
    std::string sql(head);
    for (std::size_t r = 0; r < n; ++r) {
      sql += r ? ", (" : " (";
      for (std::size_t c = 0; c < width; ++c) {
        sql += fmt::format("{}${}", c ? ", " : "", r * width + c + 1);
      }
      sql += ")";
    }
    sql += " ";
    sql += tail;
    return sql;
  };
  const std::string full = rows >= kRowsPerStatement ? sql_for(kRowsPerStatement) : "";
  Params params;
  for (std::size_t at = 0; at < rows; at += kRowsPerStatement) {
    const std::size_t n = std::min(kRowsPerStatement, rows - at);
    params.clear();
    for (std::size_t r = 0; r < n; ++r) row(at + r, params);
    if (!returned) {
      tx.exec(n == kRowsPerStatement ? full : sql_for(n), params);
      continue;
    }
    for (const auto& r : tx.query(n == kRowsPerStatement ? full : sql_for(n), params)) returned(r);
  }
}

constexpr const char* kConfigColumnsSql =
    "id, potential_match_threshold, auto_match_threshold, settings, parameters, created_at_ms, "
    "trained_at_ms, created_by";

ConfigRow config_from_row(const Row& row) {
  ConfigRow c;
  c.id = row.integer(0);
  c.potential_match_threshold = row.real(1);
  c.auto_match_threshold = row.real(2);
  c.settings = parse_stored_json(row.text(3), "EMPI config settings");
  if (auto p = row.opt_text(4)) c.parameters = parse_stored_json(*p, "EMPI config parameters");
  c.created_at_ms = row.integer(5);
  c.trained_at_ms = row.opt_integer(6);
  c.created_by = row.text(7);
  return c;
}

}  // namespace

const char* const kRecordSelect =
    "r.id, r.person_id, r.data_source, r.source_person_id, r.first_name, r.last_name, r.sex, "
    "r.race, r.birth_date, r.death_date, r.social_security_number, r.address, r.city, r.state, "
    "r.zip_code, r.county, r.phone, r.matched_or_reviewed, r.created_at_ms, "
    "r.person_updated_at_ms, r.original";

StoredRecord record_from_row(const Row& row) {
  StoredRecord r;
  r.id = row.integer(0);
  r.person_id = row.opt_integer(1);
  for (std::size_t i = 0; i < kRecordColumns.size(); ++i) r.record[i] = row.text(2 + i);
  r.matched_or_reviewed = row.integer(17) != 0;
  r.created_at_ms = row.integer(18);
  r.person_updated_at_ms = row.integer(19);
  r.original = row.opt_text(20).value_or("");
  return r;
}

namespace {

// A random (version 4) UUID.
std::string new_uuid() {
  std::string h = random_hex(16);
  h[12] = '4';
  h[16] = "89ab"[std::stoi(h.substr(16, 1), nullptr, 16) & 3];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20, 12);
}

}  // namespace

PersonRow person_from_row(const Row& row) {
  return {row.integer(0),
          row.text(1),
          static_cast<int>(row.integer(2)),
          static_cast<int>(row.integer(3)),
          row.integer(4),
          row.integer(5)};
}

std::int64_t EmpiStore::create_config(Tx& tx, double potential, double automatic,
                                      const nlohmann::json& settings, const std::string& actor,
                                      std::int64_t now_ms) {
  return tx
      .query_one(
          "INSERT INTO empi_configs (potential_match_threshold, auto_match_threshold, settings, "
          "created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
          {potential, automatic, settings.dump(), actor, now_ms})
      ->integer(0);
}

std::optional<ConfigRow> EmpiStore::find_config(Tx& tx, std::int64_t id) {
  auto row = tx.query_one(
      std::string("SELECT ") + kConfigColumnsSql + " FROM empi_configs WHERE id = $1", {id});
  if (!row) return std::nullopt;
  return config_from_row(*row);
}

std::vector<ConfigRow> EmpiStore::list_configs(Tx& tx) {
  std::vector<ConfigRow> out;
  for (const auto& row :
       tx.query(std::string("SELECT ") + kConfigColumnsSql + " FROM empi_configs ORDER BY id DESC"))
    out.push_back(config_from_row(row));
  return out;
}

std::optional<ConfigRow> EmpiStore::latest_trained_config(Tx& tx) {
  auto row = tx.query_one(
      "SELECT id FROM empi_configs WHERE parameters IS NOT NULL ORDER BY id DESC LIMIT 1");
  if (!row) return std::nullopt;
  return find_config(tx, row->integer(0));
}

std::optional<std::int64_t> EmpiStore::record_by_hash(Tx& tx, const std::string& hash) {
  auto row = tx.query_one("SELECT id FROM empi_records WHERE record_hash = $1", {hash});
  if (!row) return std::nullopt;
  return row->integer(0);
}

nlohmann::json EmpiStore::set_parameters_once(Tx& tx, std::int64_t id,
                                              const nlohmann::json& parameters,
                                              std::int64_t now_ms) {
  tx.exec(
      "UPDATE empi_configs SET parameters = $2, trained_at_ms = $3 WHERE id = $1 AND parameters "
      "IS NULL",
      {id, parameters.dump(), now_ms});
  return *find_config(tx, id)->parameters;
}

namespace {

constexpr std::string_view kInsertRecord =
    "INSERT INTO empi_records (record_hash, data_source, source_person_id, first_name, last_name, "
    "sex, race, birth_date, death_date, social_security_number, address, city, state, zip_code, "
    "county, phone, job_id, created_at_ms, person_updated_at_ms, original) VALUES ($1, $2, $3, $4, "
    "$5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19) ON CONFLICT "
    "(record_hash) DO NOTHING";

Params record_params(const PersonRecord& r, const std::string& hash, std::int64_t job_id,
                     std::int64_t now_ms, const std::string& original) {
  Params p{hash};
  for (const auto& v : r.values) p.emplace_back(v);
  p.emplace_back(job_id);
  p.emplace_back(now_ms);
  if (original.empty()) {
    p.emplace_back(nullptr);
  } else {
    p.emplace_back(original);
  }
  return p;
}

}  // namespace

std::optional<std::int64_t> EmpiStore::insert_record(Tx& tx, const PersonRecord& r,
                                                     const std::string& hash, std::int64_t job_id,
                                                     std::int64_t now_ms,
                                                     const std::string& original) {
  auto row = tx.query_one(std::string(kInsertRecord) + " RETURNING id",
                          record_params(r, hash, job_id, now_ms, original));
  if (!row) return std::nullopt;
  return row->integer(0);
}

std::vector<std::optional<std::int64_t>> EmpiStore::insert_records(
    Tx& tx, const std::vector<RecordToStore>& batch, std::int64_t job_id, std::int64_t now_ms) {
  // No RETURNING here. SQLite keeps a journal for a statement with RETURNING, to undo it alone,
  // with the six pages each insert changes (the table and five indexes). Past 64 KiB that journal
  // moves to a file for the rest of the transaction: in a 50,000-row batch, 33 GB of writes for a
  // million records, a third of the import. The new rows' ids are read back by hash afterwards,
  // a few hundred a statement, from pages the inserts have just cached.
  std::vector<std::size_t> inserted;
  for (std::size_t k = 0; k < batch.size(); ++k) {
    const auto& b = batch[k];
    if (tx.exec(kInsertRecord, record_params(b.record, b.hash, job_id, now_ms, b.original)) > 0)
      inserted.push_back(k);
  }
  std::vector<std::optional<std::int64_t>> ids(batch.size());
  constexpr std::size_t kHashesPerStatement = 500;
  for (std::size_t at = 0; at < inserted.size(); at += kHashesPerStatement) {
    const std::size_t n = std::min(kHashesPerStatement, inserted.size() - at);
    Params params;
    std::string sql = "SELECT record_hash, id FROM empi_records WHERE record_hash IN (";
    std::unordered_map<std::string_view, std::size_t> slot_of;
    for (std::size_t i = 0; i < n; ++i) {
      const auto k = inserted[at + i];
      params.emplace_back(batch[k].hash);
      sql += fmt::format("{}${}", i ? ", " : "", i + 1);
      slot_of.emplace(batch[k].hash, k);
    }
    sql += ")";
    for (const auto& row : tx.query(sql, params)) {
      const auto hash = row.text(0);
      if (auto it = slot_of.find(hash); it != slot_of.end()) ids[it->second] = row.integer(1);
    }
  }
  return ids;
}

void EmpiStore::insert_blocking_keys(Tx& tx, std::int64_t record_id, const BlockingKeys& keys) {
  // One statement for all of a record's keys (a statement per key was a seventh of an import).
  std::vector<int> rules;
  for (int rule = 0; rule < kBlockingRules; ++rule) {
    if (!keys[rule].empty()) rules.push_back(rule);
  }
  exec_many_rows(
      tx, "INSERT INTO empi_blocking_keys (rule, key, record_id) VALUES", 3, rules.size(),
      [&](std::size_t k, Params& out) {
        out.insert(out.end(), {std::int64_t{rules[k]}, keys[rules[k]], record_id});
      },
      "ON CONFLICT DO NOTHING");
}

void EmpiStore::insert_blocking_keys_sorted(
    Tx& tx, int rule, std::vector<std::pair<std::string_view, std::int64_t>> keys) {
  std::sort(keys.begin(), keys.end());
  exec_many_rows(
      tx, "INSERT INTO empi_blocking_keys (rule, key, record_id) VALUES", 3, keys.size(),
      [&](std::size_t k, Params& out) {
        out.insert(out.end(), {std::int64_t{rule}, std::string(keys[k].first), keys[k].second});
      },
      "ON CONFLICT DO NOTHING");
}

std::vector<std::int64_t> EmpiStore::candidates_for(Tx& tx, const BlockingKeys& keys) {
  std::vector<std::int64_t> out;
  for (int rule = 0; rule < kBlockingRules; ++rule) {
    if (keys[rule].empty()) continue;
    // A value shared by thousands (a default date) says nothing: such blocks are left out, as
    // in a full import.
    auto rows =
        tx.query("SELECT record_id FROM empi_blocking_keys WHERE rule = $1 AND key = $2 LIMIT 1001",
                 {std::int64_t{rule}, keys[rule]});
    if (rows.size() > 1000) continue;
    for (const auto& row : rows) out.push_back(row.integer(0));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<StoredRecord> EmpiStore::records_of_person(Tx& tx, std::int64_t person_id) {
  static const std::string sql = std::string("SELECT ") + kRecordSelect +
                                 " FROM empi_records r WHERE r.person_id = $1 ORDER BY r.id";
  std::vector<StoredRecord> out;
  for (const auto& row : tx.query(sql, {person_id})) out.push_back(record_from_row(row));
  return out;
}

std::vector<std::pair<std::string, StoredRecord>> EmpiStore::crosswalk_page(Tx& tx,
                                                                            std::int64_t after_id,
                                                                            int limit) {
  static const std::string sql = std::string("SELECT ") + kRecordSelect +
                                 ", p.uuid FROM empi_records r JOIN empi_persons p ON p.id = "
                                 "r.person_id WHERE r.id > $1 ORDER BY r.id LIMIT $2";
  std::vector<std::pair<std::string, StoredRecord>> out;
  for (const auto& row : tx.query(sql, {after_id, std::int64_t{limit}}))
    out.emplace_back(row.text(21), record_from_row(row));
  return out;
}

std::vector<std::string> EmpiStore::data_sources(Tx& tx) {
  std::vector<std::string> out;
  for (const auto& row :
       tx.query("SELECT DISTINCT data_source FROM empi_records ORDER BY data_source"))
    out.push_back(row.text(0));
  return out;
}

std::int64_t EmpiStore::count_records(Tx& tx) {
  return tx.query_one("SELECT COALESCE(MAX(id), 0) FROM empi_records")->integer(0);
}

void EmpiStore::load_term_frequencies(Tx& tx, TermFrequencies& out) {
  const auto& specs = field_specs();
  for (const auto& row : tx.query("SELECT field, value, count FROM empi_term_frequencies")) {
    for (int f = 0; f < kFieldCount; ++f) {
      if (specs[f].name == row.text(0)) {
        out.set(static_cast<Field>(f), row.text(1), row.integer(2));
        break;
      }
    }
  }
}

void EmpiStore::load_term_frequencies_for(Tx& tx, const std::vector<RecordFeatures>& records,
                                          TermFrequencies& out) {
  const auto& specs = field_specs();
  std::set<std::pair<int, std::string>> wanted;
  for (const auto& r : records) {
    for (int f = 0; f < kFieldCount; ++f) {
      if (specs[f].term_frequency && !tf_value(r, f).empty()) wanted.emplace(f, tf_value(r, f));
    }
  }
  for (const auto& [f, value] : wanted) {
    auto row =
        tx.query_one("SELECT count FROM empi_term_frequencies WHERE field = $1 AND value = $2",
                     {std::string(specs[f].name), value});
    if (row) out.set(static_cast<Field>(f), value, row->integer(0));
  }
}

void EmpiStore::add_term_frequencies(Tx& tx, const TermFrequencies& delta) {
  const auto& specs = field_specs();
  for (int f = 0; f < kFieldCount; ++f) {
    for (const auto& [value, count] : delta.counts(static_cast<Field>(f))) {
      tx.exec(
          "INSERT INTO empi_term_frequencies (field, value, count) VALUES ($1, $2, $3) ON "
          "CONFLICT (field, value) DO UPDATE SET count = empi_term_frequencies.count + "
          "excluded.count",
          {std::string(specs[f].name), value, count});
    }
  }
}

std::int64_t EmpiStore::create_person(Tx& tx, std::int64_t now_ms) {
  return tx
      .query_one(
          "INSERT INTO empi_persons (uuid, version, record_count, created_at_ms, updated_at_ms) "
          "VALUES ($1, 1, 0, $2, $2) RETURNING id",
          {new_uuid(), now_ms})
      ->integer(0);
}

std::vector<std::int64_t> EmpiStore::create_persons(Tx& tx, std::size_t count,
                                                    std::int64_t now_ms) {
  std::vector<std::string> uuids(count);
  std::unordered_map<std::string_view, std::size_t> index_of;
  for (std::size_t k = 0; k < count; ++k) {
    uuids[k] = new_uuid();
    index_of[uuids[k]] = k;
  }
  std::vector<std::int64_t> ids(count);
  // Each row comes back with its UUID: RETURNING does not promise the rows' order.
  exec_many_rows(
      tx,
      "INSERT INTO empi_persons (uuid, version, record_count, created_at_ms, updated_at_ms) "
      "VALUES",
      5, count,
      [&](std::size_t k, Params& out) {
        out.insert(out.end(), {uuids[k], std::int64_t{1}, std::int64_t{0}, now_ms, now_ms});
      },
      "RETURNING id, uuid",
      [&](const Row& row) { ids.at(index_of.at(row.text(1))) = row.integer(0); });
  return ids;
}

std::optional<PersonRow> EmpiStore::find_person(Tx& tx, std::int64_t id) {
  auto row = tx.query_one(
      "SELECT id, uuid, version, record_count, created_at_ms, updated_at_ms FROM empi_persons "
      "WHERE id = $1",
      {id});
  if (!row) return std::nullopt;
  return person_from_row(*row);
}

std::optional<PersonRow> EmpiStore::find_person_by_uuid(Tx& tx, const std::string& uuid) {
  auto row = tx.query_one(
      "SELECT id, uuid, version, record_count, created_at_ms, updated_at_ms FROM empi_persons "
      "WHERE uuid = $1",
      {uuid});
  if (!row) return std::nullopt;
  return person_from_row(*row);
}

void EmpiStore::assign_new_records(Tx& tx, std::int64_t event_id,
                                   std::vector<std::pair<std::int64_t, std::int64_t>> record_person,
                                   std::int64_t now_ms) {
  std::sort(record_person.begin(), record_person.end());
  std::map<std::int64_t, std::int64_t> gained;  // person -> records
  for (const auto& [id, to] : record_person) ++gained[to];
  exec_many_rows(
      tx,
      "UPDATE empi_records SET person_id = v.column2, person_updated_at_ms = v.column3 FROM "
      "(VALUES",
      3, record_person.size(),
      [&](std::size_t k, Params& out) {
        out.insert(out.end(), {record_person[k].first, record_person[k].second, now_ms});
      },
      ") AS v WHERE empi_records.id = v.column1");
  exec_many_rows(
      tx,
      "INSERT INTO empi_person_actions (event_id, record_id, from_person_id, "
      "to_person_id) VALUES",
      4, record_person.size(),
      [&](std::size_t k, Params& out) {
        out.insert(out.end(), {event_id, record_person[k].first, nullptr, record_person[k].second});
      },
      "");
  for (const auto& [to, count] : gained) {
    tx.exec(
        "UPDATE empi_persons SET record_count = record_count + $2, version = version + 1, "
        "updated_at_ms = $3 WHERE id = $1",
        {to, count, now_ms});
  }
}

void EmpiStore::move_record(Tx& tx, std::int64_t event_id, std::int64_t record_id,
                            std::optional<std::int64_t> from, std::int64_t to,
                            std::int64_t now_ms) {
  tx.exec("UPDATE empi_records SET person_id = $2, person_updated_at_ms = $3 WHERE id = $1",
          {record_id, to, now_ms});
  if (from) {
    tx.exec(
        "UPDATE empi_persons SET record_count = record_count - 1, version = version + 1, "
        "updated_at_ms = $2 WHERE id = $1",
        {*from, now_ms});
  }
  tx.exec(
      "UPDATE empi_persons SET record_count = record_count + 1, version = version + 1, "
      "updated_at_ms = $2 WHERE id = $1",
      {to, now_ms});
  tx.exec(
      "INSERT INTO empi_person_actions (event_id, record_id, from_person_id, to_person_id) "
      "VALUES ($1, $2, $3, $4)",
      {event_id, record_id, from ? Param(*from) : Param(nullptr), to});
}

std::int64_t EmpiStore::create_event(Tx& tx, const std::string& type, const std::string& actor,
                                     std::optional<std::int64_t> job_id,
                                     const nlohmann::json& detail, std::int64_t now_ms) {
  return tx
      .query_one(
          "INSERT INTO empi_match_events (type, actor, job_id, detail, created_at_ms) VALUES ($1, "
          "$2, $3, $4, $5) RETURNING id",
          {type, actor, job_id ? Param(*job_id) : Param(nullptr), detail.dump(), now_ms})
      ->integer(0);
}

void EmpiStore::store_pair(Tx& tx, const ScoredPair& p, std::int64_t config_id, std::int64_t job_id,
                           std::int64_t now_ms) {
  // A statement per pair: many pairs a statement (an upsert) measured no faster.
  tx.exec(
      "INSERT INTO empi_match_results (record_l, record_r, match_probability, match_weight, "
      "config_id, job_id, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT "
      "(record_l, record_r) DO UPDATE SET match_probability = excluded.match_probability, "
      "match_weight = excluded.match_weight, config_id = excluded.config_id",
      {p.record_l, p.record_r, p.probability, p.weight, config_id, job_id, now_ms});
}

std::vector<std::pair<std::int64_t, std::int64_t>> EmpiStore::do_not_link_among(
    Tx& tx, const std::vector<std::int64_t>& record_ids) {
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (auto id : record_ids) {
    for (const auto& row : tx.query(
             "SELECT record_l, record_r FROM empi_do_not_link WHERE record_l = $1 OR record_r = $1",
             {id})) {
      out.emplace_back(row.integer(0), row.integer(1));
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::int64_t> EmpiStore::open_potential_match_of(Tx& tx, std::int64_t person_id) {
  auto row = tx.query_one(
      "SELECT pm.id FROM empi_potential_matches pm JOIN empi_potential_match_persons pmp ON "
      "pmp.potential_match_id = pm.id WHERE pmp.person_id = $1 AND pm.status = 'open' ORDER BY "
      "pm.id LIMIT 1",
      {person_id});
  if (!row) return std::nullopt;
  return row->integer(0);
}

std::int64_t EmpiStore::create_potential_match(Tx& tx, double max_probability,
                                               std::int64_t now_ms) {
  return tx
      .query_one(
          "INSERT INTO empi_potential_matches (version, status, max_match_probability, "
          "created_at_ms, updated_at_ms) VALUES (0, 'open', $1, $2, $2) RETURNING id",
          {max_probability, now_ms})
      ->integer(0);
}

void EmpiStore::extend_potential_match(Tx& tx, std::int64_t id,
                                       const std::vector<std::int64_t>& persons,
                                       double max_probability, std::int64_t now_ms) {
  for (auto person : persons) {
    tx.exec(
        "INSERT INTO empi_potential_match_persons (potential_match_id, person_id) VALUES ($1, $2) "
        "ON CONFLICT DO NOTHING",
        {id, person});
  }
  tx.exec(
      "UPDATE empi_potential_matches SET version = version + 1, updated_at_ms = $3, "
      "max_match_probability = CASE WHEN max_match_probability < $2 THEN $2 ELSE "
      "max_match_probability END WHERE id = $1",
      {id, max_probability, now_ms});
}

std::optional<EmpiStore::PotentialMatchRow> EmpiStore::find_potential_match(Tx& tx,
                                                                            std::int64_t id) {
  auto row = tx.query_one(
      "SELECT id, version, status, max_match_probability, created_at_ms FROM "
      "empi_potential_matches WHERE id = $1",
      {id});
  if (!row) return std::nullopt;
  return PotentialMatchRow{row->integer(0), static_cast<int>(row->integer(1)), row->text(2),
                           row->real(3), row->integer(4)};
}

std::vector<std::int64_t> EmpiStore::potential_match_persons(Tx& tx, std::int64_t id) {
  std::vector<std::int64_t> out;
  for (const auto& row : tx.query("SELECT person_id FROM empi_potential_match_persons WHERE "
                                  "potential_match_id = $1 ORDER BY person_id",
                                  {id})) {
    out.push_back(row.integer(0));
  }
  return out;
}

std::vector<EmpiStore::PairRow> EmpiStore::pairs_among(
    Tx& tx, const std::vector<std::int64_t>& record_ids) {
  std::vector<PairRow> out;
  const std::set<std::int64_t> ids(record_ids.begin(), record_ids.end());
  for (auto id : record_ids) {
    for (const auto& row :
         tx.query("SELECT id, record_l, record_r, match_probability, match_weight, config_id, "
                  "created_at_ms FROM empi_match_results WHERE record_l = $1 ORDER BY id",
                  {id})) {
      if (!ids.contains(row.integer(2))) continue;
      out.push_back({row.integer(0),
                     {row.integer(1), row.integer(2), row.real(3), row.real(4)},
                     row.integer(5),
                     row.integer(6)});
    }
  }
  return out;
}

bool EmpiStore::resolve_potential_match(Tx& tx, std::int64_t id, int version, std::int64_t now_ms) {
  return tx.exec(
             "UPDATE empi_potential_matches SET status = 'resolved', version = version + 1, "
             "updated_at_ms = $3 WHERE id = $1 AND version = $2 AND status = 'open'",
             {id, std::int64_t{version}, now_ms}) == 1;
}

bool EmpiStore::claim_person_version(Tx& tx, std::int64_t person_id, int version,
                                     std::int64_t now_ms) {
  return tx.exec(
             "UPDATE empi_persons SET version = version + 1, updated_at_ms = $3 WHERE id = $1 AND "
             "version = $2",
             {person_id, std::int64_t{version}, now_ms}) == 1;
}

void EmpiStore::mark_reviewed(Tx& tx, std::int64_t record_id) {
  tx.exec("UPDATE empi_records SET matched_or_reviewed = 1 WHERE id = $1", {record_id});
}

void EmpiStore::add_do_not_link(Tx& tx, std::int64_t a, std::int64_t b, std::int64_t event_id,
                                const std::string& actor, std::int64_t now_ms) {
  tx.exec(
      "INSERT INTO empi_do_not_link (record_l, record_r, event_id, created_by, created_at_ms) "
      "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
      {std::min(a, b), std::max(a, b), event_id, actor, now_ms});
}

void EmpiStore::add_comment(Tx& tx, std::int64_t event_id, std::int64_t record_id,
                            const std::string& author, const std::string& comment,
                            std::int64_t now_ms) {
  tx.exec(
      "INSERT INTO empi_comments (event_id, record_id, author, comment, created_at_ms) VALUES ($1, "
      "$2, $3, $4, $5)",
      {event_id, record_id, author, comment, now_ms});
}

namespace {

EmpiStore::EventRow event_from_row(const Row& row) {
  EmpiStore::EventRow e;
  e.id = row.integer(0);
  e.type = row.text(1);
  e.actor = row.text(2);
  e.job_id = row.opt_integer(3);
  e.potential_match_id = row.opt_integer(4);
  e.undoes_event_id = row.opt_integer(5);
  e.undone_by_event_id = row.opt_integer(6);
  e.detail = parse_stored_json(row.text(7), "EMPI event detail");
  e.created_at_ms = row.integer(8);
  return e;
}

constexpr const char* kEventColumns =
    "e.id, e.type, e.actor, e.job_id, e.potential_match_id, e.undoes_event_id, "
    "e.undone_by_event_id, e.detail, e.created_at_ms";

}  // namespace

std::optional<EmpiStore::EventRow> EmpiStore::find_event(Tx& tx, std::int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + kEventColumns + " FROM empi_match_events e WHERE e.id = $1";
  auto row = tx.query_one(sql, {id});
  if (!row) return std::nullopt;
  return event_from_row(*row);
}

std::vector<EmpiStore::EventRow> EmpiStore::events_of_person(Tx& tx, std::int64_t person_id) {
  static const std::string sql =
      std::string("SELECT ") + kEventColumns +
      " FROM empi_match_events e WHERE e.id IN (SELECT event_id FROM empi_person_actions WHERE "
      "from_person_id = $1 OR to_person_id = $1) ORDER BY e.id";
  std::vector<EventRow> out;
  for (const auto& row : tx.query(sql, {person_id})) out.push_back(event_from_row(row));
  return out;
}

std::vector<EmpiStore::ActionRow> EmpiStore::actions_of_event(Tx& tx, std::int64_t event_id) {
  std::vector<ActionRow> out;
  for (const auto& row : tx.query("SELECT record_id, from_person_id, to_person_id FROM "
                                  "empi_person_actions WHERE event_id = $1 ORDER BY id",
                                  {event_id})) {
    out.push_back({row.integer(0), row.opt_integer(1), row.opt_integer(2)});
  }
  return out;
}

std::vector<std::pair<std::int64_t, std::string>> EmpiStore::comments_of_event(
    Tx& tx, std::int64_t event_id) {
  std::vector<std::pair<std::int64_t, std::string>> out;
  for (const auto& row :
       tx.query("SELECT record_id, comment FROM empi_comments WHERE event_id = $1 ORDER BY id",
                {event_id})) {
    out.emplace_back(row.integer(0), row.text(1));
  }
  return out;
}

bool EmpiStore::mark_undone(Tx& tx, std::int64_t id, std::int64_t by) {
  return tx.exec(
             "UPDATE empi_match_events SET undone_by_event_id = $2 WHERE id = $1 AND "
             "undone_by_event_id IS NULL",
             {id, by}) == 1;
}

void EmpiStore::set_undoes(Tx& tx, std::int64_t event_id, std::int64_t undone) {
  tx.exec("UPDATE empi_match_events SET undoes_event_id = $2 WHERE id = $1", {event_id, undone});
}

void EmpiStore::remove_do_not_link_of_event(Tx& tx, std::int64_t event_id) {
  tx.exec("DELETE FROM empi_do_not_link WHERE event_id = $1", {event_id});
}

std::vector<std::pair<std::int64_t, std::int64_t>> EmpiStore::do_not_link_between(
    Tx& tx, const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) {
  const std::set<std::int64_t> in_b(b.begin(), b.end());
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (auto [l, r] : do_not_link_among(tx, a)) {
    const bool l_in_a = std::find(a.begin(), a.end(), l) != a.end();
    if ((l_in_a && in_b.contains(r)) || (!l_in_a && in_b.contains(l))) out.emplace_back(l, r);
  }
  return out;
}

}  // namespace carehub::empi

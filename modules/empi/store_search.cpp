// The store's searches: Tuva's person and potential-match filters, and the two questions the
// importer and the matcher ask of the whole index. Filters become parameters; their column names
// are checked against the record's own columns, so no text from a request reaches the SQL.
#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "carehub/sql_filter.hpp"
#include "empi/record.hpp"
#include "empi/store.hpp"
#include "empi/store_rows.hpp"

namespace carehub::empi {
namespace {

// "r.<column> = $n" (or a LIKE on the start of the text) for each filter, into where.
void filter_clauses(const RecordFilters& filters, SqlFilter& where) {
  for (const auto& f : filters) {
    if (!column_index(f.column)) throw std::invalid_argument("not a record column: " + f.column);
    if (f.prefix) {
      where.where("r." + f.column + " LIKE " + where.bind(escape_like(f.value) + "%") +
                  " ESCAPE '\\'");
    } else {
      where.where("r." + f.column + " = " + where.bind(f.value));
    }
  }
}

// " LIMIT $n OFFSET $m" with both bound.
std::string page(int limit, int offset, SqlFilter& where) {
  const auto l = where.bind(std::int64_t{limit});
  return " LIMIT " + l + " OFFSET " + where.bind(std::int64_t{offset});
}

std::string placeholders(const std::vector<std::int64_t>& ids, Params& params) {
  std::string out;
  for (auto id : ids) {
    params.emplace_back(id);
    out += (out.empty() ? "$" : ", $") + std::to_string(params.size());
  }
  return out;
}

}  // namespace

Page<PersonRow> EmpiStore::search_persons(Tx& tx, const RecordFilters& filters,
                                          const std::optional<std::string>& person_uuid, int limit,
                                          int offset) {
  SqlFilter where;
  where.where("p.record_count > 0");
  filter_clauses(filters, where);
  if (person_uuid) where.where("p.uuid = " + where.bind(*person_uuid));
  // Without record filters the persons table alone answers; with them, the records' indexes lead.
  const std::string from = filters.empty()
                               ? " FROM empi_persons p"
                               : " FROM empi_persons p JOIN empi_records r ON r.person_id = p.id";
  Page<PersonRow> out;
  out.total = tx.query_one("SELECT COUNT(DISTINCT p.id)" + from + where.clause(), where.params())
                  ->integer(0);
  const std::string sql =
      "SELECT DISTINCT p.id, p.uuid, p.version, p.record_count, p.created_at_ms, "
      "p.updated_at_ms" +
      from + where.clause() + " ORDER BY p.id" + page(limit, offset, where);
  for (const auto& row : tx.query(sql, where.params())) out.rows.push_back(person_from_row(row));
  return out;
}

Page<PotentialMatchHit> EmpiStore::search_potential_matches(Tx& tx,
                                                            const PotentialMatchQuery& query) {
  SqlFilter where;
  where.where("pm.status = 'open'");
  filter_clauses(query.filters, where);
  if (query.min_probability)
    where.where("pm.max_match_probability >= " + where.bind(*query.min_probability));
  if (query.max_probability)
    where.where("pm.max_match_probability <= " + where.bind(*query.max_probability));
  const std::string from =
      query.filters.empty()
          ? " FROM empi_potential_matches pm"
          : " FROM empi_potential_matches pm JOIN empi_potential_match_persons pmp ON "
            "pmp.potential_match_id = pm.id JOIN empi_records r ON r.person_id = pmp.person_id";
  Page<PotentialMatchHit> out;
  out.total = tx.query_one("SELECT COUNT(DISTINCT pm.id)" + from + where.clause(), where.params())
                  ->integer(0);
  const std::string order = query.ascending ? " ORDER BY pm.max_match_probability, pm.id"
                                            : " ORDER BY pm.max_match_probability DESC, pm.id";
  const std::string sql = "SELECT DISTINCT pm.id, pm.max_match_probability" + from +
                          where.clause() + order + page(query.limit, query.offset, where);
  for (const auto& row : tx.query(sql, where.params()))
    out.rows.push_back({row.integer(0), row.real(1)});
  return out;
}

std::map<std::int64_t, std::vector<std::pair<std::int64_t, StoredRecord>>>
EmpiStore::records_of_potential_matches(Tx& tx, const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, std::vector<std::pair<std::int64_t, StoredRecord>>> out;
  if (ids.empty()) return out;
  Params params;
  const std::string in = placeholders(ids, params);
  const std::string sql = std::string("SELECT ") + kRecordSelect +
                          ", pmp.potential_match_id FROM empi_potential_match_persons pmp JOIN "
                          "empi_records r ON r.person_id = pmp.person_id WHERE "
                          "pmp.potential_match_id IN (" +
                          in + ") ORDER BY pmp.potential_match_id, r.id";
  for (const auto& row : tx.query(sql, params)) {
    auto record = record_from_row(row);
    const auto person = record.person_id.value_or(0);
    out[row.integer(21)].emplace_back(person, std::move(record));
  }
  return out;
}

std::vector<StoredRecord> EmpiStore::records_by_ids(Tx& tx, const std::vector<std::int64_t>& ids) {
  // A statement per few hundred ids, not per id: a round trip each on PostgreSQL.
  constexpr std::size_t kIdsPerStatement = 500;
  std::unordered_map<std::int64_t, StoredRecord> found;
  for (std::size_t at = 0; at < ids.size(); at += kIdsPerStatement) {
    const std::vector<std::int64_t> chunk(
        ids.begin() + static_cast<std::ptrdiff_t>(at),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + kIdsPerStatement)));
    Params params;
    const std::string sql = std::string("SELECT ") + kRecordSelect +
                            " FROM empi_records r WHERE r.id IN (" + placeholders(chunk, params) +
                            ")";
    for (const auto& row : tx.query(sql, params)) {
      auto record = record_from_row(row);
      found.emplace(record.id, std::move(record));
    }
  }
  std::vector<StoredRecord> out;  // in the order asked, absent ids left out
  out.reserve(found.size());
  for (auto id : ids) {
    if (auto it = found.find(id); it != found.end()) out.push_back(it->second);
  }
  return out;
}

std::map<std::int64_t, std::vector<StoredRecord>> EmpiStore::records_of_persons(
    Tx& tx, const std::vector<std::int64_t>& person_ids) {
  std::map<std::int64_t, std::vector<StoredRecord>> out;
  if (person_ids.empty()) return out;
  Params params;
  const std::string in = placeholders(person_ids, params);
  const std::string sql = std::string("SELECT ") + kRecordSelect +
                          " FROM empi_records r WHERE r.person_id IN (" + in + ") ORDER BY r.id";
  for (const auto& row : tx.query(sql, params)) {
    auto record = record_from_row(row);
    out[*record.person_id].push_back(std::move(record));
  }
  return out;
}

std::vector<std::int64_t> EmpiStore::unassigned_record_ids(Tx& tx) {
  std::vector<std::int64_t> out;
  for (const auto& row : tx.query("SELECT id FROM empi_records WHERE person_id IS NULL"))
    out.push_back(row.integer(0));
  return out;
}

bool EmpiStore::has_assigned_records(Tx& tx) {
  return tx.query_one("SELECT 1 FROM empi_records WHERE person_id IS NOT NULL LIMIT 1").has_value();
}

}  // namespace carehub::empi

// The store's searches: Tuva's person and potential-match filters, and the two questions the
// importer and the matcher ask of the whole index. Filters become parameters; their column names
// are checked against the record's own columns, so no text from a request reaches the SQL.
#include <stdexcept>

#include "empi/record.hpp"
#include "empi/store.hpp"
#include "empi/store_rows.hpp"

namespace carehub::empi {
namespace {

// " AND r.<column> = $n" for each filter, its value appended to params.
std::string filter_clauses(const RecordFilters& filters, Params& params) {
  std::string where;
  for (const auto& [column, value] : filters) {
    if (!column_index(column)) throw std::invalid_argument("not a record column: " + column);
    params.emplace_back(value);
    where += " AND r." + column + " = $" + std::to_string(params.size());
  }
  return where;
}

// " ORDER BY <key> LIMIT $n OFFSET $m" with both appended to params.
std::string page(const char* key, int limit, int offset, Params& params) {
  params.emplace_back(std::int64_t{limit});
  params.emplace_back(std::int64_t{offset});
  return std::string(" ORDER BY ") + key + " LIMIT $" + std::to_string(params.size() - 1) +
         " OFFSET $" + std::to_string(params.size());
}

}  // namespace

std::vector<PersonRow> EmpiStore::search_persons(Tx& tx, const RecordFilters& filters,
                                                 const std::optional<std::string>& person_uuid,
                                                 int limit, int offset) {
  Params params;
  std::string where = filter_clauses(filters, params);
  if (person_uuid) {
    params.emplace_back(*person_uuid);
    where += " AND p.uuid = $" + std::to_string(params.size());
  }
  const std::string sql =
      "SELECT DISTINCT p.id, p.uuid, p.version, p.record_count, p.created_at_ms, "
      "p.updated_at_ms FROM empi_persons p JOIN empi_records r ON r.person_id = p.id WHERE "
      "p.record_count > 0" +
      where + page("p.id", limit, offset, params);
  std::vector<PersonRow> out;
  for (const auto& row : tx.query(sql, params)) out.push_back(person_from_row(row));
  return out;
}

std::vector<PotentialMatchHit> EmpiStore::search_potential_matches(
    Tx& tx, const RecordFilters& filters, std::optional<double> max_probability, int limit,
    int offset) {
  Params params;
  std::string where = filter_clauses(filters, params);
  if (max_probability) {
    params.emplace_back(*max_probability);
    where += " AND pm.max_match_probability <= $" + std::to_string(params.size());
  }
  const std::string sql =
      "SELECT DISTINCT pm.id, pm.max_match_probability FROM empi_potential_matches pm JOIN "
      "empi_potential_match_persons pmp ON pmp.potential_match_id = pm.id JOIN empi_records r "
      "ON r.person_id = pmp.person_id WHERE pm.status = 'open'" +
      where + page("pm.id", limit, offset, params);
  std::vector<PotentialMatchHit> out;
  for (const auto& row : tx.query(sql, params)) out.push_back({row.integer(0), row.real(1)});
  return out;
}

std::vector<std::int64_t> EmpiStore::potential_match_person_ids(Tx& tx,
                                                                std::int64_t potential_match_id) {
  std::vector<std::int64_t> out;
  for (const auto& row :
       tx.query("SELECT person_id FROM empi_potential_match_persons WHERE potential_match_id = $1 "
                "ORDER BY person_id",
                {potential_match_id}))
    out.push_back(row.integer(0));
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

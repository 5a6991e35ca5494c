// Persons, potential matches and the crosswalk export: the review side of Tuva EMPI's API. Every
// read of patient data is audited (ids and counts, never the data).
#include <charconv>

#include "carehub/clock.hpp"
#include "carehub/error.hpp"
#include "carehub/spool.hpp"
#include "empi/csv.hpp"
#include "empi/routes.hpp"
#include "empi/views.hpp"

namespace carehub::empi {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 500;
constexpr std::size_t kExportPageRows = 5000;
constexpr std::size_t kExportFlushBytes = 1 << 20;

// WHERE clauses over empi_records r for the filters Tuva's search takes.
std::string record_filters(const Request& req, Params& params) {
  std::string where;
  for (const char* name :
       {"first_name", "last_name", "birth_date", "source_person_id", "data_source"}) {
    auto v = req.query_param(name);
    if (!v || v->empty()) continue;
    auto value = normalize_value(*column_index(name), *v);
    if (value.index() == 1) throw ApiError(ErrorCode::kBadRequest, std::get<1>(value));
    params.emplace_back(std::get<0>(std::move(value)));
    where += std::string(" AND r.") + name + " = $" + std::to_string(params.size());
  }
  return where;
}

}  // namespace

void register_person_routes(Router& r, EmpiContext& ctx) {
  r.add(Method::kGet, "/api/v1/persons", empi_read_access(), [&ctx](Request& req) {
    const int limit = req.int_query("limit", kDefaultPageSize, 1, kMaxPageSize);
    const int offset = req.int_query("offset", 0, 0, 1 << 30);
    Params params;
    std::string where = record_filters(req, params);
    if (auto id = req.query_param("person_id"); id && !id->empty()) {
      params.emplace_back(*id);
      where += " AND p.uuid = $" + std::to_string(params.size());
    }
    params.emplace_back(std::int64_t{limit});
    params.emplace_back(std::int64_t{offset});
    const std::string sql =
        "SELECT DISTINCT p.id, p.uuid, p.version, p.record_count, p.created_at_ms, "
        "p.updated_at_ms FROM empi_persons p JOIN empi_records r ON r.person_id = p.id WHERE "
        "p.record_count > 0" +
        where + " ORDER BY p.id LIMIT $" + std::to_string(params.size() - 1) + " OFFSET $" +
        std::to_string(params.size());
    nlohmann::json persons = nlohmann::json::array();
    ctx.db.transact([&](Tx& tx) {
      for (const auto& row : tx.query(sql, params)) {
        PersonRow p{row.integer(0),
                    row.text(1),
                    static_cast<int>(row.integer(2)),
                    static_cast<int>(row.integer(3)),
                    row.integer(4),
                    row.integer(5)};
        persons.push_back(person_summary(tx, ctx.store, p));
      }
      AuditEvent e = AuditLog::from_request(req, "empi.persons.search", "empi_person", "");
      e.detail = {{"results", persons.size()}};
      ctx.audit.record(tx, e);
    });
    return Response::json({{"persons", persons}});
  });

  r.add(Method::kGet, "/api/v1/persons/{id}", empi_read_access(), [&ctx](Request& req) {
    const auto& uuid = req.param("id");
    auto out = ctx.db.transact([&](Tx& tx) {
      auto p = ctx.store.find_person_by_uuid(tx, uuid);
      if (!p || p->record_count == 0) throw ApiError(ErrorCode::kNotFound, "no such person");
      ctx.audit.record(tx, AuditLog::from_request(req, "empi.person.read", "empi_person", uuid));
      return person_detail(tx, ctx.store, *p);
    });
    return Response::json({{"person", out}});
  });

  r.add(Method::kGet, "/api/v1/potential-matches", empi_read_access(), [&ctx](Request& req) {
    const int limit = req.int_query("limit", kDefaultPageSize, 1, kMaxPageSize);
    const int offset = req.int_query("offset", 0, 0, 1 << 30);
    Params params;
    std::string where = record_filters(req, params);
    if (auto v = req.query_param("max_match_probability"); v && !v->empty()) {
      try {
        params.emplace_back(std::stod(*v));
      } catch (const std::exception&) {
        throw ApiError(ErrorCode::kBadRequest, "max_match_probability must be a number");
      }
      where += " AND pm.max_match_probability <= $" + std::to_string(params.size());
    }
    params.emplace_back(std::int64_t{limit});
    params.emplace_back(std::int64_t{offset});
    const std::string sql =
        "SELECT DISTINCT pm.id, pm.max_match_probability FROM empi_potential_matches pm JOIN "
        "empi_potential_match_persons pmp ON pmp.potential_match_id = pm.id JOIN empi_records r "
        "ON r.person_id = pmp.person_id WHERE pm.status = 'open'" +
        where + " ORDER BY pm.id LIMIT $" + std::to_string(params.size() - 1) + " OFFSET $" +
        std::to_string(params.size());
    nlohmann::json out = nlohmann::json::array();
    ctx.db.transact([&](Tx& tx) {
      for (const auto& row : tx.query(sql, params)) {
        nlohmann::json first_person;
        std::vector<std::string> sources;
        for (const auto& pr : tx.query(
                 "SELECT person_id FROM empi_potential_match_persons WHERE potential_match_id = $1 "
                 "ORDER BY person_id",
                 {row.integer(0)})) {
          auto p = ctx.store.find_person(tx, pr.integer(0));
          if (!p) continue;
          auto s = person_summary(tx, ctx.store, *p);
          if (first_person.is_null()) first_person = s;
          for (const auto& d : s["data_sources"]) {
            if (std::find(sources.begin(), sources.end(), d) == sources.end()) sources.push_back(d);
          }
        }
        std::sort(sources.begin(), sources.end());
        out.push_back({{"id", std::to_string(row.integer(0))},
                       {"first_name", first_person.is_null() ? "" : first_person["first_name"]},
                       {"last_name", first_person.is_null() ? "" : first_person["last_name"]},
                       {"data_sources", sources},
                       {"max_match_probability", row.real(1)}});
      }
      AuditEvent e =
          AuditLog::from_request(req, "empi.potential_matches.search", "empi_potential_match", "");
      e.detail = {{"results", out.size()}};
      ctx.audit.record(tx, e);
    });
    return Response::json({{"potential_matches", out}});
  });

  r.add(Method::kPost, "/api/v1/person-records/export", empi_read_access(), [&ctx](Request& req) {
    // The crosswalk, every record with the person it belongs to, from one read transaction (a
    // consistent snapshot) written page by page to a scratch file and streamed from it: memory
    // stays flat whatever the index holds.
    std::shared_ptr<SpooledBody> scratch;
    std::int64_t rows = 0;
    ctx.db.transact(
        [&](Tx& tx) {
          scratch = SpooledBody::create(ctx.scratch_dir);  // a retry starts the file again
          rows = 0;
          std::string out = "person_id,id";
          for (auto c : kRecordColumns) out.append(",").append(c);
          out += "\n";
          std::int64_t after = 0;
          for (;;) {
            const auto page = ctx.store.crosswalk_page(tx, after, kExportPageRows);
            for (const auto& [uuid, stored] : page) {
              out.append(uuid).append(",").append(std::to_string(stored.id));
              for (const auto& value : stored.record.values) {
                out += ',';
                append_csv_field(out, value);
              }
              out += '\n';
              ++rows;
            }
            if (out.size() >= kExportFlushBytes || page.size() < kExportPageRows) {
              scratch->append(out.data(), out.size());
              out.clear();
            }
            if (page.size() < kExportPageRows) break;
            after = page.back().second.id;
          }
        },
        TxMode::kRead);
    ctx.db.transact([&](Tx& tx) {
      AuditEvent e = AuditLog::from_request(req, "empi.export", "empi_record", "");
      e.detail = {{"records", rows}};
      ctx.audit.record(tx, e);
    });
    scratch->finish();
    // Opened before the SpooledBody goes: the open file outlives its name.
    auto body = file_body(scratch->path());
    return Response::streamed(std::move(body), "text/csv; charset=utf-8")
        .with_header("Content-Disposition", "attachment; filename=\"crosswalk.csv\"");
  });
}

}  // namespace carehub::empi

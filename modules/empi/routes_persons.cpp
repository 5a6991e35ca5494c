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

// The record filters Tuva's searches take, normalised as stored values are (400 naming the
// filter when one cannot be).
RecordFilters record_filters(const Request& req) {
  RecordFilters filters;
  for (const char* name :
       {"first_name", "last_name", "birth_date", "source_person_id", "data_source"}) {
    auto v = req.query_param(name);
    if (!v || v->empty()) continue;
    auto value = normalize_value(*column_index(name), *v);
    if (!value) throw ApiError(ErrorCode::kBadRequest, value.error());
    filters.emplace_back(name, std::move(value).value());
  }
  return filters;
}

}  // namespace

void register_person_routes(Router& r, EmpiContext& ctx) {
  r.add(Method::kGet, "/api/v1/persons", empi_read_access(), [&ctx](Request& req) {
    const int limit = req.int_query("limit", kDefaultPageSize, 1, kMaxPageSize);
    const int offset = req.int_query("offset", 0, 0, 1 << 30);
    const auto filters = record_filters(req);
    std::optional<std::string> uuid;
    if (auto id = req.query_param("person_id"); id && !id->empty()) uuid = *id;
    nlohmann::json persons = nlohmann::json::array();
    ctx.db.transact([&](Tx& tx) {
      for (const auto& p : ctx.store.search_persons(tx, filters, uuid, limit, offset))
        persons.push_back(person_summary(tx, ctx.store, p));
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
    const auto filters = record_filters(req);
    std::optional<double> max_probability;
    if (auto v = req.query_param("max_match_probability"); v && !v->empty()) {
      try {
        max_probability = std::stod(*v);
      } catch (const std::exception&) {
        throw ApiError(ErrorCode::kBadRequest, "max_match_probability must be a number");
      }
    }
    nlohmann::json out = nlohmann::json::array();
    ctx.db.transact([&](Tx& tx) {
      for (const auto& hit :
           ctx.store.search_potential_matches(tx, filters, max_probability, limit, offset)) {
        nlohmann::json first_person;
        std::vector<std::string> sources;
        for (const auto person_id : ctx.store.potential_match_person_ids(tx, hit.id)) {
          auto p = ctx.store.find_person(tx, person_id);
          if (!p) continue;
          auto s = person_summary(tx, ctx.store, *p);
          if (first_person.is_null()) first_person = s;
          for (const auto& d : s["data_sources"]) {
            if (std::find(sources.begin(), sources.end(), d) == sources.end()) sources.push_back(d);
          }
        }
        std::sort(sources.begin(), sources.end());
        out.push_back({{"id", std::to_string(hit.id)},
                       {"first_name", first_person.is_null() ? "" : first_person["first_name"]},
                       {"last_name", first_person.is_null() ? "" : first_person["last_name"]},
                       {"data_sources", sources},
                       {"max_match_probability", hit.max_probability}});
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

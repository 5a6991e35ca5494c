// The service's configs, imports, data sources and crosswalk export.
#include "carehub/error.hpp"
#include "carehub/json_time.hpp"
#include "empi/csv.hpp"
#include "empi/importer.hpp"
#include "empi/service.hpp"

namespace carehub::empi {
namespace {

constexpr std::size_t kExportPageRows = 5000;
constexpr std::size_t kExportFlushBytes = 1 << 20;

}  // namespace

EmpiService::EmpiService(Database& db, JobQueue& jobs, AuditLog& audit, const Clock& clock,
                         EmpiStore& store, std::string scratch_dir, const Slot<Accounts>& accounts)
    : db_(db),
      jobs_(jobs),
      audit_(audit),
      clock_(clock),
      store_(store),
      scratch_dir_(std::move(scratch_dir)),
      accounts_(accounts) {}

std::int64_t EmpiService::create_config(const Actor& actor, double potential, double automatic,
                                        const nlohmann::json& settings) {
  if (potential > automatic) {
    throw ApiError(ErrorCode::kValidationFailed,
                   "potential_match_threshold must not be above auto_match_threshold");
  }
  return db_.transact([&](Tx& tx) {
    const auto id =
        store_.create_config(tx, potential, automatic, settings, actor.subject, clock_.now_ms());
    audit_.record(tx, actor.event("empi.config.create", "empi_config", std::to_string(id)));
    return id;
  });
}

nlohmann::json EmpiService::configs(const Actor&) {
  // Thresholds and settings are no patient data: not audited.
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c :
       db_.transact([&](Tx& tx) { return store_.list_configs(tx); }, TxMode::kRead)) {
    out.push_back({{"id", std::to_string(c.id)},
                   {"potential_match_threshold", c.potential_match_threshold},
                   {"auto_match_threshold", c.auto_match_threshold},
                   {"trained", c.parameters.has_value()},
                   {"trained_at", rfc3339_or_null(c.trained_at_ms)},
                   {"created_by", c.created_by},
                   {"created", format_rfc3339_ms(c.created_at_ms)}});
  }
  return {{"configs", out}};
}

void EmpiService::require_config(std::int64_t config_id) {
  if (!db_.transact([&](Tx& tx) { return store_.find_config(tx, config_id); }, TxMode::kRead))
    throw ApiError(ErrorCode::kValidationFailed,
                   "config " + std::to_string(config_id) + " does not exist");
}

std::int64_t EmpiService::start_import(const Actor& actor, const ImportUpload& upload) {
  JobSpec spec;
  spec.type = kImportJobType;
  spec.queue = "empi";
  spec.max_attempts = 3;
  spec.payload = {{"path", upload.path},
                  {"offset", upload.offset},
                  {"length", upload.length},
                  {"config_id", upload.config_id},
                  {"actor", actor.subject}};
  return db_.transact([&](Tx& tx) {
    const auto id = jobs_.enqueue(tx, spec);
    AuditEvent e = actor.event("empi.import", "job", std::to_string(id));
    e.detail = {{"bytes", upload.length}, {"config_id", upload.config_id}};
    audit_.record(tx, e);
    return id;
  });
}

nlohmann::json EmpiService::imports(const Actor&, int limit, int offset) {
  // The workspace's history: every import, whoever started it. A job's result holds counts and
  // line numbers, never row values; its payload (a server path) is not shown.
  JobFilter filter;
  filter.type = kImportJobType;
  filter.limit = limit;
  filter.offset = offset;
  const auto page = jobs_.list(filter);
  nlohmann::json out = nlohmann::json::array();
  db_.transact([&](Tx& tx) {
    ActorNames names(accounts_.get(), tx);
    for (const auto& job : page.jobs) {
      auto j = job.to_json();
      const auto& p = job.payload;
      const std::string who = p.is_object() ? p.value("actor", std::string()) : std::string();
      j["actor"] = who;
      j["actor_name"] = names(who);
      j["config_id"] = p.is_object() && p.contains("config_id")
                           ? nlohmann::json(std::to_string(p["config_id"].get<std::int64_t>()))
                           : nlohmann::json();
      j["bytes"] = p.is_object() ? p.value("length", std::uint64_t{0}) : 0;
      out.push_back(std::move(j));
    }
  });
  return {{"imports", out}, {"total", page.total}};
}

std::vector<std::string> EmpiService::data_sources(const Actor&) {
  return db_.transact([&](Tx& tx) { return store_.data_sources(tx); }, TxMode::kRead);
}

Crosswalk EmpiService::export_crosswalk(const Actor& actor) {
  // Every record with the person it belongs to, as imported, from one read transaction (a
  // consistent snapshot) written page by page to a scratch file: memory stays flat whatever the
  // index holds.
  Crosswalk out;
  db_.transact(
      [&](Tx& tx) {
        out.file = SpooledBody::create(scratch_dir_);  // a retry starts the file again
        out.rows = 0;
        std::string text = "person_id,id";
        for (auto c : kRecordColumns) text.append(",").append(c);
        text += "\n";
        std::int64_t after = 0;
        for (;;) {
          const auto page = store_.crosswalk_page(tx, after, kExportPageRows);
          for (const auto& [uuid, stored] : page) {
            text.append(uuid).append(",").append(std::to_string(stored.id));
            for (const auto& value : as_imported(stored).values) {
              text += ',';
              append_csv_field(text, value);
            }
            text += '\n';
            ++out.rows;
          }
          if (text.size() >= kExportFlushBytes || page.size() < kExportPageRows) {
            out.file->append(text.data(), text.size());
            text.clear();
          }
          if (page.size() < kExportPageRows) break;
          after = page.back().second.id;
        }
      },
      TxMode::kRead);
  db_.transact([&](Tx& tx) {
    AuditEvent e = actor.event("empi.export", "empi_record", "");
    e.detail = {{"records", out.rows}};
    audit_.record(tx, e);
  });
  out.file->finish();
  return out;
}

}  // namespace carehub::empi

// Configs, imports, data sources and the crosswalk export.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "carehub/error.hpp"
#include "carehub/hash.hpp"
#include "carehub/jobs.hpp"
#include "carehub/multipart.hpp"
#include "carehub/unique_fd.hpp"
#include "empi/importer.hpp"
#include "empi/routes.hpp"
#include "empi/text_detail.hpp"
#include "empi/training.hpp"

namespace carehub::empi {
namespace {

constexpr std::size_t kMaxConfigIdBytes = 64;

double threshold(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end())
    throw ApiError(ErrorCode::kValidationFailed, std::string("'") + name + "' is required");
  if (!it->is_number() || it->get<double>() < 0 || it->get<double>() > 1) {
    throw ApiError(ErrorCode::kValidationFailed,
                   std::string("'") + name + "' must be a number from 0 to 1");
  }
  return it->get<double>();
}

std::string read_part(const std::string& path, const MultipartPart& part, std::size_t max) {
  if (part.length > max)
    throw ApiError(ErrorCode::kValidationFailed, "'" + part.name + "' is too long");
  std::string out(static_cast<std::size_t>(part.length), '\0');
  const UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  const ssize_t n =
      !fd ? -1 : ::pread(fd.get(), out.data(), out.size(), static_cast<off_t>(part.offset));
  if (n != static_cast<ssize_t>(out.size())) throw std::runtime_error("cannot read the upload");
  return out;
}

}  // namespace

Access empi_read_access() {
  return Access::roles({"admin", "member"}).or_scopes({"empi:read", "empi:write"});
}

Access empi_write_access() {
  return Access::roles({"admin", "member"}).or_scopes({"empi:write"});
}

void register_import_routes(Router& r, EmpiContext& ctx) {
  r.add(Method::kPost, "/api/v1/config", empi_write_access(), [&ctx](Request& req) {
    auto body = req.json_object();
    const double potential = threshold(body, "potential_match_threshold");
    const double automatic = threshold(body, "auto_match_threshold");
    if (potential > automatic) {
      throw ApiError(ErrorCode::kValidationFailed,
                     "potential_match_threshold must not be above auto_match_threshold");
    }
    // Tuva's splink_settings are kept as given; of them carehub uses the prior and the EM limits.
    // Its own comparisons and blocking rules replace the SQL ones (client SQL is never run).
    // carehub's `model` object tunes its learning (see training_settings_from).
    const nlohmann::json settings = {
        {"splink_settings", body.value("splink_settings", nlohmann::json::object())},
        {"model", body.value("model", nlohmann::json::object())}};
    try {
      (void)training_settings_from(settings["splink_settings"], settings["model"]);
    } catch (const std::invalid_argument& e) {
      throw ApiError(ErrorCode::kValidationFailed, e.what());
    }
    const auto id = ctx.db.transact([&](Tx& tx) {
      const auto id = ctx.store.create_config(tx, potential, automatic, settings,
                                              req.principal->subject, ctx.clock.now_ms());
      ctx.audit.record(
          tx, AuditLog::from_request(req, "empi.config.create", "empi_config", std::to_string(id)));
      return id;
    });
    return Response::json({{"config_id", std::to_string(id)}});
  });

  RouteOptions upload;
  upload.body_limit = static_cast<std::size_t>(ctx.max_import_bytes);
  upload.spool_body = true;
  r.add(
      Method::kPost, "/api/v1/person-records/import", empi_write_access(),
      [&ctx](Request& req) {
        const auto type = parse_multipart_content_type(req.header("content-type").value_or(""));
        if (!type || type->media_type != "multipart/form-data") {
          throw ApiError(ErrorCode::kUnsupportedMediaType,
                         "send multipart/form-data with a 'file' part (the CSV) and a 'config_id' "
                         "part");
        }
        std::vector<MultipartPart> parts;
        try {
          parts = scan_multipart(req.spooled->path(), type->boundary, 16);
        } catch (const MultipartError& e) {
          throw ApiError(ErrorCode::kBadRequest,
                         std::string("malformed multipart body: ") + e.what());
        }
        const MultipartPart* file = nullptr;
        std::optional<std::string> config_text;
        for (const auto& p : parts) {
          if (p.name == "file") file = &p;
          if (p.name == "config_id")
            config_text =
                std::string(detail::trim(read_part(req.spooled->path(), p, kMaxConfigIdBytes)));
        }
        if (!file)
          throw ApiError(ErrorCode::kValidationFailed, "the 'file' part (the CSV) is missing");
        if (!config_text)
          throw ApiError(ErrorCode::kValidationFailed, "the 'config_id' part is missing");
        const auto config_id =
            parse_positive_id(*config_text, "config_id", ErrorCode::kValidationFailed);
        if (!ctx.db.transact([&](Tx& tx) { return ctx.store.find_config(tx, config_id); },
                             TxMode::kRead)) {
          throw ApiError(ErrorCode::kValidationFailed,
                         "config " + *config_text + " does not exist");
        }
        // The upload becomes the job's: renamed so the start-up cleanup of partial uploads spares
        // it.
        const std::string spooled = req.spooled->release();
        const std::string kept =
            (std::filesystem::path(spooled).parent_path() / ("import-" + random_hex(12) + ".csv"))
                .string();
        std::filesystem::rename(spooled, kept);
        JobSpec spec;
        spec.type = kImportJobType;
        spec.queue = "empi";
        spec.max_attempts = 3;
        spec.payload = {{"path", kept},
                        {"offset", file->offset},
                        {"length", file->length},
                        {"config_id", config_id},
                        {"actor", req.principal->subject}};
        try {
          const auto job_id = ctx.db.transact([&](Tx& tx) {
            const auto id = ctx.jobs.enqueue(tx, spec);
            AuditEvent e = AuditLog::from_request(req, "empi.import", "job", std::to_string(id));
            e.detail = {{"bytes", file->length}, {"config_id", config_id}};
            ctx.audit.record(tx, e);
            return id;
          });
          return Response::json({{"job_id", std::to_string(job_id)}});  // 200, as Tuva answers
        } catch (...) {
          std::filesystem::remove(kept);
          throw;
        }
      },
      upload);

  r.add(Method::kGet, "/api/v1/data-sources", empi_read_access(), [&ctx](Request&) {
    nlohmann::json sources = nlohmann::json::array();
    const auto names =
        ctx.db.transact([&](Tx& tx) { return ctx.store.data_sources(tx); }, TxMode::kRead);
    for (const auto& name : names) sources.push_back({{"name", name}});
    return Response::json({{"data_sources", sources}});
  });
}

}  // namespace carehub::empi

// Handlers of configs, imports, data sources, the crosswalk and real-time records: the request
// read and checked, the service called with the actor.
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include "carehub/error.hpp"
#include "carehub/hash.hpp"
#include "carehub/multipart.hpp"
#include "carehub/text_check.hpp"
#include "carehub/unique_fd.hpp"
#include "empi/routes.hpp"
#include "empi/text_detail.hpp"
#include "empi/training.hpp"

namespace carehub::empi {
namespace {

constexpr std::size_t kMaxConfigIdBytes = 64;
constexpr int kImportsPageSize = 20;

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

// A record posted as JSON (Tuva's columns, and config_id), normalised; original: how it came.
struct PostedRecord {
  PersonRecord record;
  std::string original;
  std::optional<std::int64_t> config_id;
};

PostedRecord posted_record(const Request& req) {
  const auto body = req.json_object();
  PostedRecord out;
  for (const auto& [key, value] : body.items()) {
    if (key == "config_id") {
      out.config_id = json_positive_id(value, "config_id");
      continue;
    }
    const auto at = column_index(key);
    if (!at) throw ApiError(ErrorCode::kValidationFailed, "unknown field '" + key + "'");
    if (value.is_null()) continue;
    if (!value.is_string())
      throw ApiError(ErrorCode::kValidationFailed, "'" + key + "' must be a string");
    require_text(key, value.get_ref<const std::string&>(), text_kind_of(*at));
    out.record[*at] = value.get<std::string>();
  }
  const PersonRecord given = out.record;
  if (auto problem = normalize_record(out.record))
    throw ApiError(ErrorCode::kValidationFailed, *problem);
  out.original = original_delta(given, out.record);
  return out;
}

}  // namespace

Response create_config(EmpiService& svc, Request& req) {
  auto body = req.json_object();
  const double potential = threshold(body, "potential_match_threshold");
  const double automatic = threshold(body, "auto_match_threshold");
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
  const auto id = svc.create_config(Actor::of(req), potential, automatic, settings);
  return Response::json({{"config_id", std::to_string(id)}});
}

Response list_configs(EmpiService& svc, Request& req) {
  return Response::json(svc.configs(Actor::of(req)));
}

Response start_import(EmpiService& svc, Request& req) {
  const auto type = parse_multipart_content_type(req.header("content-type").value_or(""));
  if (!type || type->media_type != "multipart/form-data") {
    throw ApiError(ErrorCode::kUnsupportedMediaType,
                   "send multipart/form-data with a 'file' part (the CSV) and a 'config_id' part");
  }
  std::vector<MultipartPart> parts;
  try {
    parts = scan_multipart(req.spooled->path(), type->boundary, 16);
  } catch (const MultipartError& e) {
    throw ApiError(ErrorCode::kBadRequest, std::string("malformed multipart body: ") + e.what());
  }
  const MultipartPart* file = nullptr;
  std::optional<std::string> config_text;
  for (const auto& p : parts) {
    if (p.name == "file") file = &p;
    if (p.name == "config_id")
      config_text = std::string(detail::trim(read_part(req.spooled->path(), p, kMaxConfigIdBytes)));
  }
  if (!file) throw ApiError(ErrorCode::kValidationFailed, "the 'file' part (the CSV) is missing");
  if (!config_text) throw ApiError(ErrorCode::kValidationFailed, "the 'config_id' part is missing");
  const auto config_id = parse_positive_id(*config_text, "config_id", ErrorCode::kValidationFailed);
  svc.require_config(config_id);
  // The upload becomes the job's: renamed so the start-up cleanup of partial uploads spares it.
  const std::string spooled = req.spooled->release();
  const std::string kept =
      (std::filesystem::path(spooled).parent_path() / ("import-" + random_hex(12) + ".csv"))
          .string();
  std::filesystem::rename(spooled, kept);
  try {
    const auto job_id =
        svc.start_import(Actor::of(req), {kept, file->offset, file->length, config_id});
    return Response::json({{"job_id", std::to_string(job_id)}});  // 200, as Tuva answers
  } catch (...) {
    std::filesystem::remove(kept);
    throw;
  }
}

Response list_imports(EmpiService& svc, Request& req) {
  return Response::json(svc.imports(Actor::of(req),
                                    req.int_query("limit", kImportsPageSize, 1, kMaxPageSize),
                                    req.int_query("offset", 0, 0, 1 << 30)));
}

Response list_data_sources(EmpiService& svc, Request& req) {
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& name : svc.data_sources(Actor::of(req))) sources.push_back({{"name", name}});
  return Response::json({{"data_sources", sources}});
}

Response export_crosswalk(EmpiService& svc, Request& req) {
  auto crosswalk = svc.export_crosswalk(Actor::of(req));
  // Opened before the SpooledBody goes: the open file outlives its name.
  auto body = file_body(crosswalk.file->path());
  return Response::streamed(std::move(body), "text/csv; charset=utf-8")
      .with_header("Content-Disposition", "attachment; filename=\"crosswalk.csv\"");
}

Response match_record(EmpiService& svc, Request& req) {
  const auto in = posted_record(req);
  return Response::json(svc.match_search(Actor::of(req), in.record, in.config_id));
}

Response add_record(EmpiService& svc, Request& req) {
  const auto in = posted_record(req);
  auto [body, created] = svc.add_record(Actor::of(req), in.record, in.original, in.config_id);
  return Response::json(body, created ? 201 : 200);
}

}  // namespace carehub::empi

#include "dicom/module.hpp"

#include <charconv>

#include "carehub/jobs.hpp"
#include "carehub/orphans.hpp"
#include "carehub/tls.hpp"
#include "dicom/dimse.hpp"
#include "dicom/parse.hpp"
#include "dicom/query_retrieve.hpp"
#include "dicom/routes.hpp"

namespace carehub::dicom {
namespace {

constexpr std::int64_t kSweepIntervalMs = 60LL * 60 * 1000;

// "CT_SCANNER_1=radiology-ct1" entries of dicom.allowed_callers.
std::map<std::string, std::string> callers_of(const nlohmann::json& list) {
  std::map<std::string, std::string> out;
  for (const auto& entry : list) {
    const std::string text = entry.get<std::string>();
    const auto eq = text.find('=');
    const std::string ae = text.substr(0, eq);
    if (ae.empty() || ae.size() > 16 || (eq != std::string::npos && eq + 1 == text.size())) {
      throw ConfigError("config: dicom.allowed_callers: '" + text +
                        "' must be AE_TITLE=identity (AE title of 1 to 16 characters)");
    }
    out[ae] = eq == std::string::npos ? ae : text.substr(eq + 1);
  }
  return out;
}

// "PACS_B=10.0.0.7:104" entries of dicom.destinations: where C-MOVE may send.
std::map<std::string, Destination> destinations_of(const nlohmann::json& list) {
  std::map<std::string, Destination> out;
  for (const auto& entry : list) {
    const std::string text = entry.get<std::string>();
    const auto eq = text.find('=');
    const auto colon = text.rfind(':');
    const auto bad = [&] {
      return ConfigError("config: dicom.destinations: '" + text +
                         "' must be AE_TITLE=host:port (AE title of 1 to 16 characters, port 1 to "
                         "65535)");
    };
    if (eq == std::string::npos || eq == 0 || eq > 16 || colon == std::string::npos ||
        colon <= eq + 1)
      throw bad();
    int port = 0;
    const std::string digits = text.substr(colon + 1);
    const auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || p != digits.data() + digits.size() || port < 1 || port > 65535)
      throw bad();
    const std::string ae = text.substr(0, eq);
    out[ae] = {ae, text.substr(eq + 1, colon - eq - 1), port};
  }
  return out;
}

// Blobs under dicom/ that no index row names: what a crash between the blob write and the index
// commit (or a delete's blob removal) left behind.
// Thumbnails of instances no longer indexed (deleted, or overwritten by other bytes) go too: they
// are pictures of a patient.
nlohmann::json sweep_orphans(DicomContext& ctx, std::int64_t min_age_ms) {
  const auto n = sweep_orphan_blobs(
      ctx.blobs, ctx.db, ctx.clock, "dicom/", min_age_ms,
      [&ctx](Tx& tx, const std::string& key) { return ctx.store.blob_key_indexed(tx, key); });
  const auto t =
      sweep_orphan_blobs(ctx.blobs, ctx.db, ctx.clock, thumbnail_prefix(""), min_age_ms,
                         [&ctx](Tx& tx, const std::string& key) {
                           const auto start = thumbnail_prefix("").size();
                           const auto slash = key.find('/', start);
                           return slash != std::string::npos &&
                                  ctx.store.sha256_indexed(tx, key.substr(start, slash - start));
                         });
  return {{"checked", n.checked + t.checked}, {"removed", n.removed + t.removed}};
}

}  // namespace

DicomModule::DicomModule() = default;
DicomModule::~DicomModule() = default;

void DicomModule::add_config_schema(ConfigSchema& schema) const {
  schema.section("dicom")
      .integer("max_instance_bytes", std::int64_t{2} << 30, 1024, std::int64_t{1} << 40,
               "largest instance accepted")
      .integer("max_request_bytes", std::int64_t{4} << 30, 1024, std::int64_t{1} << 40,
               "largest STOW-RS request accepted")
      .boolean("allow_overwrite", false,
               "a known SOP Instance UID with other content replaces the stored one (else 409)")
      .string("public_base_url", "",
              "scheme and host that URLs in answers start with; empty: from the Host header")
      .integer("dimse_port", 0, 0, 65535,
               "DICOM listener port (C-ECHO, C-STORE, C-FIND, C-GET, C-MOVE); 0: none")
      .string("host", "127.0.0.1",
              "the IPv4 address the DICOM listener listens on; 0.0.0.0: every interface")
      .string("ae_title", "CAREHUB", "the listener's AE title")
      .string_list("allowed_callers", {},
                   "calling AE titles the listener accepts, as AE_TITLE=identity")
      .string_list("destinations", {},
                   "where C-MOVE may send, as AE_TITLE=host:port; a move to any other AE title is "
                   "refused")
      .integer("find_max_results", 20000, 1, 1000000,
               "a C-FIND or retrieve matching more than this is refused (narrow the query)")
      .integer("max_associations", 8, 1, 256, "associations served at once")
      .integer("dimse_timeout_s", 30, 1, 3600, "ACSE and DIMSE timeouts of the listener")
      .integer("orphan_min_age_s", 600, 0, 86400,
               "a stored file no index row names is removed once it is this old")
      .integer("render_cache_mb", 64, 0, 4096,
               "rendered frames (JPEG/PNG bytes) kept in memory, least recently used out first; "
               "0: none");
  schema.section("dicom.tls")
      .string("cert_file", "",
              "DICOM over TLS (the listener then refuses plain associations): the certificate "
              "and its chain (PEM), checked at start like server.tls.cert_file; empty: plain")
      .secret("key", std::nullopt, "the certificate's private key (PEM); give it as key_file")
      .string("client_ca_file", "",
              "CA certificates (PEM) callers' certificates must be signed by; a caller without "
              "one is refused. Empty: callers need none (the AE allow-list still applies)")
      .integer("reload_check_s", 10, 0, 86400,
               "the files are read again when they change, checked this often (and on SIGHUP); "
               "0: on SIGHUP only");
}

void DicomModule::check_config(const Config& config) const {
  const auto& s = config.section("dicom");
  (void)callers_of(s["allowed_callers"]);
  (void)destinations_of(s["destinations"]);
  const std::string ae = s["ae_title"];
  if (ae.empty() || ae.size() > 16)
    throw ConfigError("config: dicom.ae_title must have 1 to 16 characters");
}

void DicomModule::start(ModuleContext& ctx) {
  check_config(ctx.config);
  quiet_dcmtk_logging();
  const auto& s = ctx.config.section("dicom");
  IngestSettings ingest;
  ingest.max_instance_bytes = s["max_instance_bytes"].get<std::uint64_t>();
  ingest.allow_overwrite = s["allow_overwrite"].get<bool>();
  store_ = std::make_unique<DicomStore>();
  ingestor_ = std::make_unique<Ingestor>(ctx.db, ctx.blobs, ctx.audit, ctx.clock, *store_,
                                         ctx.services.patient_index, ingest);
  render_cache_ =
      std::make_unique<RenderCache>(s["render_cache_mb"].get<std::uint64_t>() * 1024 * 1024);
  context_ = std::make_unique<DicomContext>(DicomContext{
      ctx.db, ctx.blobs, ctx.audit, ctx.clock, *store_, *ingestor_,
      s["max_request_bytes"].get<std::uint64_t>(), s["public_base_url"].get<std::string>(),
      ctx.config.server().upload_dir, *render_cache_, ctx.tickets});
  query_retrieve_ =
      std::make_unique<QueryRetrieve>(ctx.db, *store_, ctx.audit, s["find_max_results"].get<int>());
  register_store_routes(ctx.router, *context_);
  register_query_routes(ctx.router, *context_);
  register_retrieve_routes(ctx.router, *context_);
  register_study_routes(ctx.router, *context_);
  register_render_routes(ctx.router, *context_);
  register_archive_routes(ctx.router, *context_);

  DicomContext* context = context_.get();
  const std::int64_t min_age_ms = s["orphan_min_age_s"].get<std::int64_t>() * 1000;
  ctx.job_handlers.add("dicom.sweep_orphans", [context, min_age_ms](JobContext&) {
    return sweep_orphans(*context, min_age_ms);
  });
  JobSpec sweep;
  sweep.type = "dicom.sweep_orphans";
  ctx.jobs.schedule("dicom.sweep_orphans", sweep, kSweepIntervalMs);
}

void DicomModule::serve(ModuleContext& ctx) {
  // Leftovers of a crash are looked for at every start, not only on the hourly schedule.
  JobSpec sweep;
  sweep.type = "dicom.sweep_orphans";
  ctx.jobs.enqueue(sweep);
  const auto& s = ctx.config.section("dicom");
  if (s["dimse_port"].get<int>() == 0) return;
  DimseSettings settings;
  settings.host = s["host"].get<std::string>();
  settings.port = s["dimse_port"].get<int>();
  settings.ae_title = s["ae_title"].get<std::string>();
  settings.callers = callers_of(s["allowed_callers"]);
  settings.max_associations = s["max_associations"].get<int>();
  settings.timeout_s = s["dimse_timeout_s"].get<int>();
  settings.staging_dir = ctx.config.server().upload_dir;
  settings.qr.service = query_retrieve_.get();
  settings.qr.blobs = &ctx.blobs;
  settings.qr.destinations = destinations_of(s["destinations"]);
  TlsConfig tls = ctx.config.tls("dicom.tls");
  if (tls.enabled()) {
    tls.require_client_certificate = !tls.client_ca_file.empty();
    settings.tls = std::make_shared<ReloadableTls>(tls);  // throws ConfigError naming the key
    ctx.certificates.add(settings.tls);
  }
  listener_ = std::make_unique<DimseListener>(std::move(settings), *ingestor_);
  listener_->start();
}

void DicomModule::drain(std::chrono::milliseconds grace) {
  if (listener_) listener_->stop(grace);
}

}  // namespace carehub::dicom

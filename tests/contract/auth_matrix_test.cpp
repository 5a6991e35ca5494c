// The authorisation matrix: every route of every module, as main() loads them, walked with no
// credentials, with each role and with API tokens. The expected rule of each route is listed
// here, so a new route (or a changed rule) fails until this table says who may call it.
#include <catch2/catch.hpp>
#include <map>

#include "carehub/console.hpp"
#include "carehub/core_routes.hpp"
#include "carehub/migrations.hpp"
#include "carehub/operations.hpp"
#include "carehub/tls.hpp"
#include "http/pipeline.hpp"
#include "modules.hpp"
#include "support/test_database.hpp"

using namespace carehub;

namespace {

const std::map<std::string, std::string> kExpected = {
    {"GET /healthz", "public"},
    {"GET /readyz", "public"},
    {"GET /metrics", "role admin or API token scope metrics:read or a loopback client"},
    {"GET /api/v1/health-check", "public"},
    {"GET /api/v1/jobs/{id}", "any signed-in user or API token scope empi:write, dicom:write"},
    {"GET /api/v1/jobs", "role admin"},
    {"POST /api/v1/jobs/{id}/cancel", "role admin"},
    {"POST /api/v1/jobs/{id}/retry", "role admin"},
    {"GET /api/v1/audit", "role admin"},
    {"GET /api/v1/system/status", "role admin"},
    {"GET /api/v1/system/config", "role admin"},
    {"GET /assets/{name}", "public"},
    {"GET /api/v1/auth/providers", "public"},
    {"GET /api/v1/auth/oidc/start", "public"},
    {"GET /api/v1/auth/oidc/callback", "public"},
    {"GET /api/v1/setup", "public"},
    {"POST /api/v1/setup", "public"},
    {"GET /.well-known/jwks.json", "public"},
    {"POST /api/v1/auth/login", "public"},
    {"POST /api/v1/auth/refresh", "public"},
    {"POST /api/v1/auth/logout", "public"},
    {"GET /api/v1/auth/registration", "public"},
    {"POST /api/v1/auth/register", "public"},
    {"POST /api/v1/auth/forgot-password", "public"},
    {"POST /api/v1/auth/reset-password", "public"},
    {"POST /api/v1/auth/verify-email", "public"},
    {"POST /api/v1/auth/verify-email/resend", "public"},
    {"GET /api/v1/auth/me", "any signed-in user"},
    {"PATCH /api/v1/auth/me", "any signed-in user"},
    {"POST /api/v1/auth/password", "any signed-in user"},
    {"GET /api/v1/users", "role admin"},
    {"POST /api/v1/users", "role admin"},
    {"GET /api/v1/users/{id}", "role admin"},
    {"PATCH /api/v1/users/{id}", "role admin"},
    {"POST /api/v1/users/{id}", "role admin"},
    {"POST /api/v1/users/{id}/reset-password", "role admin"},
    {"POST /api/v1/tokens", "role admin"},
    {"GET /api/v1/tokens", "role admin"},
    {"DELETE /api/v1/tokens/{id}", "role admin"},
    {"POST /api/v1/config", "role admin, member or API token scope empi:write"},
    {"POST /api/v1/person-records/import", "role admin, member or API token scope empi:write"},
    {"POST /api/v1/person-records/export",
     "role admin, member or API token scope empi:read, empi:write"},
    {"GET /api/v1/data-sources", "role admin, member or API token scope empi:read, empi:write"},
    {"GET /api/v1/configs", "role admin, member or API token scope empi:read, empi:write"},
    {"GET /api/v1/imports", "role admin, member or API token scope empi:read, empi:write"},
    {"GET /api/v1/persons", "role admin, member or API token scope empi:read, empi:write"},
    {"GET /api/v1/persons/{id}", "role admin, member or API token scope empi:read, empi:write"},
    {"GET /api/v1/potential-matches",
     "role admin, member or API token scope empi:read, empi:write"},
    {"GET /api/v1/potential-matches/{id}",
     "role admin, member or API token scope empi:read, empi:write"},
    {"POST /api/v1/matches", "role admin, member or API token scope empi:write"},
    {"POST /api/v1/persons/{id}/split", "role admin, member or API token scope empi:write"},
    {"POST /api/v1/persons/merge", "role admin, member or API token scope empi:write"},
    {"POST /api/v1/do-not-link", "role admin, member or API token scope empi:write"},
    {"POST /api/v1/match-events/{id}/undo", "role admin, member or API token scope empi:write"},
    {"GET /api/v1/persons/{id}/history",
     "role admin, member or API token scope empi:read, empi:write"},
    {"POST /api/v1/person-records", "role admin, member or API token scope empi:write"},
    {"POST /api/v1/person-records/match",
     "role admin, member or API token scope empi:read, empi:write"},
    {"GET /api/v1/auth/keys", "role admin"},
    {"POST /api/v1/auth/keys/rotate", "role admin"},
    {"DELETE /api/v1/auth/keys/{kid}", "role admin"},
    // diag: only when diag.enabled (tests and benchmarks), never in production
    {"POST /api/v1/diag/echo", "public"},
    {"GET /api/v1/diag/sleep", "public"},
    {"GET /api/v1/diag/stream", "public"},
    {"POST /api/v1/diag/notify", "public"},
    {"GET /api/v1/notifications", "any signed-in user"},
    {"POST /api/v1/notifications/{id}/read", "any signed-in user"},
    {"POST /api/v1/notifications/read-all", "any signed-in user"},
    {"DELETE /api/v1/notifications/{id}", "any signed-in user"},
    {"GET /api/v1/notifications/ws", "any signed-in user"},
    {"GET /api/v1/notifications/stream", "any signed-in user"},
    {"POST /api/v1/notifications/ticket", "any signed-in user"},
    {"POST /api/v1/notifications/devices", "any signed-in user"},
    {"GET /api/v1/notifications/devices", "any signed-in user"},
    {"DELETE /api/v1/notifications/devices/{id}", "any signed-in user"},
    {"GET /api/v1/tracing/profile", "any signed-in user"},
    {"GET /api/v1/tracing/history", "any signed-in user"},
    {"GET /api/v1/tracing/tokens", "any signed-in user"},
    {"POST /api/v1/tracing/health-security-ids", "role admin"},
    {"POST /api/v1/tracing/medical/register", "any signed-in user"},
    {"POST /api/v1/tracing/status-changes", "role medical"},
    {"GET /api/v1/tracing/status-changes", "role medical"},
    {"GET /api/v1/tracing/overview", "role admin"},
    {"POST /api/v1/tracing/status-changes/accept", "any signed-in user"},
    {"PUT /api/v1/tracing/users/{id}/status", "role admin"},
    {"GET /api/v1/tracing/recommendations", "any signed-in user"},
    {"POST /api/v1/cases", "role patient, physician"},
    {"GET /api/v1/cases", "role patient, physician"},
    {"GET /api/v1/cases/{id}", "role patient, physician"},
    {"PATCH /api/v1/cases/{id}", "role patient, physician"},
    {"DELETE /api/v1/cases/{id}", "role patient, physician"},
    {"GET /api/v1/cases/{id}/groups/{type}", "role patient, physician"},
    {"PUT /api/v1/cases/{id}/groups/{type}", "role patient, physician"},
    {"POST /api/v1/cases/{id}/shares", "role patient, physician"},
    {"GET /api/v1/cases/{id}/shares", "role patient, physician"},
    {"GET /api/v1/cases/shares", "role patient, physician"},
    {"POST /api/v1/cases/shares/{share_id}/accept", "role patient, physician"},
    {"POST /api/v1/cases/{id}/shares/{share_id}/approve", "role patient, physician"},
    {"DELETE /api/v1/cases/{id}/shares/{share_id}", "role patient, physician"},
    {"POST /api/v1/cases/{id}/documents", "role patient, physician"},
    {"GET /api/v1/cases/{id}/documents", "role patient, physician"},
    {"GET /api/v1/cases/{id}/documents/{doc}", "role patient, physician"},
    {"DELETE /api/v1/cases/{id}/documents/{doc}", "role patient, physician"},
    {"POST /api/v1/cases/{id}/documents/{doc}/link", "role patient, physician"},
    {"GET /api/v1/cases/{id}/documents/{doc}/content", "public"},
    {"GET /api/v1/i18n/literals", "public"},
    {"PUT /api/v1/i18n/literals", "role admin"},
    {"GET /api/v1/i18n/documents/{name}", "public"},
    {"GET /api/v1/notifications/preferences", "any signed-in user"},
    {"PUT /api/v1/notifications/preferences/{type}", "any signed-in user"},
    {"PUT /api/v1/diag/rows/{id}", "public"},
    {"GET /api/v1/diag/rows/{id}", "public"},
    {"POST /api/v1/diag/upload", "public"},
    {"POST /api/v1/diag/upload-spooled", "public"},
    {"POST /api/v1/diag/jobs", "public"},
    {"POST /dicom-web/studies", "role physician, admin or API token scope dicom:write"},
    {"POST /dicom-web/studies/{study}", "role physician, admin or API token scope dicom:write"},
    {"POST /api/v1/dicom/instances", "role physician, admin or API token scope dicom:write"},
    {"GET /dicom-web/studies", "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/series", "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/instances",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/instances",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/instances",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/instances/{sop}",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/metadata",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/metadata",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/instances/{sop}/metadata",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/instances/{sop}/frames/{frames}",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/instances/{sop}/bulkdata/{tag}",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/rendered",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/rendered",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/instances/{sop}/rendered",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/instances/{sop}/frames/{frames}/rendered",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/thumbnail",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/thumbnail",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /dicom-web/studies/{study}/series/{series}/instances/{sop}/thumbnail",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"GET /api/v1/dicom/studies",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"DELETE /api/v1/dicom/studies/{study}", "role admin"},
    {"GET /api/v1/dicom/studies/{study}/archive",
     "role physician, admin or API token scope dicom:read, dicom:write"},
    {"POST /api/v1/dicom/studies/{study}/archive/ticket",
     "role physician, admin or API token scope dicom:read, dicom:write"},
};

std::string concrete(const std::string& pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      out += "1";
      i = pattern.find('}', i);
    } else {
      out += pattern[i];
    }
  }
  return out;
}

Principal user_with(std::string role) {
  Principal p;
  p.subject = "user:999";
  p.roles = {std::move(role)};
  return p;
}

Principal token_with(std::vector<std::string> scopes) {
  Principal p;
  p.kind = Principal::Kind::kApiToken;
  p.subject = "token:999";
  p.scopes = std::move(scopes);
  return p;
}

}  // namespace

TEST_CASE("authorisation matrix: every route has its expected rule and the pipeline enforces it",
          "[auth][contract][matrix]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(test::backend_name(backend)) {
    test::TestDatabase tdb(backend);
    migrate(tdb.db(), {});
    test::TempDir dir;
    auto modules = make_modules();
    ConfigSchema schema;
    add_core_config_schema(schema);
    for (const auto& m : modules) m->add_config_schema(schema);
    auto config = Config::load(schema, std::nullopt,
                               {{"CAREHUB_DIAG__ENABLED", "true"},
                                {"CAREHUB_AUTH__KEYS_DIR", dir.path() + "/keys"},
                                {"CAREHUB_BLOB__PATH", dir.path() + "/blobs"}});
    SystemClock clock;
    auto blobs = open_blob_store(config.blob());
    JobQueue jobs(tdb.db(), clock, config.jobs());
    JobRegistry handlers;
    AuditLog audit(tdb.db(), clock);
    Router router;
    Metrics metrics;
    Pipeline pipeline(router);
    Services services;
    TicketStore tickets(tdb.db(), clock);
    TlsReloads certificates;
    Mail mail(config, jobs, clock);
    register_core_routes(router, tdb.db(), jobs, metrics);
    register_console_routes(router);
    Operations operations(config, tdb.db(), jobs, audit, metrics);
    register_operations_routes(router, operations);
    ModuleContext ctx{
        config,   tdb.db(), *blobs,
        jobs,     handlers, audit,
        router,   clock,    [&](Authenticator a) { pipeline.set_authenticator(std::move(a)); },
        services, tickets,  certificates,
        mail};
    for (auto& m : modules) m->start(ctx);

    std::map<std::string, std::string> actual;
    for (const auto& route : router.routes()) {
      actual[std::string(method_name(route->method)) + " " + route->pattern] =
          route->access.describe();
    }
    CHECK(actual == kExpected);

    const std::vector<Principal> callers = {
        user_with("admin"),   user_with("physician"),
        user_with("patient"), user_with("medical"),
        user_with("member"),  user_with("user"),
        token_with({}),       token_with({"dicom:write", "empi:read"})};
    for (const auto& route : router.routes()) {
      if (route->access.is_public()) continue;
      const std::string name = std::string(method_name(route->method)) + " " + route->pattern;
      INFO(name);
      Request anonymous;
      anonymous.method = route->method;
      anonymous.path = concrete(route->pattern);
      anonymous.request_id = "matrix";
      anonymous.body = "{}";
      pipeline.set_authenticator([](const Request&) { return std::optional<Principal>(); });
      Response early;
      const Route* found = pipeline.route(anonymous, early);
      REQUIRE(found == route.get());
      auto denied = pipeline.handle(*found, anonymous);
      CHECK(denied.status == 401);
      CHECK(std::find_if(denied.headers.begin(), denied.headers.end(), [](const auto& h) {
              return h.first == "WWW-Authenticate";
            }) != denied.headers.end());
      for (const auto& caller : callers) {
        if (route->access.allows(caller)) continue;
        Request req = anonymous;
        pipeline.set_authenticator(
            [caller](const Request&) { return std::optional<Principal>(caller); });
        auto forbidden = pipeline.handle(*found, req);
        INFO(caller.subject << " " << (caller.roles.empty() ? "" : caller.roles.front()));
        CHECK(forbidden.status == 403);
        CHECK(nlohmann::json::parse(forbidden.body)["error"]["message"]
                  .get<std::string>()
                  .starts_with("this route needs"));
      }
    }
  }
}

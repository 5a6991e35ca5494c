// The core's routes against a real database on both backends, through the same pipeline the
// server uses (no sockets: the end-to-end suite covers those).
#include "carehub/core_routes.hpp"

#include <catch2/catch.hpp>

#include "carehub/migrations.hpp"
#include "http/pipeline.hpp"
#include "support/test_database.hpp"

using namespace carehub;

namespace {

Response call(Pipeline& p, Method method, const std::string& path) {
  Request req;
  req.method = method;
  req.path = path;
  req.request_id = "test-rid";
  Response early;
  const Route* route = p.route(req, early);
  return route ? p.handle(*route, req) : early;
}

JobsConfig jobs_config() {
  return {true, 1, {}, 100, 30000, 3, 100, 1000};
}

}  // namespace

TEST_CASE("readiness follows the schema and a job is shown to admins and to whoever started it",
          "[core][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  DYNAMIC_SECTION(test::backend_name(backend)) {
    test::TestDatabase tdb(backend);
    SystemClock clock;
    JobQueue jobs(tdb.db(), clock, jobs_config());
    Metrics metrics;
    Router router;
    register_core_routes(router, tdb.db(), jobs, metrics);
    Pipeline pipeline(router);

    auto not_ready = call(pipeline, Method::kGet, "/readyz");
    CHECK(not_ready.status == 503);
    CHECK(nlohmann::json::parse(not_ready.body)["error"]["message"].get<std::string>().find(
              "carehub migrate") != std::string::npos);

    migrate(tdb.db(), {});
    auto ready = call(pipeline, Method::kGet, "/readyz");
    REQUIRE(ready.status == 200);
    CHECK(nlohmann::json::parse(ready.body)["schema_version"] ==
          shipped_migrations(backend).back().version);

    JobSpec spec;
    spec.type = "report.build";
    spec.payload = {{"patient", "must not be shown"}};
    auto id = jobs.enqueue(spec);
    const std::string path = "/api/v1/jobs/" + std::to_string(id);

    CHECK(call(pipeline, Method::kGet, path).status == 401);
    Principal clerk;
    clerk.subject = "user:7";
    clerk.roles = {"physician"};
    pipeline.set_authenticator([&](const Request&) { return clerk; });
    CHECK(call(pipeline, Method::kGet, path).status == 404);  // not theirs: as if absent
    JobSpec own = spec;
    own.payload["actor"] = "user:7";
    const auto own_path = "/api/v1/jobs/" + std::to_string(jobs.enqueue(own));
    CHECK(call(pipeline, Method::kGet, own_path).status == 200);
    Principal root;
    root.subject = "user:1";
    root.roles = {"admin"};
    pipeline.set_authenticator([&](const Request&) { return root; });
    auto shown = call(pipeline, Method::kGet, path);
    REQUIRE(shown.status == 200);
    auto body = nlohmann::json::parse(shown.body);
    CHECK(body["id"] == id);
    CHECK(body["state"] == "queued");
    CHECK(body["attempts"] == 0);
    CHECK(shown.body.find("must not be shown") == std::string::npos);
    CHECK(call(pipeline, Method::kGet, "/api/v1/jobs/999999").status == 404);
    CHECK(call(pipeline, Method::kGet, "/api/v1/jobs/abc").status == 400);

    auto scraped = call(pipeline, Method::kGet, "/metrics");
    CHECK(scraped.body.find("carehub_jobs{queue=\"default\",state=\"queued\"} 2") !=
          std::string::npos);
    CHECK(scraped.body.find("carehub_db_pool_connections{state=\"max\"}") != std::string::npos);
  }
}

// Issue 18: the administrators' operations API behind the console's Jobs, Audit log, System status
// and Configuration screens: jobs listed by type and state, cancelled and retried; the audit trail
// searched and exported as CSV, each reading itself audited; status and the redacted
// configuration. On SQLite and PostgreSQL, through the real binary.
#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

#include "support/signed_in_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

std::int64_t enqueue_sleep(HttpClient& http, int ms, int fail_times) {
  auto r = http.post_json("/api/v1/diag/jobs", {{"ms", ms}, {"fail_times", fail_times}});
  INFO(r.summary());
  REQUIRE(r.status == 202);
  return r.json()["id"].get<std::int64_t>();
}

nlohmann::json job_state(HttpClient& http, const std::string& token, std::int64_t id) {
  auto r = http.get("/api/v1/jobs/" + std::to_string(id), bearer(token));
  REQUIRE(r.status == 200);
  return r.json();
}

nlohmann::json wait_for_state(HttpClient& http, const std::string& token, std::int64_t id,
                              const std::string& state) {
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  for (;;) {
    auto job = job_state(http, token, id);
    if (job["state"] == state) return job;
    INFO("job " << id << ": " << job.dump());
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    std::this_thread::sleep_for(100ms);
  }
}

std::vector<std::int64_t> ids_of(const nlohmann::json& jobs) {
  std::vector<std::int64_t> ids;
  for (const auto& j : jobs) ids.push_back(j["id"].get<std::int64_t>());
  return ids;
}

bool contains(const std::vector<std::int64_t>& ids, std::int64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

void run_operations_flow(ServerOptions options) {
  options.extra.merge_patch({{"jobs", {{"enabled", true}, {"max_attempts", 1}}}});
  auto server = started_server(options);
  auto http = server->client(30s);
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "member@clinic.example", {"member"});
  const auto member = login(http, "member@clinic.example");

  // --- jobs ---
  const auto dead = enqueue_sleep(http, 10, 5);
  wait_for_state(http, admin, dead, "dead");
  const auto running = enqueue_sleep(http, 60'000, 0);
  wait_for_state(http, admin, running, "running");

  auto all = http.get("/api/v1/jobs", bearer(admin));
  INFO(all.summary());
  REQUIRE(all.status == 200);
  CHECK(all.json()["total"].get<int>() >= 2);
  const auto all_ids = ids_of(all.json()["jobs"]);
  REQUIRE(all_ids.size() >= 2);
  CHECK(std::is_sorted(all_ids.rbegin(), all_ids.rend()));  // newest first

  auto dead_only = http.get("/api/v1/jobs?state=dead&type=diag.sleep", bearer(admin));
  REQUIRE(dead_only.status == 200);
  const auto dead_ids = ids_of(dead_only.json()["jobs"]);
  CHECK(contains(dead_ids, dead));
  CHECK_FALSE(contains(dead_ids, running));
  CHECK(dead_only.json()["jobs"][0]["last_error"].get<std::string>().find("planned failure") !=
        std::string::npos);
  auto paged = http.get("/api/v1/jobs?limit=1&offset=1", bearer(admin));
  REQUIRE(paged.status == 200);
  CHECK(paged.json()["jobs"].size() == 1);
  CHECK(ids_of(paged.json()["jobs"])[0] == all_ids[1]);

  CHECK(http.get("/api/v1/jobs?state=sleeping", bearer(admin)).status == 400);
  CHECK(http.get("/api/v1/jobs?limit=0", bearer(admin)).status == 400);
  CHECK(http.get("/api/v1/jobs", bearer(member)).status == 403);
  CHECK(http.get("/api/v1/jobs").status == 401);
  CHECK(http.post_json("/api/v1/jobs/" + std::to_string(dead) + "/retry", {}, bearer(member))
            .status == 403);

  // Retry: only a dead job; it runs again from its first attempt (and dies again here).
  auto not_dead =
      http.post_json("/api/v1/jobs/" + std::to_string(running) + "/retry", {}, bearer(admin));
  CHECK(not_dead.status == 409);
  auto retried =
      http.post_json("/api/v1/jobs/" + std::to_string(dead) + "/retry", {}, bearer(admin));
  INFO(retried.summary());
  REQUIRE(retried.status == 200);
  CHECK(retried.json()["state"] != "dead");  // queued, or claimed by a worker already
  wait_for_state(http, admin, dead, "dead");
  CHECK(job_state(http, admin, dead)["attempts"] == 1);

  // Cancel: the running job stops; a finished one cannot be cancelled; an unknown one is 404.
  auto cancelled =
      http.post_json("/api/v1/jobs/" + std::to_string(running) + "/cancel", {}, bearer(admin));
  INFO(cancelled.summary());
  REQUIRE(cancelled.status == 200);
  wait_for_state(http, admin, running, "cancelled");
  CHECK(http.post_json("/api/v1/jobs/" + std::to_string(running) + "/cancel", {}, bearer(admin))
            .status == 409);
  CHECK(http.post_json("/api/v1/jobs/999999/cancel", {}, bearer(admin)).status == 404);
  CHECK(http.post_json("/api/v1/jobs/abc/retry", {}, bearer(admin)).status == 400);

  // --- audit ---
  auto mine = http.get("/api/v1/audit?actor=user:1&action=job.retry", bearer(admin));
  INFO(mine.summary());
  REQUIRE(mine.status == 200);
  REQUIRE(mine.json()["total"] == 1);
  const auto event = mine.json()["events"][0];
  CHECK(event["resource_type"] == "job");
  CHECK(event["resource_id"] == std::to_string(dead));
  CHECK(event["outcome"] == "success");
  CHECK_FALSE(event["request_id"].get<std::string>().empty());

  // A time range: everything up to now includes it; a window in the past does not.
  auto in_range =
      http.get("/api/v1/audit?action=job.cancel&from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
               bearer(admin));
  REQUIRE(in_range.status == 200);
  CHECK(in_range.json()["total"] == 1);
  auto past = http.get("/api/v1/audit?action=job.cancel&to=2020-01-01T00:00:00Z", bearer(admin));
  REQUIRE(past.status == 200);
  CHECK(past.json()["total"] == 0);
  CHECK(http.get("/api/v1/audit?from=yesterday", bearer(admin)).status == 400);
  CHECK(http.get("/api/v1/audit?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", bearer(admin))
            .status == 400);
  CHECK(http.get("/api/v1/audit?format=xml", bearer(admin)).status == 400);
  CHECK(http.get("/api/v1/audit", bearer(member)).status == 403);

  // Paging: newest first, pages do not overlap.
  auto page1 = http.get("/api/v1/audit?limit=2", bearer(admin)).json();
  auto page2 = http.get("/api/v1/audit?limit=2&offset=2", bearer(admin)).json();
  REQUIRE(page1["events"].size() == 2);
  REQUIRE(page2["events"].size() >= 1);
  CHECK(page1["events"][0]["id"].get<std::int64_t>() >
        page1["events"][1]["id"].get<std::int64_t>());

  // Reading the trail is itself in the trail, with the filters used.
  auto searches = http.get("/api/v1/audit?action=audit.search&actor=user:1", bearer(admin));
  REQUIRE(searches.status == 200);
  CHECK(searches.json()["total"].get<int>() >= 3);
  bool saw_filters = false;
  const auto searched = searches.json();
  for (const auto& e : searched["events"]) {
    saw_filters = saw_filters || e["detail"]["filters"].value("action", "") == "job.retry";
  }
  CHECK(saw_filters);

  // CSV export: a header, one line per event, the filters applied; audited as an export.
  auto csv = http.get("/api/v1/audit?format=csv&actor=user:1", bearer(admin));
  INFO(csv.summary());
  REQUIRE(csv.status == 200);
  CHECK(csv.header("content-type") == "text/csv; charset=utf-8");
  CHECK(csv.header("content-disposition").value_or("").find("attachment") != std::string::npos);
  CHECK(csv.header("cache-control") == "no-store");
  CHECK(csv.body.starts_with("id,at,actor,action,resource_type,resource_id,outcome,"));
  CHECK(csv.body.find(",user:1,job.retry,job," + std::to_string(dead) + ",success,") !=
        std::string::npos);
  std::istringstream lines(csv.body);
  std::string line;
  std::getline(lines, line);  // the header
  int rows = 0;
  while (std::getline(lines, line)) {
    INFO(line);
    CHECK(line.find(",user:1,") != std::string::npos);  // the filter held
    ++rows;
  }
  CHECK(rows >= 5);
  auto exports = http.get("/api/v1/audit?action=audit.export", bearer(admin));
  CHECK(exports.json()["total"] == 1);

  // --- status and configuration ---
  auto status = http.get("/api/v1/system/status", bearer(admin));
  INFO(status.summary());
  REQUIRE(status.status == 200);
  const auto s = status.json();
  CHECK(s["health"] == "ok");
  CHECK(s["readiness"]["ready"] == true);
  CHECK(s["schema_version"]["current"] == s["schema_version"]["latest"]);
  CHECK(s["database"] == (options.database_url ? "postgres" : "sqlite"));
  CHECK(s["requests"]["total"].get<int>() > 10);
  CHECK(s["requests"]["client_errors"].get<int>() >= 5);  // the refusals above
  CHECK(s["jobs"]["dead"].get<int>() >= 1);
  CHECK(s["jobs"]["cancelled"].get<int>() >= 1);
  CHECK(s["uptime_s"].get<int>() >= 0);
  CHECK(http.get("/api/v1/system/status", bearer(member)).status == 403);

  auto config = http.get("/api/v1/system/config", bearer(admin));
  INFO(config.summary());
  REQUIRE(config.status == 200);
  CHECK(config.json()["database"]["url"] == "<redacted>");
  CHECK(config.json()["server"]["port"] == server->port());
  CHECK(config.body.find(server->database_url()) == std::string::npos);
  CHECK(http.get("/api/v1/system/config", bearer(member)).status == 403);
}

}  // namespace

TEST_CASE("operations: jobs, audit search and export, status and configuration, on SQLite",
          "[e2e][operations]") {
  run_operations_flow({});
}

TEST_CASE("operations: jobs, audit search and export, status and configuration, on PostgreSQL",
          "[e2e][operations]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_operations_flow(options);
}

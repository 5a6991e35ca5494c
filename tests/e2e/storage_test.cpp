// The same binary on either storage backend: migrate, serve, write and read a row over HTTP, run a
// job. The PostgreSQL database is a fresh one on the test server.
#include <catch2/catch.hpp>

#include "support/e2e_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

bool id_is(const nlohmann::json& body, int id) {
  const auto& v = body.contains("id") ? body["id"] : nlohmann::json();
  return v == id || v == std::to_string(id);
}

void check_rows_round_trip(ServerUnderTest& server) {
  auto client = server.client();
  auto put = client.put_json("/api/v1/diag/rows/7", {{"value", "hello \u00e9"}});
  INFO(put.summary());
  REQUIRE(put.status == 200);
  CHECK(id_is(put.json(), 7));
  CHECK(put.json().value("value", "") == "hello \u00e9");

  auto get = client.get("/api/v1/diag/rows/7");
  INFO(get.summary());
  REQUIRE(get.status == 200);
  CHECK(id_is(get.json(), 7));
  CHECK(get.json().value("value", "") == "hello \u00e9");

  // An upsert: the second PUT replaces the value.
  CHECK(client.put_json("/api/v1/diag/rows/7", {{"value", "second"}}).status == 200);
  CHECK(client.get("/api/v1/diag/rows/7").json().value("value", "") == "second");

  auto missing = client.get("/api/v1/diag/rows/8");
  INFO(missing.summary());
  CHECK(missing.status == 404);

  // Rows survive a restart: they are in the database, not in the process.
  REQUIRE(server.stop() == 0);
  server.start();
  CHECK(server.client().get("/api/v1/diag/rows/7").json().value("value", "") == "second");
}

void check_job_runs(ServerUnderTest& server) {
  auto r = server.client().post_json("/api/v1/diag/jobs", {{"ms", 100}});
  INFO(r.summary());
  REQUIRE(r.status == 202);
  const auto id = r.json()["id"].get<std::int64_t>();
  JobProbe probe(server.database_url());
  const auto job = probe.wait_until(
      id, [](const carehub::JobInfo& j) { return j.state == carehub::JobState::kSucceeded; }, 10s);
  INFO(describe(job));
  REQUIRE(job.has_value());
  CHECK(job->state == carehub::JobState::kSucceeded);
}

}  // namespace

TEST_CASE("serve on SQLite stores and reads rows", "[e2e]") {
  ServerUnderTest server;
  check_rows_round_trip(server);
}

TEST_CASE("serve on PostgreSQL migrates, serves, stores rows and runs jobs", "[e2e]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  ServerUnderTest server(options);
  CHECK(server.migrated_version() == latest_shipped_version("postgres"));

  auto ready = server.client().get("/readyz");
  INFO(ready.summary());
  CHECK(ready.status == 200);
  CHECK(ready.json().value("schema_version", -1) == latest_shipped_version("postgres"));

  check_job_runs(server);
  check_rows_round_trip(server);
}

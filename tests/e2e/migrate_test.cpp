// `carehub migrate` as a deployment runs it: two at once (two replicas starting) apply each step
// exactly once and both succeed; `serve` refuses a schema that is behind; an edited, applied
// migration is refused.
#include <catch2/catch.hpp>
#include <sstream>

#include "support/e2e_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

int count_applied_lines(const std::string& out) {
  int n = 0;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("applied ", 0) == 0) ++n;
  }
  return n;
}

void check_concurrent_migrate(const std::string& url, const std::string& backend_dir) {
  const auto files = shipped_migration_files(backend_dir);
  REQUIRE(!files.empty());
  const int latest = latest_shipped_version(backend_dir);

  ServerOptions options;
  options.database_url = url;
  options.migrate = false;
  options.start = false;
  ServerUnderTest server(options);

  auto a = server.spawn({"migrate"});
  auto b = server.spawn({"migrate"});
  const auto code_a = a->wait_for_exit(30s);
  const auto code_b = b->wait_for_exit(30s);
  const std::string out_a = a->stdout_text();
  const std::string out_b = b->stdout_text();
  INFO("first run:\n"
       << out_a << a->stderr_text() << "\nsecond run:\n"
       << out_b << b->stderr_text());
  CHECK(code_a == 0);
  CHECK(code_b == 0);
  CHECK(count_applied_lines(out_a) + count_applied_lines(out_b) == static_cast<int>(files.size()));
  CHECK(parse_schema_version(out_a) == latest);
  CHECK(parse_schema_version(out_b) == latest);
  for (const auto& name : files) {
    INFO(name);
    CHECK((out_a + out_b).find("applied " + name) != std::string::npos);
  }

  auto db = open_test_database(url);
  const auto rows = db->transact(
      [](carehub::Tx& tx) {
        return tx.query(
            "SELECT version, COUNT(*) FROM schema_migrations GROUP BY version ORDER BY version");
      },
      carehub::TxMode::kRead);
  CHECK(rows.size() == files.size());
  for (const auto& row : rows) {
    INFO("version " << row.integer(0));
    CHECK(row.integer(1) == 1);
  }

  // A third run finds nothing to do.
  const auto again = server.cli({"migrate"});
  INFO(describe(again));
  CHECK(again.exit_code == 0);
  CHECK(count_applied_lines(again.out) == 0);
  CHECK(again.out.find("schema is up to date (version " + std::to_string(latest) + ")") !=
        std::string::npos);
}

}  // namespace

TEST_CASE("two concurrent migrate runs on SQLite apply each migration once", "[e2e]") {
  TempDir dir;
  check_concurrent_migrate("sqlite://" + dir.path() + "/concurrent.db", "sqlite");
}

TEST_CASE("two concurrent migrate runs on PostgreSQL apply each migration once", "[e2e]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  check_concurrent_migrate(pg.url(), "postgres");
}

TEST_CASE("serve refuses an unmigrated database and starts after migrate", "[e2e]") {
  ServerOptions options;
  options.migrate = false;
  options.start = false;
  ServerUnderTest server(options);

  auto serve = server.spawn({"serve"});
  const auto code = serve->wait_for_exit(15s);
  INFO(serve->stderr_text());
  REQUIRE(code.has_value());
  CHECK(*code == 1);
  CHECK(serve->stderr_text().find("carehub migrate") != std::string::npos);

  const auto migrated = server.cli({"migrate"});
  INFO(describe(migrated));
  REQUIRE(migrated.exit_code == 0);
  server.start();
  auto ready = server.client().get("/readyz");
  INFO(ready.summary());
  CHECK(ready.status == 200);
  CHECK(ready.json().value("schema_version", -1) == latest_shipped_version("sqlite"));
}

TEST_CASE("an applied migration whose checksum changed is refused", "[e2e]") {
  ServerOptions options;
  options.start = false;
  ServerUnderTest server(options);
  {
    auto db = open_test_database(server.database_url());
    db->transact([](carehub::Tx& tx) {
      tx.exec("UPDATE schema_migrations SET checksum = $1 WHERE version = $2",
              {std::string(64, '0'), std::int64_t{1}});
    });
  }
  const auto r = server.cli({"migrate"});
  INFO(describe(r));
  REQUIRE(r.exit_code.has_value());
  CHECK(*r.exit_code == 1);
  CHECK(r.err.rfind("carehub: ", 0) == 0);
  CHECK((r.err.find("checksum") != std::string::npos || r.err.find("edited") != std::string::npos ||
         r.err.find("changed") != std::string::npos));

  auto serve = server.spawn({"serve"});
  const auto code = serve->wait_for_exit(15s);
  INFO(serve->stderr_text());
  REQUIRE(code.has_value());
  CHECK(*code != 0);
}

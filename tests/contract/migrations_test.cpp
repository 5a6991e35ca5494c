// The migration runner on both backends, with whatever migrations this build ships.
#include "carehub/migrations.hpp"

#include <fmt/format.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "carehub/config.hpp"
#include "carehub/db.hpp"
#include "support/test_database.hpp"

using carehub::Backend;
using carehub::Migration;
using carehub::MigrationError;
using carehub::Tx;
using carehub::TxMode;
using carehub::test::backend_name;
using carehub::test::TestDatabase;

namespace {

std::string file_of(const Migration& m) {
  return fmt::format("{:04d}_{}.sql", m.version, m.name);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// sha256sum(1) as an independent check of the checksum the binary computes.
std::string sha256sum(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(("sha256sum '" + path + "'").c_str(), "r"),
                                             &pclose);
  REQUIRE(pipe);
  char hex[65] = {};
  REQUIRE(std::fread(hex, 1, 64, pipe.get()) == 64);
  return hex;
}

std::int64_t applied_count(carehub::Database& db) {
  return db.transact(
      [](Tx& tx) { return tx.query_one("SELECT count(*) FROM schema_migrations")->integer(0); },
      TxMode::kRead);
}

}  // namespace

TEST_CASE("migrations: shipped files are numbered, embedded verbatim and checksummed",
          "[migrations]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  const auto& shipped = carehub::shipped_migrations(backend);
  REQUIRE_FALSE(shipped.empty());
  for (std::size_t i = 0; i < shipped.size(); ++i) {
    const auto& m = shipped[i];
    INFO("migration " << file_of(m));
    if (i > 0) CHECK(m.version > shipped[i - 1].version);
    CHECK_FALSE(m.name.empty());
    const std::string path = std::string(CAREHUB_TEST_SOURCE_DIR) + "/migrations/" +
                             backend_name(backend) + "/" + file_of(m);
    CHECK(m.sql == read_file(path));
    CHECK(m.checksum == sha256sum(path));
  }
  // Both backends ship the same steps, so one schema version means the same thing everywhere.
  std::vector<int> sqlite_versions, pg_versions;
  for (const auto& m : carehub::shipped_migrations(Backend::kSqlite))
    sqlite_versions.push_back(m.version);
  for (const auto& m : carehub::shipped_migrations(Backend::kPostgres))
    pg_versions.push_back(m.version);
  CHECK(sqlite_versions == pg_versions);
}

TEST_CASE("migrations: a fresh database is migrated once, then up to date", "[migrations]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto& db = t.db();
  const auto& shipped = carehub::shipped_migrations(backend);

  const auto before = carehub::schema_status(db);
  CHECK(before.current == 0);
  CHECK(before.latest == shipped.back().version);
  CHECK(before.pending.size() == shipped.size());
  CHECK_FALSE(before.up_to_date());

  std::vector<int> reported;
  const int applied =
      carehub::migrate(db, [&](const Migration& m) { reported.push_back(m.version); });
  CHECK(applied == static_cast<int>(shipped.size()));
  CHECK(reported == before.pending);

  const auto after = carehub::schema_status(db);
  CHECK(after.up_to_date());
  CHECK(after.current == shipped.back().version);
  CHECK(applied_count(db) == static_cast<std::int64_t>(shipped.size()));
  CHECK(carehub::migrate(db, [](const Migration&) { FAIL("applied twice"); }) == 0);

  const auto rows = db.transact(
      [](Tx& tx) {
        return tx.query(
            "SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version");
      },
      TxMode::kRead);
  REQUIRE(rows.size() == shipped.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK(rows[i].integer(0) == shipped[i].version);
    CHECK(rows[i].text(1) == shipped[i].name);
    CHECK(rows[i].text(2) == shipped[i].checksum);
    CHECK(rows[i].integer(3) > 1600000000000);  // epoch milliseconds
  }
}

TEST_CASE("migrations: an edited applied migration is refused, naming its file", "[migrations]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto& db = t.db();
  carehub::migrate(db, nullptr);
  const auto& first = carehub::shipped_migrations(backend).front();
  db.transact([&](Tx& tx) {
    tx.exec("UPDATE schema_migrations SET checksum = 'x' WHERE version = $1",
            {std::int64_t{first.version}});
  });
  CHECK_THROWS_AS(carehub::schema_status(db), MigrationError);
  CHECK_THROWS_WITH(carehub::schema_status(db), Catch::Matchers::Contains(file_of(first)) &&
                                                    Catch::Matchers::Contains("changed"));
  CHECK_THROWS_AS(carehub::migrate(db, nullptr), MigrationError);
}

TEST_CASE("migrations: a database newer than the binary is refused", "[migrations]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto& db = t.db();
  carehub::migrate(db, nullptr);
  db.transact([](Tx& tx) {
    tx.exec(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (99999, "
        "'future', 'abc', 0)");
  });
  CHECK_THROWS_AS(carehub::schema_status(db), MigrationError);
  CHECK_THROWS_WITH(carehub::schema_status(db),
                    Catch::Matchers::Contains("99999") && Catch::Matchers::Contains("newer"));
  CHECK_THROWS_AS(carehub::migrate(db, nullptr), MigrationError);
}

TEST_CASE("migrations: concurrent runs never apply a step twice", "[migrations]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  const auto& shipped = carehub::shipped_migrations(backend);
  constexpr int kRunners = 3;
  std::mutex mutex;
  std::multiset<int> reported;
  int total = 0;
  std::vector<std::string> errors;
  std::vector<std::thread> runners;
  for (int i = 0; i < kRunners; ++i) {
    runners.emplace_back([&] {
      try {
        auto db = carehub::open_database(t.config());  // its own connections, like another process
        const int n = carehub::migrate(*db, [&](const Migration& m) {
          std::lock_guard lock(mutex);
          reported.insert(m.version);
        });
        std::lock_guard lock(mutex);
        total += n;
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        errors.push_back(e.what());
      }
    });
  }
  for (auto& r : runners) r.join();
  CHECK(errors.empty());
  CHECK(total == static_cast<int>(shipped.size()));
  CHECK(reported.size() == shipped.size());
  for (const auto& m : shipped) CHECK(reported.count(m.version) == 1);
  CHECK(applied_count(t.db()) == static_cast<std::int64_t>(shipped.size()));
  CHECK(carehub::schema_status(t.db()).up_to_date());
}

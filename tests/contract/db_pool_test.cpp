// Pool accounting, recovery from lost PostgreSQL connections, and the global lock.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <future>
#include <latch>
#include <stdexcept>
#include <thread>
#include <vector>

#include "carehub/config.hpp"
#include "carehub/db.hpp"
#include "support/test_database.hpp"

using carehub::Backend;
using carehub::DatabaseConfig;
using carehub::Tx;
using carehub::TxMode;
using carehub::test::backend_name;
using carehub::test::TempDir;
using carehub::test::TestDatabase;
using namespace std::chrono_literals;

namespace {

// Kills every other session on the test database from an admin connection: to the layer this is
// exactly what a server restart looks like (the server closes the connections with 57P01).
void terminate_sessions(TestDatabase& t) {
  const auto name =
      t.db().transact([](Tx& tx) { return tx.query_one("SELECT current_database()")->text(0); });
  carehub::DatabaseConfig admin{carehub::test::pg_admin_url(), 1, 5000, 5};
  auto db = carehub::open_database(admin);
  const auto killed = db->transact([&](Tx& tx) {
    return tx
        .query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> "
            "pg_backend_pid()",
            {name})
        .size();
  });
  REQUIRE(killed > 0);
}

}  // namespace

TEST_CASE("db: pool_stats reflects connections in use and waits", "[db][contract][pool]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto& db = t.db();
  const int pool = t.config().pool_size;
  const auto idle = db.pool_stats();
  CHECK(idle.in_use == 0);
  CHECK(idle.max >= pool);

  db.transact([&](Tx&) { CHECK(db.pool_stats().in_use == 1); }, TxMode::kRead);

  // pool_size readers hold their connections; one more has to wait.
  std::latch holding(pool);
  std::promise<void> release;
  auto released = release.get_future().share();
  std::vector<std::thread> holders;
  for (int i = 0; i < pool; ++i) {
    holders.emplace_back([&] {
      db.transact(
          [&](Tx& tx) {
            tx.query("SELECT 1");
            holding.count_down();
            released.wait();
          },
          TxMode::kRead);
    });
  }
  holding.wait();
  const auto busy = db.pool_stats();
  CHECK(busy.in_use == pool);
  CHECK(busy.size >= pool);
  auto extra = std::async(std::launch::async, [&] {
    db.transact([](Tx& tx) { tx.query("SELECT 1"); }, TxMode::kRead);
  });
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (db.pool_stats().waits == idle.waits && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  CHECK(db.pool_stats().waits > idle.waits);
  CHECK(extra.wait_for(100ms) == std::future_status::timeout);
  release.set_value();
  for (auto& h : holders) h.join();
  REQUIRE(extra.wait_for(5s) == std::future_status::ready);
  CHECK(db.pool_stats().in_use == 0);
}

TEST_CASE("db: PostgreSQL units of work recover after the server drops every connection",
          "[db][contract][pool]") {
  TestDatabase t(Backend::kPostgres);
  auto& db = t.db();
  db.transact([](Tx& tx) { tx.exec("CREATE TABLE t (n BIGINT)"); });
  // Several pooled connections, so the retry must not just pick the next dead one.
  std::vector<std::thread> warm;
  for (int i = 0; i < 3; ++i) {
    warm.emplace_back([&] { db.transact([](Tx& tx) { tx.exec("INSERT INTO t VALUES (1)"); }); });
  }
  for (auto& w : warm) w.join();
  auto sub = db.subscribe("after_restart");

  terminate_sessions(t);

  CHECK_NOTHROW(db.transact([](Tx& tx) { tx.exec("INSERT INTO t VALUES (2)"); }));
  CHECK(db.transact([](Tx& tx) { return tx.query_one("SELECT count(*) FROM t")->integer(0); }) ==
        4);
  CHECK_NOTHROW(db.ping());

  // The subscription reconnects by itself (and may report that once), then delivers again.
  while (sub->wait(300ms)) {
  }
  db.transact([&](Tx& tx) { db.notify(tx, "after_restart"); });
  CHECK(sub->wait(5s));
}

// A real restart, on a private server of this test's own (restarting the shared one would break
// the tests running beside it): the pool's connections all die, the next unit of work reconnects.
TEST_CASE("db: PostgreSQL units of work recover after the server restarts",
          "[db][contract][pg-restart]") {
  TempDir dir;
  // Without CAREHUB_TEST_PG_URL, which would make the script hand back the shared server.
  const std::string script = "env -u CAREHUB_TEST_PG_URL bash " +
                             std::string(CAREHUB_TEST_SOURCE_DIR) + "/scripts/pg-test-server.sh";
  const std::string server = dir.path() + "/server";
  REQUIRE(std::system((script + " start " + server + " >/dev/null 2>&1").c_str()) == 0);
  struct Stop {
    std::string cmd;
    ~Stop() { [[maybe_unused]] int rc = std::system(cmd.c_str()); }
  } stop{script + " stop " + server + " >/dev/null 2>&1"};
  std::ifstream url_file(server + "/url");
  DatabaseConfig config;
  std::getline(url_file, config.url);
  config.pool_size = 2;
  config.busy_timeout_ms = 1000;
  config.connect_timeout_s = 5;
  auto db = carehub::open_database(config);
  db->transact([](Tx& tx) { tx.exec("CREATE TABLE t (n BIGINT)"); });
  db->transact([](Tx& tx) { tx.exec("INSERT INTO t VALUES (1)"); });

  REQUIRE(std::system((script + " restart " + server + " >/dev/null 2>&1").c_str()) == 0);
  CHECK_NOTHROW(db->transact([](Tx& tx) { tx.exec("INSERT INTO t VALUES (2)"); }));
  CHECK_NOTHROW(db->ping());
  auto n = db->transact([](Tx& tx) { return tx.query_one("SELECT COUNT(*) FROM t")->integer(0); });
  CHECK(n == 2);
}

TEST_CASE("db: with_global_lock admits one holder at a time, across Database objects",
          "[db][contract][lock]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  std::atomic<int> inside{0};
  std::atomic<int> most{0};
  std::atomic<int> runs{0};
  auto contender = [&] {
    auto db = carehub::open_database(t.config());
    for (int i = 0; i < 3; ++i) {
      db->with_global_lock("test-lock", [&] {
        const int now = ++inside;
        most = std::max(most.load(), now);
        std::this_thread::sleep_for(20ms);
        --inside;
        ++runs;
      });
    }
  };
  std::thread a(contender);
  std::thread b(contender);
  a.join();
  b.join();
  CHECK(runs == 6);
  CHECK(most == 1);

  // Released when fn throws: the next holder gets it at once.
  CHECK_THROWS(t.db().with_global_lock("test-lock", [] { throw std::runtime_error("x"); }));
  auto other = carehub::open_database(t.config());
  auto got = std::async(std::launch::async, [&] {
    other->with_global_lock("test-lock", [] {});
    return true;
  });
  REQUIRE(got.wait_for(5s) == std::future_status::ready);
}

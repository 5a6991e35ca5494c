// The database layer's contract, run against SQLite and a real PostgreSQL server.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "carehub/db.hpp"
#include "support/test_database.hpp"

using carehub::Backend;
using carehub::ConstraintError;
using carehub::DbError;
using carehub::Params;
using carehub::Tx;
using carehub::TxMode;
using carehub::test::backend_name;
using carehub::test::TestDatabase;

namespace {

void create_values_table(carehub::Database& db) {
  db.transact([](Tx& tx) {
    tx.exec("CREATE TABLE vals (id BIGINT PRIMARY KEY, i BIGINT, s TEXT, d DOUBLE PRECISION)");
  });
}

std::int64_t count_rows(carehub::Database& db, const std::string& table) {
  return db.transact(
      [&](Tx& tx) { return tx.query_one("SELECT count(*) FROM " + table)->integer(0); },
      TxMode::kRead);
}

}  // namespace

TEST_CASE("db: integers, text, doubles and NULL round trip unchanged", "[db][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto& db = t.db();
  create_values_table(db);

  const std::vector<std::int64_t> ints = {0,
                                          -1,
                                          (std::int64_t{1} << 41) + 7,
                                          -(std::int64_t{1} << 53) - 1,
                                          std::numeric_limits<std::int64_t>::max(),
                                          std::numeric_limits<std::int64_t>::min()};
  const std::vector<std::string> texts = {
      "it's \"quoted\" `back` \\backslash\\",
      "ünïcødé ✓ 日本語 🩺",
      std::string("\x01\x02\x1f control, tab\t, cr\r, lf\n, 100% %s $1 ?"),
      "",
  };
  const std::vector<double> doubles = {0.1, -2.5e-300, 1.0 / 3.0, 1e300, -0.0};

  db.transact([&](Tx& tx) {
    std::int64_t id = 0;
    for (auto i : ints) tx.exec("INSERT INTO vals (id, i) VALUES ($1, $2)", {++id, i});
    for (const auto& s : texts)
      tx.exec("INSERT INTO vals (id, s) VALUES ($1, $2)", {100 + ++id, s});
    for (auto d : doubles) tx.exec("INSERT INTO vals (id, d) VALUES ($1, $2)", {200 + ++id, d});
    tx.exec("INSERT INTO vals (id, i, s, d) VALUES ($1, $2, $3, $4)",
            {std::int64_t{999}, nullptr, nullptr, nullptr});
  });

  db.transact(
      [&](Tx& tx) {
        std::int64_t id = 0;
        for (auto i : ints) {
          auto row = tx.query_one("SELECT i FROM vals WHERE id = $1", {++id});
          REQUIRE(row);
          CHECK(row->integer(0) == i);
          CHECK(row->text(0) == std::to_string(i));
        }
        for (const auto& s : texts) {
          auto row = tx.query_one("SELECT s FROM vals WHERE id = $1", {100 + ++id});
          REQUIRE(row);
          CHECK(row->text(0) == s);
        }
        for (auto d : doubles) {
          auto row = tx.query_one("SELECT d FROM vals WHERE id = $1", {200 + ++id});
          REQUIRE(row);
          CHECK(row->real(0) == d);
        }
        auto row = tx.query_one("SELECT i, s, d FROM vals WHERE id = $1", {std::int64_t{999}});
        REQUIRE(row);
        for (std::size_t c = 0; c < 3; ++c) CHECK(row->is_null(c));
        CHECK_FALSE(row->opt_integer(0).has_value());
        CHECK_FALSE(row->opt_text(1).has_value());
        CHECK_THROWS_AS(row->text(1), DbError);
        CHECK_THROWS_AS(row->integer(0), DbError);
        CHECK_FALSE(
            tx.query_one("SELECT i FROM vals WHERE id = $1", {std::int64_t{-5}}).has_value());
      },
      TxMode::kRead);
}

TEST_CASE("db: parameters are never spliced into SQL", "[db][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto& db = t.db();
  create_values_table(db);
  const std::string hostile = "'); DROP TABLE vals; --";
  db.transact([&](Tx& tx) {
    tx.exec("INSERT INTO vals (id, s) VALUES ($1, $2)", {std::int64_t{1}, hostile});
  });
  const auto stored = db.transact([&](Tx& tx) {
    // The same placeholder twice, and a value that would match everything if spliced.
    auto rows = tx.query("SELECT s FROM vals WHERE s = $1 OR s = $1 || 'x'", {hostile});
    auto none = tx.query("SELECT s FROM vals WHERE s = $1", {std::string("' OR '1'='1")});
    CHECK(none.empty());
    return rows;
  });
  REQUIRE(stored.size() == 1);
  CHECK(stored[0].text(0) == hostile);
  CHECK(count_rows(db, "vals") == 1);

  // Two statements in one call are refused instead of run.
  CHECK_THROWS_AS(db.transact([](Tx& tx) { tx.exec("DELETE FROM vals; DELETE FROM vals"); }),
                  DbError);
  CHECK(count_rows(db, "vals") == 1);
}

TEST_CASE("db: exec reports changed rows and a throwing unit of work leaves nothing",
          "[db][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto& db = t.db();
  create_values_table(db);
  const auto changed = db.transact([](Tx& tx) {
    tx.exec("INSERT INTO vals (id, i) VALUES (1, 10), (2, 20), (3, 30)");
    return tx.exec("UPDATE vals SET i = i + 1 WHERE i >= $1", {std::int64_t{20}});
  });
  CHECK(changed == 2);

  int calls = 0;
  CHECK_THROWS_WITH(db.transact([&](Tx& tx) {
    ++calls;
    tx.exec("INSERT INTO vals (id) VALUES (4)");
    tx.exec("DELETE FROM vals WHERE id = 1");
    throw std::runtime_error("handler failed");
  }),
                    "handler failed");
  CHECK(calls == 1);
  CHECK(count_rows(db, "vals") == 3);
  CHECK(db.transact([](Tx& tx) { return tx.query("SELECT id FROM vals WHERE id = 1").size(); }) ==
        1);
}

TEST_CASE("db: a unique violation is a ConstraintError and is not retried", "[db][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto& db = t.db();
  create_values_table(db);
  db.transact([](Tx& tx) { tx.exec("INSERT INTO vals (id) VALUES (1)"); });
  int calls = 0;
  try {
    db.transact([&](Tx& tx) {
      ++calls;
      tx.exec("INSERT INTO vals (id) VALUES (2)");
      tx.exec("INSERT INTO vals (id) VALUES ($1)", {std::int64_t{1}});
    });
    FAIL("duplicate key accepted");
  } catch (const ConstraintError& e) {
    CHECK_FALSE(e.retryable());
  }
  CHECK(calls == 1);
  CHECK(count_rows(db, "vals") == 1);
}

TEST_CASE("db: concurrent writers all succeed", "[db][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  auto mode = GENERATE(TxMode::kWrite, TxMode::kExclusive);
  INFO("backend: " << backend_name(backend)
                   << (mode == TxMode::kWrite ? " kWrite" : " kExclusive"));
  TestDatabase t(backend);
  auto& db = t.db();
  // The test is about correctness under contention, not the retry budget: serializable
  // read-modify-write with four contenders can fail more than the default 8 times in a row.
  db.max_attempts = 100;
  db.transact([](Tx& tx) {
    tx.exec("CREATE TABLE counter (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
    tx.exec("INSERT INTO counter VALUES (1, 0)");
  });
  constexpr int kThreads = 4;
  constexpr int kIncrements = 50;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t_i = 0; t_i < kThreads; ++t_i) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        try {
          db.transact(
              [&](Tx& tx) {
                if (mode == TxMode::kWrite) {
                  tx.exec("UPDATE counter SET n = n + 1 WHERE id = 1");
                } else {
                  // Read-modify-write: loses updates unless the mode really isolates.
                  const auto n = tx.query_one("SELECT n FROM counter WHERE id = 1")->integer(0);
                  tx.exec("UPDATE counter SET n = $1 WHERE id = 1", {n + 1});
                }
              },
              mode);
        } catch (const std::exception&) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == 0);
  CHECK(db.transact([](Tx& tx) { return tx.query_one("SELECT n FROM counter")->integer(0); }) ==
        kThreads * kIncrements);
}

TEST_CASE("db: a read transaction sees committed data and cannot write", "[db][contract]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto& db = t.db();
  create_values_table(db);
  db.transact([](Tx& tx) { tx.exec("INSERT INTO vals (id, s) VALUES (1, 'first')"); });
  CHECK(db.transact([](Tx& tx) { return tx.query_one("SELECT s FROM vals")->text(0); },
                    TxMode::kRead) == "first");
  db.transact([](Tx& tx) { tx.exec("UPDATE vals SET s = 'second'"); });
  CHECK(db.transact([](Tx& tx) { return tx.query_one("SELECT s FROM vals")->text(0); },
                    TxMode::kRead) == "second");
  CHECK_THROWS_AS(db.transact([](Tx& tx) { tx.exec("DELETE FROM vals"); }, TxMode::kRead), DbError);
  CHECK(count_rows(db, "vals") == 1);
  CHECK_NOTHROW(db.ping());
}

// notify/subscribe on both backends: a subscriber wakes after the notifying transaction commits,
// not after it rolls back; wake() ends a wait from another thread.
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <stdexcept>

#include "carehub/config.hpp"
#include "carehub/db.hpp"
#include "support/test_database.hpp"

using carehub::Backend;
using carehub::Tx;
using carehub::test::backend_name;
using carehub::test::TestDatabase;
using namespace std::chrono_literals;

namespace {

// Waits until nothing more arrives (a fresh PostgreSQL subscription may report its first connect).
void drain(carehub::Subscription& sub) {
  while (sub.wait(200ms)) {
  }
}

}  // namespace

TEST_CASE("db: a subscriber wakes after commit, not after rollback", "[db][contract][notify]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto& db = t.db();
  auto sub = db.subscribe("jobs_ready");
  auto other = db.subscribe("something_else");
  drain(*sub);
  drain(*other);

  auto waiter = std::async(std::launch::async, [&] {
    const auto start = std::chrono::steady_clock::now();
    const bool woke = sub->wait(10s);
    return std::make_pair(woke, std::chrono::steady_clock::now() - start);
  });
  std::this_thread::sleep_for(100ms);
  db.transact([&](Tx& tx) { db.notify(tx, "jobs_ready"); });
  const auto [woke, took] = waiter.get();
  CHECK(woke);
  CHECK(took < 5s);
  CHECK_FALSE(other->wait(300ms));

  // A notification committed while nobody waits is still seen by the next wait.
  db.transact([&](Tx& tx) { db.notify(tx, "jobs_ready"); });
  CHECK(sub->wait(5s));

  CHECK_THROWS(db.transact([&](Tx& tx) {
    db.notify(tx, "jobs_ready");
    throw std::runtime_error("abandon");
  }));
  CHECK_FALSE(sub->wait(500ms));
}

TEST_CASE("db: wake() ends a subscriber's wait", "[db][contract][notify]") {
  auto backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  TestDatabase t(backend);
  auto sub = t.db().subscribe("wake_test");
  drain(*sub);
  CHECK_FALSE(sub->wait(100ms));
  auto waiter = std::async(std::launch::async, [&] { return sub->wait(10s); });
  std::this_thread::sleep_for(100ms);
  sub->wake();
  REQUIRE(waiter.wait_for(5s) == std::future_status::ready);
  CHECK(waiter.get());
}

TEST_CASE("db: PostgreSQL notifications reach subscribers of another Database",
          "[db][contract][notify]") {
  TestDatabase t(Backend::kPostgres);
  auto other_process = carehub::open_database(t.config());
  auto sub = other_process->subscribe("cross");
  drain(*sub);
  t.db().transact([&](Tx& tx) { t.db().notify(tx, "cross"); });
  CHECK(sub->wait(5s));
}

// The notify module's storage on both backends: a notification exists exactly when the unit of
// work that published it commits (the outbox), push jobs are enqueued with it, preferences are
// honoured, and retention removes read notifications past their age and nothing else.
#include <catch2/catch.hpp>
#include <set>

#include "carehub/mail.hpp"
#include "contract/jobs_support.hpp"
#include "notify/hub.hpp"
#include "notify/publisher.hpp"
#include "notify/store.hpp"

using namespace carehub;
using namespace carehub::notify;
using namespace carehub::test;

TEST_CASE("notify store: the outbox commits or rolls back with the caller", "[contract][notify]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);
  NotifyStore store;
  Services services;
  Hub hub(f.db(), store, services.principals, HubSettings{});
  ConfigSchema schema;
  add_core_config_schema(schema);
  const auto config = Config::load(schema, std::nullopt, {});
  Mail mail(config, f.queue, f.clock);
  Publisher publisher(f.db(), store, hub, f.queue, f.clock, 5, services, mail);
  f.db().transact([&](Tx& tx) {
    store.register_device(tx, 7, "fcm", "token-a", "app", f.clock.now_ms());
    store.register_device(tx, 7, "apns", "token-b", "app", f.clock.now_ms());
  });
  Notification n{7, "cases.share", "A case was shared", "details", {{"case_id", "1"}}};
  // Rolled back: nothing stored, no push job.
  CHECK_THROWS(f.db().transact([&](Tx& tx) {
    publisher.publish(tx, n);
    throw std::runtime_error("the caller's change failed");
  }));
  CHECK(f.db().transact([&](Tx& tx) { return store.inbox(tx, {7}); }).empty());
  CHECK(f.queue.counts().empty());
  // Committed: stored, one push job per device (idempotent: publishing is not retried here).
  const auto id = f.db().transact([&](Tx& tx) { return publisher.publish(tx, n); });
  CHECK(id > 0);
  const auto inbox = f.db().transact([&](Tx& tx) { return store.inbox(tx, {7}); });
  REQUIRE(inbox.size() == 1);
  CHECK(inbox[0].n.data["case_id"] == "1");
  std::int64_t queued = 0;
  for (const auto& [key, count] : f.queue.counts())
    if (key.first == "notify") queued += count;
  CHECK(queued == 2);
  // Both off for a type: nothing at all.
  f.db().transact([&](Tx& tx) { store.set_preference(tx, 7, "muted", {false, false}); });
  Notification muted{7, "muted", "t", "b", nlohmann::json::object()};
  CHECK(f.db().transact([&](Tx& tx) { return publisher.publish(tx, muted); }) == 0);
}

TEST_CASE("notify store: retention removes read notifications past their age, keeps the rest",
          "[contract][notify]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);
  NotifyStore store;
  const std::int64_t day = 86'400'000;
  std::int64_t old_read = 0, old_unread = 0, new_read = 0;
  f.db().transact([&](Tx& tx) {
    old_read = store.insert(tx, {1, "t", "old read", "b", {}}, f.clock.now_ms());
    old_unread = store.insert(tx, {1, "t", "old unread", "b", {}}, f.clock.now_ms());
    store.mark_read(tx, 1, old_read, f.clock.now_ms());
  });
  f.clock.advance(40 * day);
  f.db().transact([&](Tx& tx) {
    new_read = store.insert(tx, {1, "t", "new read", "b", {}}, f.clock.now_ms());
    store.mark_read(tx, 1, new_read, f.clock.now_ms());
  });
  const auto purged = f.db().transact(
      [&](Tx& tx) { return store.purge_read_before(tx, f.clock.now_ms() - 30 * day); });
  CHECK(purged == 1);
  std::set<std::int64_t> left;
  for (const auto& r : f.db().transact([&](Tx& tx) { return store.inbox(tx, {1}); }))
    left.insert(r.id);
  CHECK(left == std::set<std::int64_t>{old_unread, new_read});
}

// The audit log's storage contract on both backends: events are recorded and found, belong to the
// caller's unit of work, and the database itself refuses to change or delete them.
#include <catch2/catch.hpp>

#include "carehub/audit.hpp"
#include "carehub/http.hpp"
#include "contract/jobs_support.hpp"

using namespace carehub;
using namespace carehub::test;

namespace {

struct AuditFixture {
  explicit AuditFixture(Backend backend) : database(backend), audit(database.db(), clock) {
    migrate(database.db(), {});
  }
  Database& db() { return database.db(); }

  TestDatabase database;
  ManualClock clock;
  AuditLog audit;
};

AuditEvent event(std::string actor, std::string action, std::string type, std::string id) {
  AuditEvent e;
  e.actor = std::move(actor);
  e.action = std::move(action);
  e.resource_type = std::move(type);
  e.resource_id = std::move(id);
  return e;
}

std::vector<std::string> actions(const std::vector<AuditRecord>& records) {
  std::vector<std::string> out;
  for (const auto& r : records) out.push_back(r.event.action);
  return out;
}

}  // namespace

TEST_CASE("audit: recorded events are found by actor and resource, in order", "[contract][audit]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuditFixture f(backend);

  auto first = event("dr-house", "person.read", "person", "p1");
  first.request_id = "req-1";
  first.client_address = "127.0.0.1";
  first.detail = {{"fields", 3}};
  f.audit.record(first);
  f.clock.advance(5);
  f.audit.record(event("dr-house", "person.update", "person", "p2"));
  auto denied = event("nurse", "person.read", "person", "p1");
  denied.outcome = "denied";
  denied.at_ms = 1234;
  f.audit.record(denied);
  f.db().transact(
      [&](Tx& tx) { f.audit.record(tx, event("system", "dicom.store", "study", "s9")); });

  auto all = f.audit.find({});
  REQUIRE(all.size() == 4);
  CHECK(actions(all) ==
        std::vector<std::string>{"person.read", "person.update", "person.read", "dicom.store"});
  CHECK(all[0].id < all[1].id);
  CHECK(all[1].id < all[2].id);
  const auto& e = all[0].event;
  CHECK(e.actor == "dr-house");
  CHECK(e.resource_type == "person");
  CHECK(e.resource_id == "p1");
  CHECK(e.outcome == "success");
  CHECK(e.request_id == "req-1");
  CHECK(e.client_address == "127.0.0.1");
  CHECK(e.detail == nlohmann::json{{"fields", 3}});
  CHECK(e.at_ms == f.clock.now_ms() - 5);
  CHECK(all[1].event.at_ms == f.clock.now_ms());
  CHECK(all[2].event.at_ms == 1234);  // an explicit time is kept
  CHECK(all[2].event.outcome == "denied");

  AuditQuery by_actor;
  by_actor.actor = "dr-house";
  CHECK(actions(f.audit.find(by_actor)) ==
        std::vector<std::string>{"person.read", "person.update"});

  AuditQuery by_resource;
  by_resource.resource_type = "person";
  by_resource.resource_id = "p1";
  auto p1 = f.audit.find(by_resource);
  REQUIRE(p1.size() == 2);
  CHECK(p1[0].event.actor == "dr-house");
  CHECK(p1[1].event.actor == "nurse");

  AuditQuery page;
  page.limit = 2;
  auto first_page = f.audit.find(page);
  REQUIRE(first_page.size() == 2);
  page.after_id = first_page.back().id;
  CHECK(actions(f.audit.find(page)) == std::vector<std::string>{"person.read", "dicom.store"});

  AuditQuery nobody;
  nobody.actor = "dr-who";
  CHECK(f.audit.find(nobody).empty());
}

TEST_CASE("audit: an event recorded in a unit of work that rolls back is gone",
          "[contract][audit]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuditFixture f(backend);

  CHECK_THROWS_AS(f.db().transact([&](Tx& tx) {
    f.audit.record(tx, event("dr-house", "person.update", "person", "p1"));
    throw std::runtime_error("the change itself failed");
  }),
                  std::runtime_error);
  CHECK(f.audit.find({}).empty());
}

TEST_CASE("audit: the database refuses to update or delete events", "[contract][audit]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  AuditFixture f(backend);
  f.audit.record(event("dr-house", "person.read", "person", "p1"));

  auto refused = [&](const std::string& sql) {
    try {
      f.db().transact([&](Tx& tx) { tx.exec(sql); });
    } catch (const DbError& e) {
      return std::string(e.what()).find("append-only") != std::string::npos;
    }
    return false;
  };
  CHECK(refused("UPDATE audit_events SET actor = 'someone-else'"));
  CHECK(refused("DELETE FROM audit_events"));
  if (backend == Backend::kPostgres) CHECK(refused("TRUNCATE audit_events"));

  auto all = f.audit.find({});
  REQUIRE(all.size() == 1);
  CHECK(all[0].event.actor == "dr-house");
}

TEST_CASE("audit: an event from a request carries its actor, request id and address", "[audit]") {
  Request request;
  request.request_id = "req-77";
  request.client_address = "10.0.0.5";

  auto anonymous = AuditLog::from_request(request, "person.read", "person", "p1");
  CHECK(anonymous.actor == "anonymous");
  CHECK(anonymous.request_id == "req-77");
  CHECK(anonymous.client_address == "10.0.0.5");
  CHECK(anonymous.action == "person.read");
  CHECK(anonymous.resource_type == "person");
  CHECK(anonymous.resource_id == "p1");
  CHECK(anonymous.outcome == "success");

  Principal physician;
  physician.subject = "user-42";
  physician.roles = {"physician"};
  request.principal = physician;
  CHECK(AuditLog::from_request(request, "a", "t", "i").actor == "user-42");
}

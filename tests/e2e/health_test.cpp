// Liveness, readiness, the Tuva EMPI health path, request ids and keep-alive, as a load balancer
// or an orchestrator sees them.
#include <catch2/catch.hpp>
#include <set>

#include "support/e2e_server.hpp"

using namespace carehub::test;

TEST_CASE("healthz, readyz and health-check answer as documented", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();

  auto healthz = client.get("/healthz");
  INFO(healthz.summary());
  CHECK(healthz.status == 200);
  CHECK(healthz.header("content-type").value_or("").find("application/json") == 0);
  CHECK(healthz.json() == nlohmann::json{{"status", "ok"}});

  auto readyz = client.get("/readyz");
  INFO(readyz.summary());
  REQUIRE(readyz.status == 200);
  const auto ready = readyz.json();
  CHECK(ready.value("status", "") == "ready");
  REQUIRE(server.migrated_version().has_value());
  CHECK(ready.value("schema_version", -1) == *server.migrated_version());
  CHECK(*server.migrated_version() == latest_shipped_version("sqlite"));

  auto tuva = client.get("/api/v1/health-check");
  INFO(tuva.summary());
  CHECK(tuva.status == 200);
  CHECK(tuva.body == "{}");
}

TEST_CASE("X-Request-Id is echoed when sent and generated when not", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();

  auto echoed = client.get("/healthz", {{"X-Request-Id", "abc-123"}});
  CHECK(echoed.status == 200);
  CHECK(echoed.header("x-request-id") == std::optional<std::string>("abc-123"));

  auto first = client.get("/healthz");
  auto second = client.get("/healthz");
  REQUIRE(first.header("x-request-id").has_value());
  REQUIRE(second.header("x-request-id").has_value());
  CHECK(!first.header("x-request-id")->empty());
  CHECK(*first.header("x-request-id") != *second.header("x-request-id"));

  // An id no log pipeline should carry (too long, quotes and markup) is replaced, not echoed.
  const std::string insane = std::string(300, 'x') + "<\"'>";
  auto replaced = client.get("/healthz", {{"X-Request-Id", insane}});
  CHECK(replaced.status == 200);
  REQUIRE(replaced.header("x-request-id").has_value());
  CHECK(!replaced.header("x-request-id")->empty());
  CHECK(*replaced.header("x-request-id") != insane);

  // Error answers carry it too.
  auto missing = client.get("/no/such/thing", {{"X-Request-Id", "err-77"}});
  CHECK(missing.status == 404);
  CHECK(missing.header("x-request-id") == std::optional<std::string>("err-77"));
}

TEST_CASE("keep-alive serves several requests on one connection", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();
  std::set<std::string> ids;
  for (const char* target : {"/healthz", "/api/v1/health-check", "/readyz"}) {
    auto r = client.get(target);
    INFO(target << ": " << r.summary());
    CHECK(r.status == 200);
    CHECK(client.connected());
    ids.insert(r.header("x-request-id").value_or(""));
  }
  CHECK(client.connections_opened() == 1);
  CHECK(ids.size() == 3);
}

TEST_CASE("a connection is closed after server.max_requests_per_connection requests", "[e2e]") {
  ServerOptions options;
  options.extra = {{"server", {{"max_requests_per_connection", 3}}}};
  ServerUnderTest server(options);
  auto client = server.client();
  for (int i = 1; i <= 3; ++i) {
    auto r = client.get("/healthz");
    INFO("request " << i << ": " << r.summary());
    CHECK(r.status == 200);
    // The last allowed response says so, so that clients do not send into a closing socket.
    if (i == 3) CHECK(to_lower(r.header("connection").value_or("")) == "close");
  }
  CHECK_FALSE(client.connected());
  CHECK(client.get("/healthz").status == 200);
  CHECK(client.connections_opened() == 2);
}

// Graceful shutdown as an orchestrator drives it: SIGTERM stops new connections, lets requests in
// flight finish within server.shutdown_grace_ms, and the process exits 0.
#include <signal.h>

#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "support/e2e_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// Runs GET target on its own connection in another thread.
std::future<HttpResponse> get_async(int port, std::string target) {
  return std::async(std::launch::async, [port, target] {
    HttpClient client(port, 15s);
    return client.get(target);
  });
}

bool connect_refused(int port) {
  try {
    HttpClient probe(port, 1s);
    probe.connect();
    return false;
  } catch (const HttpError&) {
    return true;
  }
}

}  // namespace

TEST_CASE("SIGTERM lets a request in flight finish, then exits 0", "[e2e]") {
  ServerUnderTest server;
  auto pending = get_async(server.port(), "/api/v1/diag/sleep?ms=1500");
  std::this_thread::sleep_for(300ms);
  server.process().signal(SIGTERM);
  const auto signalled = Clock::now();

  // Stop accepting: a new connection is refused while the old request is still running.
  std::this_thread::sleep_for(300ms);
  CHECK(connect_refused(server.port()));

  REQUIRE(pending.wait_for(10s) == std::future_status::ready);
  HttpResponse r;
  REQUIRE_NOTHROW(r = pending.get());
  INFO(r.summary());
  CHECK(r.status == 200);
  CHECK(r.json() == nlohmann::json{{"slept_ms", 1500}});

  const auto code = server.process().wait_for_exit(5s);
  INFO(server.server_stderr());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(std::chrono::duration<double>(Clock::now() - signalled).count() < 5.0);
  CHECK(connect_refused(server.port()));
}

TEST_CASE("SIGINT shuts down like SIGTERM", "[e2e]") {
  ServerUnderTest server;
  CHECK(server.client().get("/healthz").status == 200);
  server.process().signal(SIGINT);
  const auto code = server.process().wait_for_exit(5s);
  INFO(server.server_stderr());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(connect_refused(server.port()));
}

TEST_CASE("shutdown does not wait longer than server.shutdown_grace_ms", "[e2e]") {
  ServerOptions options;
  options.extra = {{"server", {{"shutdown_grace_ms", 500}}}};
  ServerUnderTest server(options);
  auto pending = get_async(server.port(), "/api/v1/diag/sleep?ms=20000");
  std::this_thread::sleep_for(300ms);
  const auto signalled = Clock::now();
  server.process().signal(SIGTERM);

  const auto code = server.process().wait_for_exit(8s);
  const double took = std::chrono::duration<double>(Clock::now() - signalled).count();
  INFO(server.server_stderr());
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(took < 3.0);
  // The request that could not finish does not get a success.
  REQUIRE(pending.wait_for(5s) == std::future_status::ready);
  bool got_200 = false;
  try {
    got_200 = pending.get().status == 200;
  } catch (const HttpError&) {
    // closed without an answer: expected
  }
  CHECK_FALSE(got_200);
}

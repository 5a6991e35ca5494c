// Slow and idle clients: each phase of a connection has a deadline, and a client that stalls is
// dropped without holding up anyone else.
#include <catch2/catch.hpp>
#include <thread>

#include "support/e2e_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

ServerOptions short_timeouts() {
  ServerOptions options;
  options.extra = {
      {"server", {{"header_timeout_ms", 500}, {"body_timeout_ms", 500}, {"idle_timeout_ms", 500}}}};
  return options;
}

}  // namespace

TEST_CASE("a client that does not finish its headers is disconnected while others are served",
          "[e2e]") {
  ServerUnderTest server(short_timeouts());

  std::vector<HttpClient> slow;
  for (int i = 0; i < 10; ++i) {
    slow.push_back(server.client());
    slow.back().connect();
    REQUIRE(slow.back().send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  }
  const auto sent = Clock::now();

  // Meanwhile another client is served at once.
  auto other = server.client();
  const auto t = Clock::now();
  auto r = other.get("/healthz");
  CHECK(r.status == 200);
  CHECK(seconds_since(t) < 0.4);

  for (auto& c : slow) {
    CHECK(c.wait_for_close(3s));
    INFO("received before close: " << c.received());
  }
  const double elapsed = seconds_since(sent);
  CHECK(elapsed >= 0.4);  // the timeout, not an instant refusal
  CHECK(elapsed < 3.5);

  CHECK(server.client().get("/healthz").status == 200);
}

TEST_CASE("the header deadline covers the whole header, not each byte", "[e2e]") {
  ServerUnderTest server(short_timeouts());
  auto client = server.client();
  client.connect();
  REQUIRE(client.send_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Trickle: "));
  const auto start = Clock::now();
  bool closed = false;
  // One byte every 100 ms: never idle for the timeout, yet never finishing.
  while (!closed && seconds_since(start) < 4) {
    if (!client.send_raw("a")) {
      closed = true;
      break;
    }
    closed = client.wait_for_close(100ms);
  }
  CHECK(closed);
  CHECK(seconds_since(start) < 3.0);
}

TEST_CASE("a client that stalls in the middle of its body is disconnected", "[e2e]") {
  ServerUnderTest server(short_timeouts());
  auto client = server.client();
  client.connect();
  REQUIRE(client.send_raw(
      "POST /api/v1/diag/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Content-Length: 100\r\n\r\n{\"a\":"));
  const auto start = Clock::now();
  CHECK(client.wait_for_close(3s));
  CHECK(seconds_since(start) >= 0.4);
  INFO("received before close: " << client.received());
  // A response, if any, is an error: the half body was never handled as a request.
  CHECK(client.received().find("HTTP/1.1 200") == std::string::npos);
}

TEST_CASE("an idle keep-alive connection is closed after server.idle_timeout_ms", "[e2e]") {
  ServerUnderTest server(short_timeouts());
  auto client = server.client();
  REQUIRE(client.get("/healthz").status == 200);
  REQUIRE(client.connected());
  const auto start = Clock::now();
  CHECK(client.wait_for_close(3s));
  CHECK(seconds_since(start) >= 0.4);
  CHECK(client.received().empty());
}

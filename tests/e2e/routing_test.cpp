// Router behaviour as an API client sees it: 404 vs 405 with Allow, HEAD, the JSON error envelope,
// admin-only routes, and pipelined requests answered in order.
#include <catch2/catch.hpp>
#include <set>
#include <sstream>

#include "support/e2e_server.hpp"

using namespace carehub::test;

namespace {

std::set<std::string> allow_tokens(const std::string& allow) {
  std::set<std::string> out;
  std::istringstream in(allow);
  for (std::string tok; std::getline(in, tok, ',');) {
    tok.erase(0, tok.find_first_not_of(' '));
    tok.erase(tok.find_last_not_of(' ') + 1);
    out.insert(tok);
  }
  return out;
}

// Checks the error envelope {"error":{"code","message","request_id"}} and returns it.
nlohmann::json check_envelope(const HttpResponse& r, const std::string& code) {
  INFO(r.summary());
  CHECK(r.header("content-type").value_or("").find("application/json") == 0);
  const auto body = r.json();
  REQUIRE(body.contains("error"));
  const auto& e = body["error"];
  CHECK(e.value("code", "") == code);
  CHECK(!e.value("message", "").empty());
  CHECK(e.value("request_id", "") == r.header("x-request-id").value_or("(no header)"));
  return e;
}

}  // namespace

TEST_CASE("an unknown path is a 404 JSON envelope carrying the request id", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();

  auto r = client.get("/api/v1/does-not-exist", {{"X-Request-Id", "nf-1"}});
  CHECK(r.status == 404);
  const auto e = check_envelope(r, "not_found");
  CHECK(e.value("request_id", "") == "nf-1");

  auto generated = client.get("/nope");
  CHECK(generated.status == 404);
  check_envelope(generated, "not_found");
  CHECK(client.connections_opened() == 1);  // an error answer keeps the connection usable
}

TEST_CASE("a known path with another method is a 405 listing the allowed methods", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();

  auto r = client.request("DELETE", "/healthz");
  INFO(r.summary());
  CHECK(r.status == 405);
  check_envelope(r, "method_not_allowed");
  REQUIRE(r.header("allow").has_value());
  const auto allowed = allow_tokens(*r.header("allow"));
  CHECK(allowed.count("GET") == 1);
  CHECK(allowed.count("HEAD") == 1);
  CHECK(allowed.count("DELETE") == 0);

  auto post = client.request("POST", "/api/v1/diag/rows/5", {}, "{}");
  CHECK(post.status == 405);
  const auto row_methods = allow_tokens(post.header("allow").value_or(""));
  CHECK(row_methods.count("GET") == 1);
  CHECK(row_methods.count("PUT") == 1);
}

TEST_CASE("HEAD answers like GET without a body", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();
  auto get = client.get("/healthz");
  auto head = client.request("HEAD", "/healthz");
  INFO(head.summary());
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.header("content-type") == get.header("content-type"));
  // The connection stays in step: had the server sent body bytes after the HEAD response, the
  // next response would not parse.
  auto after = client.get("/healthz?probe=1");
  CHECK(after.status == 200);
  CHECK(after.json() == nlohmann::json{{"status", "ok"}});
  CHECK(client.connections_opened() == 1);

  CHECK(client.request("HEAD", "/no/such/path").status == 404);
  CHECK(client.get("/healthz").status == 200);
}

TEST_CASE("GET /api/v1/jobs/{id} without credentials is 401", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();
  auto r = client.get("/api/v1/jobs/1");
  CHECK(r.status == 401);
  check_envelope(r, "unauthorized");
  auto bearer = client.get("/api/v1/jobs/1", {{"Authorization", "Bearer not-a-real-token"}});
  CHECK(bearer.status == 401);
}

TEST_CASE("pipelined requests are answered in order", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();
  client.connect();
  std::string batch;
  // The slow one in the middle must not let the third overtake it.
  const std::vector<std::pair<std::string, std::string>> requests = {
      {"/healthz", "p1"}, {"/api/v1/diag/sleep?ms=300", "p2"}, {"/api/v1/health-check", "p3"}};
  for (const auto& [target, id] : requests) {
    batch += "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: " + id + "\r\n\r\n";
  }
  REQUIRE(client.send_raw(batch));
  for (const auto& [target, id] : requests) {
    auto r = client.read_response();
    INFO(target << ": " << r.summary());
    CHECK(r.status == 200);
    CHECK(r.header("x-request-id") == std::optional<std::string>(id));
    if (id == "p2") CHECK(r.json() == nlohmann::json{{"slept_ms", 300}});
    if (id == "p3") CHECK(r.body == "{}");
  }
  CHECK(client.connections_opened() == 1);
}

namespace {

std::string pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

}  // namespace

TEST_CASE("a streamed body of known size is sent whole with its Content-Length", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();
  const std::size_t n = 3 * 256 * 1024 + 17;  // several of the server's buffers
  auto r = client.get("/api/v1/diag/stream?bytes=" + std::to_string(n));
  INFO(r.summary().substr(0, 300));
  CHECK(r.status == 200);
  CHECK(r.header("content-length") == std::optional<std::string>(std::to_string(n)));
  CHECK(!r.header("transfer-encoding"));
  CHECK(r.body == pattern(n));
  // HEAD announces the length and sends nothing; the connection stays in step.
  auto head = client.request("HEAD", "/api/v1/diag/stream?bytes=100");
  CHECK(head.header("content-length") == std::optional<std::string>("100"));
  CHECK(head.body.empty());
  CHECK(client.get("/api/v1/diag/stream?bytes=0").body.empty());
  CHECK(client.get("/healthz").status == 200);
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("a streamed body of unknown size is chunked, or ends with the connection for HTTP/1.0",
          "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();
  const std::size_t n = 600 * 1024 + 5;
  auto r = client.get("/api/v1/diag/stream?sized=0&bytes=" + std::to_string(n));
  CHECK(r.status == 200);
  CHECK(r.header("transfer-encoding") == std::optional<std::string>("chunked"));
  CHECK(r.body == pattern(n));
  CHECK(client.get("/healthz").status == 200);
  CHECK(client.connections_opened() == 1);

  auto old = server.client();
  old.connect();
  REQUIRE(
      old.send_raw("GET /api/v1/diag/stream?sized=0&bytes=1000 HTTP/1.0\r\n"
                   "Connection: keep-alive\r\n\r\n"));
  REQUIRE(old.wait_for_close(std::chrono::seconds(5)));
  const std::string& raw = old.received();
  INFO(raw.substr(0, 300));
  CHECK(raw.find("Transfer-Encoding") == std::string::npos);
  CHECK(raw.find("Connection: close") != std::string::npos);
  CHECK(raw.substr(raw.find("\r\n\r\n") + 4) == pattern(1000));
}

TEST_CASE("a streamed body that fails midway ends the connection short, and the server goes on",
          "[e2e]") {
  ServerUnderTest server;
  for (const char* sized : {"1", "0"}) {
    INFO("sized=" << sized);
    auto client = server.client();
    client.connect();
    REQUIRE(client.send_raw(std::string("GET /api/v1/diag/stream?bytes=1000000&fail_at=300000&") +
                            "sized=" + sized + " HTTP/1.1\r\nHost: x\r\n\r\n"));
    REQUIRE(client.wait_for_close(std::chrono::seconds(5)));
    const std::string& raw = client.received();
    const auto body_at = raw.find("\r\n\r\n");
    REQUIRE(body_at != std::string::npos);
    CHECK(raw.compare(0, 15, "HTTP/1.1 200 OK") == 0);
    // Fewer bytes than announced, or a chunked body without its last chunk.
    CHECK(raw.size() - body_at - 4 < 1000000);
    CHECK(raw.find("\r\n0\r\n\r\n") == std::string::npos);
  }
  CHECK(server.client().get("/healthz").status == 200);
}

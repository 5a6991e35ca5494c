// What an operator scrapes and reads: /metrics in Prometheus text format and one JSON log line per
// request on stderr.
#include <catch2/catch.hpp>
#include <sstream>
#include <thread>
#include <vector>

#include "support/e2e_server.hpp"

using namespace carehub::test;

namespace {

struct Sample {
  std::string line;
  double value = 0;
};

// Samples of metric `name` (exact name, with or without labels) whose labels contain every one of
// `labels` (each written as it appears, e.g. route="/healthz").
std::vector<Sample> samples(const std::string& text, const std::string& name,
                            const std::vector<std::string>& labels = {}) {
  std::vector<Sample> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(name, 0) != 0 || line.size() <= name.size()) continue;
    if (line[name.size()] != '{' && line[name.size()] != ' ') continue;
    bool all = true;
    for (const auto& l : labels) all = all && line.find(l) != std::string::npos;
    if (!all) continue;
    const auto space = line.find_last_of(' ');
    out.push_back({line, std::stod(line.substr(space + 1))});
  }
  return out;
}

double sum(const std::vector<Sample>& s) {
  double total = 0;
  for (const auto& x : s) total += x.value;
  return total;
}

std::vector<nlohmann::json> json_lines(const std::string& text, std::vector<std::string>& bad) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      bad.push_back(line);
    } else {
      out.push_back(std::move(j));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("/metrics counts requests by route pattern in Prometheus text", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();
  CHECK(client.get("/healthz").status == 200);
  CHECK(client.get("/healthz").status == 200);
  CHECK(client.get("/api/v1/diag/rows/123456").status == 404);
  CHECK(client.get("/no/such/path-zq81").status == 404);
  CHECK(client.post_json("/api/v1/diag/jobs", {{"ms", 0}}).status == 202);

  auto r = client.get("/metrics");
  INFO(r.summary());
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").value_or("").rfind("text/plain", 0) == 0);
  const std::string& m = r.body;

  CHECK(sum(samples(m, "carehub_http_requests_total",
                    {"route=\"/healthz\"", "method=\"GET\"", "status=\"200\""})) >= 2);
  CHECK(!samples(m, "carehub_http_requests_total", {"route=\"/api/v1/diag/rows/{id}\""}).empty());
  // Labels are route patterns, never raw paths: a client cannot blow up the series count.
  CHECK(m.find("123456") == std::string::npos);
  CHECK(m.find("zq81") == std::string::npos);

  CHECK(samples(m, "carehub_http_requests_in_flight").size() == 1);
  CHECK(
      !samples(m, "carehub_http_request_duration_seconds_bucket", {"route=\"/healthz\""}).empty());
  CHECK(sum(samples(m, "carehub_http_request_duration_seconds_count", {"route=\"/healthz\""})) >=
        2);
  for (const char* state : {"in_use", "open", "max"}) {
    INFO("carehub_db_pool_connections state " << state);
    CHECK(samples(m, "carehub_db_pool_connections", {std::string("state=\"") + state + "\""})
              .size() == 1);
  }
  CHECK(!samples(m, "carehub_jobs", {"queue=\"diag\""}).empty());
}

TEST_CASE("every request is logged as one JSON line on stderr", "[e2e]") {
  ServerUnderTest server;
  auto client = server.client();
  CHECK(client.get("/api/v1/diag/rows/42", {{"X-Request-Id", "log-line-1"}}).status == 404);
  CHECK(
      client.post_json("/api/v1/diag/echo", {{"a", 1}}, {{"X-Request-Id", "log-line-2"}}).status ==
      200);

  std::vector<std::string> bad;
  std::vector<nlohmann::json> lines;
  auto find = [&](const std::string& id) -> const nlohmann::json* {
    for (const auto& j : lines) {
      if (j.value("event", "") == "request" && j.value("request_id", "") == id) return &j;
    }
    return nullptr;
  };
  eventually(
      [&] {
        bad.clear();
        lines = json_lines(server.server_stderr(), bad);
        return find("log-line-1") != nullptr && find("log-line-2") != nullptr;
      },
      std::chrono::seconds(3));
  INFO(server.server_stderr());
  CHECK(bad.empty());

  const nlohmann::json* get = find("log-line-1");
  REQUIRE(get != nullptr);
  CHECK(get->value("method", "") == "GET");
  CHECK(get->value("route", "") == "/api/v1/diag/rows/{id}");
  CHECK(get->value("status", 0) == 404);
  CHECK(get->contains("time"));
  CHECK(get->value("level", "") == "info");
  CHECK((*get)["duration_ms"].is_number());
  CHECK((*get)["bytes_in"].is_number());
  CHECK((*get)["bytes_out"].is_number());

  const nlohmann::json* post = find("log-line-2");
  REQUIRE(post != nullptr);
  CHECK(post->value("method", "") == "POST");
  CHECK(post->value("route", "") == "/api/v1/diag/echo");
  CHECK(post->value("status", 0) == 200);
  // At least the body (whether headers count too is the server's choice).
  CHECK(post->value("bytes_in", 0) >= static_cast<int>(nlohmann::json{{"a", 1}}.dump().size()));
  CHECK(post->value("bytes_out", 0) > 0);

  bool listening = false;
  for (const auto& j : lines) {
    if (j.value("event", "") == "listening") {
      listening = true;
      CHECK(j.value("port", 0) == server.port());
      CHECK(j.value("host", "") == "127.0.0.1");
    }
  }
  CHECK(listening);
}

TEST_CASE("log.level warn leaves out the per-request info lines", "[e2e]") {
  ServerOptions options;
  options.extra = {{"log", {{"level", "warn"}}}};
  ServerUnderTest server(options);
  auto client = server.client();
  CHECK(client.get("/healthz", {{"X-Request-Id", "quiet-1"}}).status == 200);
  CHECK(client.get("/metrics").status == 200);  // a later request: the first one's line is out
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  CHECK(server.server_stderr().find("quiet-1") == std::string::npos);
}

// Durable jobs through the real binary: enqueued over HTTP (diag module), run by serve's in-process
// workers or by `carehub worker`, observed in the database the way the jobs API reads it.
#include <signal.h>

#include <catch2/catch.hpp>

#include "support/e2e_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;
using carehub::JobInfo;
using carehub::JobState;

namespace {

std::int64_t enqueue(ServerUnderTest& server, const nlohmann::json& body) {
  auto r = server.client().post_json("/api/v1/diag/jobs", body);
  INFO(r.summary());
  REQUIRE(r.status == 202);
  const auto j = r.json();
  REQUIRE(j.contains("id"));
  REQUIRE(j["id"].is_number_integer());
  return j["id"].get<std::int64_t>();
}

bool finished(const JobInfo& j) {
  return j.state == JobState::kSucceeded || j.state == JobState::kDead ||
         j.state == JobState::kCancelled;
}

ServerOptions with_jobs(nlohmann::json jobs) {
  ServerOptions options;
  options.extra = {{"jobs", std::move(jobs)}};
  return options;
}

}  // namespace

TEST_CASE("serve runs an enqueued job to success", "[e2e]") {
  ServerUnderTest server(with_jobs({{"enabled", true}}));
  const auto id = enqueue(server, {{"ms", 200}});

  JobProbe probe(server.database_url());
  const auto job = probe.wait_until(id, finished, 10s);
  INFO(describe(job) << "\n" << server.server_stderr());
  REQUIRE(job.has_value());
  CHECK(job->state == JobState::kSucceeded);
  CHECK(job->result == nlohmann::json{{"slept_ms", 200}});
  CHECK(job->attempts == 1);
  CHECK(job->type == "diag.sleep");
  CHECK(job->queue == "diag");
}

TEST_CASE("enqueue with the same idempotency key returns the same job", "[e2e]") {
  ServerUnderTest server(with_jobs({{"enabled", true}}));
  const auto first = enqueue(server, {{"ms", 100}, {"idempotency_key", "visit-42"}});
  const auto second = enqueue(server, {{"ms", 100}, {"idempotency_key", "visit-42"}});
  const auto other = enqueue(server, {{"ms", 100}, {"idempotency_key", "visit-43"}});
  CHECK(first == second);
  CHECK(other != first);

  JobProbe probe(server.database_url());
  const auto job = probe.wait_until(first, finished, 10s);
  INFO(describe(job));
  REQUIRE(job.has_value());
  CHECK(job->state == JobState::kSucceeded);
  CHECK(job->attempts == 1);
}

TEST_CASE("a job whose worker is killed with SIGKILL is run again by another worker", "[e2e]") {
  ServerUnderTest server(with_jobs({{"enabled", false}, {"lease_ms", 1500}}));
  const auto id = enqueue(server, {{"ms", 4000}});

  JobProbe probe(server.database_url());
  auto first_worker = server.spawn({"worker"});
  const auto running = probe.wait_until(
      id, [](const JobInfo& j) { return j.state == JobState::kRunning; }, 10s);
  INFO("first worker: " << describe(running) << "\n" << first_worker->stderr_text());
  REQUIRE(running.has_value());
  REQUIRE(running->state == JobState::kRunning);
  CHECK(running->attempts == 1);

  first_worker->signal(SIGKILL);
  REQUIRE(first_worker->wait_for_exit(5s) == 128 + SIGKILL);

  auto second_worker = server.spawn({"worker"});
  const auto job = probe.wait_until(id, finished, 15s);
  INFO("second worker: " << describe(job) << "\n" << second_worker->stderr_text());
  REQUIRE(job.has_value());
  CHECK(job->state == JobState::kSucceeded);
  CHECK(job->attempts == 2);
  CHECK(job->result == nlohmann::json{{"slept_ms", 4000}});

  // A worker stops cleanly on SIGTERM.
  CHECK(second_worker->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("a live worker keeps its job: the lease is extended while it runs", "[e2e]") {
  ServerUnderTest server(with_jobs({{"enabled", false}, {"lease_ms", 1000}}));
  const auto id = enqueue(server, {{"ms", 3000}});
  auto a = server.spawn({"worker"});
  auto b = server.spawn({"worker"});

  JobProbe probe(server.database_url());
  const auto job = probe.wait_until(id, finished, 15s);
  INFO(describe(job) << "\nworker a:\n" << a->stderr_text() << "\nworker b:\n" << b->stderr_text());
  REQUIRE(job.has_value());
  CHECK(job->state == JobState::kSucceeded);
  CHECK(job->attempts == 1);
  CHECK(a->stop(SIGTERM, 10s) == 0);
  CHECK(b->stop(SIGTERM, 10s) == 0);
}

TEST_CASE("a failing job is retried with backoff and then succeeds", "[e2e]") {
  ServerUnderTest server(with_jobs({{"enabled", true}, {"backoff_base_ms", 100}}));
  const auto id = enqueue(server, {{"ms", 100}, {"fail_times", 1}});

  JobProbe probe(server.database_url());
  const auto job = probe.wait_until(id, finished, 10s);
  INFO(describe(job) << "\n" << server.server_stderr());
  REQUIRE(job.has_value());
  CHECK(job->state == JobState::kSucceeded);
  CHECK(job->attempts == 2);
  CHECK(job->result == nlohmann::json{{"slept_ms", 100}});
}

TEST_CASE("a job that keeps failing goes to dead letter after jobs.max_attempts", "[e2e]") {
  ServerUnderTest server(
      with_jobs({{"enabled", true}, {"backoff_base_ms", 100}, {"max_attempts", 2}}));
  const auto id = enqueue(server, {{"ms", 0}, {"fail_times", 5}});

  JobProbe probe(server.database_url());
  const auto job = probe.wait_until(id, finished, 10s);
  INFO(describe(job) << "\n" << server.server_stderr());
  REQUIRE(job.has_value());
  CHECK(job->state == JobState::kDead);
  CHECK(job->attempts == 2);
  CHECK(job->last_error.has_value());
  CHECK(!job->last_error.value_or("").empty());
}

TEST_CASE("a bad job request is refused", "[e2e]") {
  ServerUnderTest server(with_jobs({{"enabled", false}}));
  auto r = server.client().post_json("/api/v1/diag/jobs", {{"ms", "soon"}});
  INFO(r.summary());
  CHECK(r.status >= 400);
  CHECK(r.status < 500);
}

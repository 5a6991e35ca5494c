// JobRunner end to end on both backends: real threads, a real clock, real handlers.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "contract/jobs_support.hpp"

using namespace carehub;
using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

JobsConfig runner_config() {
  JobsConfig c = test_jobs_config();
  c.backoff_base_ms = 10;
  c.backoff_max_ms = 50;
  c.poll_interval_ms = 50;
  return c;
}

struct RunnerFixture {
  explicit RunnerFixture(Backend backend, JobsConfig config = runner_config())
      : database(backend), queue(database.db(), clock, std::move(config)) {
    migrate(database.db(), {});
  }

  bool finished(std::int64_t id) {
    auto job = queue.get(id);
    return job && (job->state == JobState::kSucceeded || job->state == JobState::kDead ||
                   job->state == JobState::kCancelled);
  }
  JobInfo wait_finished(std::int64_t id, std::chrono::milliseconds timeout = 15s) {
    eventually([&] { return finished(id); }, timeout);
    auto job = queue.get(id);
    REQUIRE(job);
    return *job;
  }

  TestDatabase database;
  SystemClock clock;
  JobQueue queue;
  JobRegistry registry;
};

}  // namespace

TEST_CASE("job registry: one handler per type", "[jobs]") {
  JobRegistry registry;
  registry.add("b", [](JobContext&) { return nlohmann::json(); });
  registry.add("a", [](JobContext&) { return nlohmann::json(); });
  CHECK_THROWS_AS(registry.add("a", [](JobContext&) { return nlohmann::json(); }),
                  std::invalid_argument);
  CHECK(registry.find("a") != nullptr);
  CHECK(registry.find("c") == nullptr);
  CHECK(registry.types() == std::vector<std::string>{"a", "b"});
}

TEST_CASE("job runner: runs jobs with their handlers to the end", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  RunnerFixture f(backend);
  std::atomic<int> flaky_calls{0};
  f.registry.add("echo", [](JobContext& ctx) {
    ctx.progress(50, "half way");
    return nlohmann::json{{"echo", ctx.payload().at("x")}, {"attempt", ctx.attempt()}};
  });
  f.registry.add("flaky", [&](JobContext&) {
    if (++flaky_calls <= 2)
      throw std::runtime_error("transient failure " + std::to_string(flaky_calls));
    return nlohmann::json{{"calls", flaky_calls.load()}};
  });
  f.registry.add("broken", [](JobContext&) -> nlohmann::json {
    throw PermanentJobError("payload is not a CSV");
  });

  JobRunner runner(f.queue, f.registry, "test-runner");
  runner.start();
  const auto echo = f.queue.enqueue(job_of("echo", {{"x", "hello"}}));
  const auto flaky = f.queue.enqueue(job_of("flaky"));
  const auto broken = f.queue.enqueue(job_of("broken"));
  const auto orphan = f.queue.enqueue(job_of("nobody.handles"));

  auto job = f.wait_finished(echo);
  CHECK(job.state == JobState::kSucceeded);
  CHECK(job.result == nlohmann::json{{"echo", "hello"}, {"attempt", 1}});
  CHECK(job.attempts == 1);
  CHECK(job.progress == 100);
  CHECK(job.finished_at_ms);

  job = f.wait_finished(flaky);
  CHECK(job.state == JobState::kSucceeded);
  CHECK(job.attempts == 3);
  CHECK(job.result == nlohmann::json{{"calls", 3}});

  job = f.wait_finished(broken);
  CHECK(job.state == JobState::kDead);
  CHECK(job.attempts == 1);
  CHECK(job.last_error == "payload is not a CSV");

  job = f.wait_finished(orphan);
  CHECK(job.state == JobState::kDead);
  CHECK(job.attempts == 1);
  CHECK(job.last_error == "no handler for job type nobody.handles");

  const auto started = std::chrono::steady_clock::now();
  runner.stop();
  CHECK(std::chrono::steady_clock::now() - started < 1s);
}

TEST_CASE("job runner: an idle worker wakes up on enqueue and stops promptly", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  auto config = runner_config();
  config.poll_interval_ms = 30000;  // only a wake-up can get the job run in time
  RunnerFixture f(backend, config);
  f.registry.add("quick", [](JobContext&) { return nlohmann::json{{"ok", true}}; });

  JobRunner runner(f.queue, f.registry, "sleepy");
  runner.start();
  std::this_thread::sleep_for(300ms);  // let every worker reach its wait
  const auto id = f.queue.enqueue(job_of("quick"));
  CHECK(eventually([&] { return f.finished(id); }, 5s));
  CHECK(f.queue.get(id)->state == JobState::kSucceeded);

  std::this_thread::sleep_for(100ms);
  const auto started = std::chrono::steady_clock::now();
  runner.stop();
  CHECK(std::chrono::steady_clock::now() - started < 1s);
}

TEST_CASE("job runner: cancelling a running job stops it", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  RunnerFixture f(backend);
  std::atomic<bool> started{false};
  f.registry.add("endless", [&](JobContext& ctx) {
    started = true;
    const auto give_up = std::chrono::steady_clock::now() + 10s;
    double step = 0;
    while (ctx.progress(step, "working") && std::chrono::steady_clock::now() < give_up) {
      step = std::min(step + 1, 99.0);
      std::this_thread::sleep_for(10ms);
    }
    return nlohmann::json{{"stopped_at", step}};
  });

  JobRunner runner(f.queue, f.registry, "w");
  runner.start();
  const auto id = f.queue.enqueue(job_of("endless"));
  REQUIRE(eventually([&] { return started.load(); }, 5s));
  CHECK(f.queue.cancel(id));
  auto job = f.wait_finished(id, 5s);
  CHECK(job.state == JobState::kCancelled);
  CHECK(job.attempts == 1);
  runner.stop();
}

TEST_CASE("job runner: a long handler keeps its lease", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  auto config = runner_config();
  config.lease_ms = 300;
  RunnerFixture f(backend, config);
  std::atomic<bool> started{false};
  std::atomic<bool> done{false};
  f.registry.add("long", [&](JobContext&) {
    started = true;
    std::this_thread::sleep_for(1200ms);  // four leases long, no progress calls
    done = true;
    return nlohmann::json{{"slept", true}};
  });

  JobRunner runner(f.queue, f.registry, "w");
  runner.start();
  const auto id = f.queue.enqueue(job_of("long"));
  REQUIRE(eventually([&] { return started.load(); }, 5s));
  int stolen = 0;
  while (!done) {
    if (f.queue.claim("intruder", {})) ++stolen;
    std::this_thread::sleep_for(50ms);
  }
  auto job = f.wait_finished(id);
  CHECK(stolen == 0);
  CHECK(job.state == JobState::kSucceeded);
  CHECK(job.attempts == 1);
  runner.stop();
}

TEST_CASE("job runner: stop lets a running handler finish", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  RunnerFixture f(backend);
  std::atomic<bool> started{false};
  f.registry.add("slow", [&](JobContext&) {
    started = true;
    std::this_thread::sleep_for(300ms);
    return nlohmann::json{{"finished", true}};
  });
  JobRunner runner(f.queue, f.registry, "w");
  runner.start();
  const auto id = f.queue.enqueue(job_of("slow"));
  REQUIRE(eventually([&] { return started.load(); }, 5s));
  runner.stop();
  auto job = f.queue.get(id);
  REQUIRE(job);
  CHECK(job->state == JobState::kSucceeded);
}

TEST_CASE("job runner: only the configured queues, and schedules run", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  auto config = runner_config();
  config.queues = {"mine"};
  RunnerFixture f(backend, config);
  f.registry.add("t", [](JobContext& ctx) { return nlohmann::json{{"queue", ctx.info().queue}}; });

  auto mine = job_of("t");
  mine.queue = "mine";
  auto theirs = job_of("t");
  theirs.queue = "theirs";
  f.queue.schedule("hourly", mine, 3600 * 1000);
  const auto other = f.queue.enqueue(theirs);

  JobRunner runner(f.queue, f.registry, "w");
  runner.start();
  CHECK(eventually([&] { return f.queue.counts()[{"mine", "succeeded"}] == 1; }, 10s));
  runner.stop();
  CHECK(f.queue.get(other)->state == JobState::kQueued);
  CHECK(count_rows(f.database.db(), "jobs") == 2);
}

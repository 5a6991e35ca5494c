// The job queue's producer-side contract, run on SQLite and on PostgreSQL: enqueue, idempotency,
// claim order, delays and concurrent claimers. Time is a ManualClock so nothing here sleeps.
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "contract/jobs_support.hpp"

using namespace carehub;
using namespace carehub::test;

TEST_CASE("jobs: enqueue then get returns the stored job", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  const auto id = f.queue.enqueue(job_of("mail.send", {{"to", "clinic"}, {"n", 3}}));
  auto job = f.queue.get(id);
  REQUIRE(job);
  CHECK(job->id == id);
  CHECK(job->type == "mail.send");
  CHECK(job->queue == "default");
  CHECK(job->state == JobState::kQueued);
  CHECK(job->payload == nlohmann::json{{"to", "clinic"}, {"n", 3}});
  CHECK(job->result.is_null());
  CHECK(job->attempts == 0);
  CHECK(job->max_attempts == 3);
  CHECK(job->run_at_ms == f.clock.now_ms());
  CHECK(job->created_at_ms == f.clock.now_ms());
  CHECK_FALSE(job->finished_at_ms);
  CHECK_FALSE(job->last_error);
  CHECK_FALSE(f.queue.get(id + 1000));

  const auto json = job->to_json();
  CHECK_FALSE(json.contains("payload"));
  CHECK(json["state"] == "queued");
  CHECK(json["created_at"] == "2026-11-22T10:48:28.123Z");
  CHECK(json["finished_at"].is_null());
  CHECK(json["last_error"].is_null());
  CHECK(json["result"].is_null());
  for (const char* key : {"id", "type", "queue", "state", "attempts", "max_attempts", "progress",
                          "progress_message", "last_error", "result", "cancel_requested", "run_at",
                          "created_at", "updated_at", "finished_at"}) {
    CHECK(json.contains(key));
  }
}

TEST_CASE("jobs: an idempotency key makes the second enqueue a no-op", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  auto spec = job_of("import.csv", {{"file", 1}});
  spec.idempotency_key = "upload-17";
  const auto first = f.queue.enqueue(spec);
  spec.payload = {{"file", 2}};
  spec.priority = -5;
  const auto second = f.queue.enqueue(spec);
  CHECK(first == second);
  CHECK(count_rows(f.db(), "jobs") == 1);
  CHECK(f.queue.get(first)->payload == nlohmann::json{{"file", 1}});

  spec.idempotency_key = "upload-18";
  CHECK(f.queue.enqueue(spec) != first);
  spec.idempotency_key.reset();
  const auto a = f.queue.enqueue(spec);
  const auto b = f.queue.enqueue(spec);
  CHECK(a != b);  // without a key every enqueue is a new job
  CHECK(count_rows(f.db(), "jobs") == 4);
}

TEST_CASE("jobs: enqueue inside a unit of work that rolls back leaves no job", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);
  CHECK_THROWS_AS(f.db().transact([&](Tx& tx) {
    f.queue.enqueue(tx, job_of("x"));
    throw std::runtime_error("caller aborts");
  }),
                  std::runtime_error);
  CHECK(count_rows(f.db(), "jobs") == 0);
}

TEST_CASE("jobs: claim takes the lowest priority value first, then the oldest",
          "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  auto low = job_of("t");
  low.priority = 5;
  auto urgent = job_of("t");
  urgent.priority = -1;
  const auto id_low = f.queue.enqueue(low);
  const auto id_normal_1 = f.queue.enqueue(job_of("t"));
  f.clock.advance(1);
  const auto id_normal_2 = f.queue.enqueue(job_of("t"));
  const auto id_urgent = f.queue.enqueue(urgent);

  std::vector<std::int64_t> order;
  while (auto job = f.queue.claim("w1", {})) {
    CHECK(job->state == JobState::kRunning);
    CHECK(job->attempts == 1);
    order.push_back(job->id);
  }
  CHECK(order == std::vector<std::int64_t>{id_urgent, id_normal_1, id_normal_2, id_low});
}

TEST_CASE("jobs: claim only takes jobs from the queues asked for", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  auto mail = job_of("mail");
  mail.queue = "mail";
  auto match = job_of("match");
  match.queue = "empi";
  const auto id_mail = f.queue.enqueue(mail);
  const auto id_match = f.queue.enqueue(match);

  CHECK_FALSE(f.queue.claim("w", {"tracing"}));
  auto got = f.queue.claim("w", {"tracing", "empi"});
  REQUIRE(got);
  CHECK(got->id == id_match);
  got = f.queue.claim("w", {});
  REQUIRE(got);
  CHECK(got->id == id_mail);
}

TEST_CASE("jobs: a delayed job is not claimed before its time", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  auto spec = job_of("later");
  spec.delay_ms = 5000;
  const auto id = f.queue.enqueue(spec);
  CHECK_FALSE(f.queue.claim("w", {}));
  f.clock.advance(4999);
  CHECK_FALSE(f.queue.claim("w", {}));
  f.clock.advance(1);
  auto job = f.queue.claim("w", {});
  REQUIRE(job);
  CHECK(job->id == id);
}

TEST_CASE("jobs: concurrent claimers never get the same job", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);
  constexpr int kJobs = 50;
  constexpr int kWorkers = 4;
  std::set<std::int64_t> enqueued;
  for (int i = 0; i < kJobs; ++i) enqueued.insert(f.queue.enqueue(job_of("race", {{"i", i}})));

  std::mutex mutex;
  std::vector<std::int64_t> claimed;
  std::vector<std::string> errors;
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      const std::string worker = "racer-" + std::to_string(w);
      try {
        while (auto job = f.queue.claim(worker, {})) {
          std::lock_guard lock(mutex);
          claimed.push_back(job->id);
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        errors.push_back(e.what());
      }
    });
  }
  for (auto& t : workers) t.join();

  CHECK(errors.empty());
  CHECK(claimed.size() == kJobs);
  CHECK(std::set<std::int64_t>(claimed.begin(), claimed.end()) == enqueued);
  CHECK(f.queue.counts()[{"default", "running"}] == kJobs);
}

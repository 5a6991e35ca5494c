// Recurring jobs on both backends: each due run is enqueued once, whoever gets there first.
#include <catch2/catch.hpp>
#include <thread>

#include "contract/jobs_support.hpp"

using namespace carehub;
using namespace carehub::test;

namespace {

std::vector<JobInfo> all_jobs(JobQueue& queue, std::int64_t max_id = 200) {
  std::vector<JobInfo> out;
  for (std::int64_t id = 1; id <= max_id; ++id) {
    if (auto job = queue.get(id)) out.push_back(*job);
  }
  return out;
}

}  // namespace

TEST_CASE("jobs: a schedule enqueues each due run exactly once", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  auto spec = job_of("report.nightly", {{"kind", "summary"}});
  spec.queue = "reports";
  f.queue.schedule("nightly", spec, 60000);
  CHECK(f.queue.enqueue_due_schedules() == 1);  // the first run is due at once
  CHECK(f.queue.enqueue_due_schedules() == 0);
  f.clock.advance(59999);
  CHECK(f.queue.enqueue_due_schedules() == 0);
  f.clock.advance(1);
  CHECK(f.queue.enqueue_due_schedules() == 1);
  CHECK(f.queue.enqueue_due_schedules() == 0);

  auto jobs = all_jobs(f.queue);
  REQUIRE(jobs.size() == 2);
  for (const auto& job : jobs) {
    CHECK(job.type == "report.nightly");
    CHECK(job.queue == "reports");
    CHECK(job.payload == nlohmann::json{{"kind", "summary"}});
    CHECK(job.state == JobState::kQueued);
  }

  // After downtime the missed runs are not replayed one by one.
  f.clock.advance(10 * 60000 + 5);
  CHECK(f.queue.enqueue_due_schedules() == 1);
  CHECK(f.queue.enqueue_due_schedules() == 0);
  f.clock.advance(60000);
  CHECK(f.queue.enqueue_due_schedules() == 1);
  CHECK(count_rows(f.db(), "jobs") == 4);
}

TEST_CASE("jobs: re-declaring a schedule updates it and keeps its next run", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  f.queue.schedule("sync", job_of("sync", {{"v", 1}}), 60000);
  CHECK(f.queue.enqueue_due_schedules() == 1);
  f.clock.advance(30000);
  f.queue.schedule("sync", job_of("sync", {{"v", 2}}), 60000);  // as on a restart
  CHECK(f.queue.enqueue_due_schedules() == 0);
  CHECK(count_rows(f.db(), "job_schedules") == 1);
  f.clock.advance(30000);
  CHECK(f.queue.enqueue_due_schedules() == 1);

  auto jobs = all_jobs(f.queue);
  REQUIRE(jobs.size() == 2);
  CHECK(jobs[0].payload == nlohmann::json{{"v", 1}});
  CHECK(jobs[1].payload == nlohmann::json{{"v", 2}});
  CHECK_THROWS_AS(f.queue.schedule("bad", job_of("x"), 0), std::invalid_argument);
}

TEST_CASE("jobs: two processes racing on due schedules enqueue each run once", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);
  // A second Database on the same storage stands in for a second process (its own connections).
  auto other_db = open_database(f.database.config());
  JobQueue other(*other_db, f.clock, test_jobs_config());

  constexpr int kSchedules = 5;
  constexpr int kRounds = 4;
  for (int i = 0; i < kSchedules; ++i) {
    f.queue.schedule("s" + std::to_string(i), job_of("tick", {{"i", i}}), 1000);
  }
  for (int round = 0; round < kRounds; ++round) {
    int a = 0;
    int b = 0;
    std::string error;
    std::thread t([&] {
      try {
        b = other.enqueue_due_schedules();
      } catch (const std::exception& e) {
        error = e.what();
      }
    });
    a = f.queue.enqueue_due_schedules();
    t.join();
    INFO("round " << round << ": " << a << " + " << b);
    CHECK(error.empty());
    CHECK(a + b == kSchedules);
    f.clock.advance(1000);
  }
  CHECK(count_rows(f.db(), "jobs") == kSchedules * kRounds);
}

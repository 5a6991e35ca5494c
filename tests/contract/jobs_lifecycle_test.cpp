// The job queue's worker-side contract, run on SQLite and on PostgreSQL: retry with backoff, dead
// letter, leases, cancel, progress, counts. Time is a ManualClock so nothing here sleeps.
#include <catch2/catch.hpp>

#include "contract/jobs_support.hpp"

using namespace carehub;
using namespace carehub::test;

TEST_CASE("jobs: a failed job is retried after its backoff", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  const auto id = f.queue.enqueue(job_of("flaky"));
  auto job = f.queue.claim("w", {});
  REQUIRE(job);
  f.queue.fail(id, "w", "upstream timed out", false);

  auto after = f.queue.get(id);
  REQUIRE(after);
  CHECK(after->state == JobState::kQueued);
  CHECK(after->attempts == 1);
  CHECK(after->last_error == "upstream timed out");
  const auto delay = after->run_at_ms - f.clock.now_ms();
  CHECK(delay >= 100);  // backoff_base_ms, plus at most 10% jitter
  CHECK(delay <= 110);

  CHECK_FALSE(f.queue.claim("w", {}));
  f.clock.advance(delay);
  job = f.queue.claim("w2", {});
  REQUIRE(job);
  CHECK(job->id == id);
  CHECK(job->attempts == 2);
  f.queue.fail(id, "w2", "again", false);
  const auto second_delay = f.queue.get(id)->run_at_ms - f.clock.now_ms();
  CHECK(second_delay >= 200);  // doubled
  CHECK(second_delay <= 220);
}

TEST_CASE("jobs: backoff doubles up to its cap", "[contract][jobs]") {
  JobsFixture f(Backend::kSqlite);
  for (auto [attempts, base] : std::vector<std::pair<int, std::int64_t>>{
           {1, 100}, {2, 200}, {3, 400}, {4, 800}, {5, 1000}, {40, 1000}, {1000, 1000}}) {
    INFO("attempts " << attempts);
    const auto b = f.queue.backoff_ms(attempts);
    CHECK(b >= base);
    CHECK(b <= base + base / 10);
  }
}

TEST_CASE("jobs: dead letter after max_attempts, a permanent failure at once", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  SECTION("attempts used up") {
    auto spec = job_of("doomed");
    spec.max_attempts = 2;
    const auto id = f.queue.enqueue(spec);
    REQUIRE(f.queue.claim("w", {}));
    f.queue.fail(id, "w", "first", false);
    f.clock.advance(1000);
    REQUIRE(f.queue.claim("w", {}));
    f.queue.fail(id, "w", "second", false);
    auto job = f.queue.get(id);
    CHECK(job->state == JobState::kDead);
    CHECK(job->attempts == 2);
    CHECK(job->last_error == "second");
    CHECK(job->finished_at_ms == f.clock.now_ms());
    f.clock.advance(100000);
    CHECK_FALSE(f.queue.claim("w", {}));
  }
  SECTION("permanent") {
    const auto id = f.queue.enqueue(job_of("bad-input"));
    REQUIRE(f.queue.claim("w", {}));
    f.queue.fail(id, "w", "payload names no patient", true);
    auto job = f.queue.get(id);
    CHECK(job->state == JobState::kDead);
    CHECK(job->attempts == 1);
    CHECK(job->last_error == "payload names no patient");
  }
}

TEST_CASE("jobs: an expired lease is reclaimed and the old worker can no longer finish it",
          "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  const auto id = f.queue.enqueue(job_of("slow"));
  REQUIRE(f.queue.claim("old", {}));
  f.clock.advance(999);
  CHECK_FALSE(f.queue.claim("new", {}));  // lease still held
  f.clock.advance(2);

  auto job = f.queue.claim("new", {});
  REQUIRE(job);
  CHECK(job->id == id);
  CHECK(job->attempts == 2);

  CHECK_FALSE(f.queue.heartbeat(id, "old", 50, "still here"));
  CHECK_FALSE(f.queue.extend_lease(id, "old"));
  f.queue.succeed(id, "old", {{"from", "old"}});
  f.queue.fail(id, "old", "old worker gave up", true);
  CHECK(f.queue.get(id)->state == JobState::kRunning);
  CHECK_FALSE(f.queue.get(id)->last_error);

  f.queue.succeed(id, "new", {{"from", "new"}});
  job = f.queue.get(id);
  CHECK(job->state == JobState::kSucceeded);
  CHECK(job->result == nlohmann::json{{"from", "new"}});
  CHECK(job->progress == 100);
}

TEST_CASE("jobs: heartbeats keep the lease", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  const auto id = f.queue.enqueue(job_of("long"));
  REQUIRE(f.queue.claim("w", {}));
  f.clock.advance(800);
  CHECK(f.queue.heartbeat(id, "w", 10, "step 1"));
  f.clock.advance(800);
  CHECK(f.queue.extend_lease(id, "w"));
  f.clock.advance(800);
  CHECK_FALSE(f.queue.claim("other", {}));
  f.clock.advance(201);
  CHECK(f.queue.claim("other", {}));
}

TEST_CASE("jobs: a job whose lease expires on its last attempt goes to dead letter",
          "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  auto spec = job_of("crashes-worker");
  spec.max_attempts = 1;
  const auto id = f.queue.enqueue(spec);
  const auto other = f.queue.enqueue(job_of("fine"));
  REQUIRE(f.queue.claim("w", {})->id == id);
  f.clock.advance(1001);
  auto next = f.queue.claim("w2", {});
  REQUIRE(next);
  CHECK(next->id == other);
  auto job = f.queue.get(id);
  CHECK(job->state == JobState::kDead);
  CHECK(job->last_error == "lease expired after 1 attempts");
  CHECK(job->finished_at_ms);
}

TEST_CASE("jobs: cancel", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  SECTION("a queued job is cancelled at once") {
    const auto id = f.queue.enqueue(job_of("t"));
    CHECK(f.queue.cancel(id));
    auto job = f.queue.get(id);
    CHECK(job->state == JobState::kCancelled);
    CHECK(job->finished_at_ms);
    CHECK_FALSE(f.queue.claim("w", {}));
    CHECK_FALSE(f.queue.cancel(id));  // already finished
    CHECK_FALSE(f.queue.cancel(id + 100));
  }
  SECTION("a running job sees the request and ends cancelled when its handler returns") {
    const auto id = f.queue.enqueue(job_of("t"));
    auto claimed = f.queue.claim("w", {});
    REQUIRE(claimed);
    JobContext context(f.queue, *claimed, "w");
    CHECK(context.progress(10, "working"));
    CHECK_FALSE(context.cancelled());

    CHECK(f.queue.cancel(id));
    CHECK(f.queue.get(id)->state == JobState::kRunning);
    CHECK(f.queue.get(id)->cancel_requested);
    CHECK(context.cancelled());
    CHECK_FALSE(context.progress(20, "working"));

    f.queue.succeed(id, "w", {{"done", true}});
    auto job = f.queue.get(id);
    CHECK(job->state == JobState::kCancelled);
    CHECK(job->result.is_null());
  }
  SECTION("a running job whose handler throws after the request ends cancelled") {
    const auto id = f.queue.enqueue(job_of("t"));
    REQUIRE(f.queue.claim("w", {}));
    CHECK(f.queue.cancel(id));
    f.queue.fail(id, "w", "interrupted", false);
    CHECK(f.queue.get(id)->state == JobState::kCancelled);
  }
  SECTION("a cancelled job whose worker died is not run again") {
    const auto id = f.queue.enqueue(job_of("t"));
    REQUIRE(f.queue.claim("w", {}));
    CHECK(f.queue.cancel(id));
    f.clock.advance(5000);
    CHECK_FALSE(f.queue.claim("w2", {}));
    CHECK(f.queue.get(id)->state == JobState::kCancelled);
  }
}

TEST_CASE("jobs: progress is stored and a lost lease is reported", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  const auto id = f.queue.enqueue(job_of("import"));
  auto claimed = f.queue.claim("w", {});
  REQUIRE(claimed);
  JobContext context(f.queue, *claimed, "w");
  CHECK(context.attempt() == 1);
  CHECK(context.progress(42.5, "row 425 of 1000"));
  auto job = f.queue.get(id);
  CHECK(job->progress == Approx(42.5));
  CHECK(job->progress_message == "row 425 of 1000");
  CHECK(job->to_json()["progress"] == 42.5);

  f.clock.advance(1001);
  REQUIRE(f.queue.claim("thief", {}));
  CHECK_FALSE(context.progress(50, "row 500"));
  CHECK(f.queue.get(id)->progress_message == "row 425 of 1000");
}

TEST_CASE("jobs: counts by queue and state", "[contract][jobs]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);

  auto mail = job_of("mail");
  mail.queue = "mail";
  f.queue.enqueue(mail);
  f.queue.enqueue(mail);
  const auto a = f.queue.enqueue(job_of("a"));
  f.queue.enqueue(job_of("b"));
  CHECK(f.queue.cancel(a));
  auto running = f.queue.claim("w", {"mail"});
  REQUIRE(running);

  const std::map<std::pair<std::string, std::string>, std::int64_t> expected = {
      {{"mail", "queued"}, 1},
      {{"mail", "running"}, 1},
      {{"default", "cancelled"}, 1},
      {{"default", "queued"}, 1},
  };
  CHECK(f.queue.counts() == expected);
}

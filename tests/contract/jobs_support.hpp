// Shared by the jobs and audit contract tests: a clock the test moves by hand, and a migrated
// fresh database with a job queue on it.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <thread>

#include "carehub/clock.hpp"
#include "carehub/config.hpp"
#include "carehub/jobs.hpp"
#include "carehub/migrations.hpp"
#include "support/test_database.hpp"

namespace carehub::test {

class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t start_ms = 1'795'344'508'123) : now_(start_ms) {}
  std::int64_t now_ms() const override { return now_.load(); }
  void advance(std::int64_t ms) { now_ += ms; }

 private:
  std::atomic<std::int64_t> now_;
};

// Small numbers keep the tests fast: backoff 100..110 ms for a first retry, capped at 1.1 s.
inline JobsConfig test_jobs_config() {
  JobsConfig c;
  c.enabled = true;
  c.concurrency = 2;
  c.queues = {};
  c.poll_interval_ms = 20;
  c.lease_ms = 1000;
  c.max_attempts = 3;
  c.backoff_base_ms = 100;
  c.backoff_max_ms = 1000;
  return c;
}

struct JobsFixture {
  explicit JobsFixture(Backend backend, JobsConfig config = test_jobs_config())
      : database(backend), queue(database.db(), clock, std::move(config)) {
    migrate(database.db(), {});
  }
  Database& db() { return database.db(); }

  TestDatabase database;
  ManualClock clock;
  JobQueue queue;
};

inline JobSpec job_of(std::string type, nlohmann::json payload = nlohmann::json::object()) {
  JobSpec spec;
  spec.type = std::move(type);
  spec.payload = std::move(payload);
  return spec;
}

inline std::int64_t count_rows(Database& db, const std::string& table) {
  return db.transact(
      [&](Tx& tx) { return tx.query_one("SELECT COUNT(*) FROM " + table)->integer(0); },
      TxMode::kRead);
}

// Polls until pred holds or the timeout passes; returns whether it held.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

}  // namespace carehub::test

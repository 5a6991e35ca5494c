// Durable jobs: a jobs table and a queue API. Enqueue (optionally idempotent), claim with a lease
// (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: the one writer), one handler per job type, retries
// with exponential backoff, dead letter after max_attempts, progress, cancel, recurring schedules.
// A job whose worker died is claimed again once its lease has expired.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "carehub/clock.hpp"
#include "carehub/config.hpp"
#include "carehub/db.hpp"

namespace carehub {

enum class JobState { kQueued, kRunning, kSucceeded, kDead, kCancelled };
std::string_view job_state_name(JobState state);
JobState parse_job_state(std::string_view name);

struct JobSpec {
  std::string type;
  std::string queue = "default";
  nlohmann::json payload = nlohmann::json::object();
  std::optional<std::string> idempotency_key;  // a second enqueue with the same key is a no-op
  int max_attempts = 0;                        // 0: jobs.max_attempts from config
  std::int64_t delay_ms = 0;                   // run no earlier than now + delay
  int priority = 0;                            // lower runs first
};

struct JobInfo {
  std::int64_t id = 0;
  std::string type;
  std::string queue;
  JobState state = JobState::kQueued;
  nlohmann::json payload;
  nlohmann::json result;  // null until succeeded
  int attempts = 0;
  int max_attempts = 0;
  double progress = 0;  // 0..100
  std::string progress_message;
  std::optional<std::string> last_error;
  bool cancel_requested = false;
  std::int64_t run_at_ms = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  std::optional<std::int64_t> finished_at_ms;

  nlohmann::json to_json() const;  // the shape GET /api/v1/jobs/{id} answers
};

// Thrown by a handler for a failure that retrying cannot fix: the job goes to dead letter at once.
class PermanentJobError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class JobQueue;

// What a running handler sees.
class JobContext {
 public:
  JobContext(JobQueue& queue, JobInfo info, std::string worker_id)
      : queue_(queue), info_(std::move(info)), worker_id_(std::move(worker_id)) {}
  const JobInfo& info() const { return info_; }
  const nlohmann::json& payload() const { return info_.payload; }
  int attempt() const { return info_.attempts; }
  // Records progress and extends the lease. Returns false when the job was cancelled or the lease
  // was lost: the handler should stop.
  bool progress(double percent, const std::string& message = {});
  bool cancelled();

 private:
  JobQueue& queue_;
  JobInfo info_;
  std::string worker_id_;
};

using JobHandler = std::function<nlohmann::json(JobContext&)>;

// A page of jobs for the administration screens, newest first.
struct JobFilter {
  std::optional<std::string> type;
  std::optional<JobState> state;
  int limit = 50;
  int offset = 0;
};
struct JobPage {
  std::vector<JobInfo> jobs;
  std::int64_t total = 0;  // matching jobs, all pages
};

class JobQueue {
 public:
  JobQueue(Database& db, const Clock& clock, JobsConfig config);

  // Returns the job id; with an idempotency key already used, the id of the existing job.
  std::int64_t enqueue(const JobSpec& spec);
  std::int64_t enqueue(Tx& tx, const JobSpec& spec);  // inside the caller's unit of work
  std::optional<JobInfo> get(std::int64_t id);
  // Queued: cancelled at once. Running: cancel is requested, the handler sees it. Returns false for
  // an unknown or already finished job.
  bool cancel(std::int64_t id);
  JobPage list(const JobFilter& filter);
  // A dead job runs again from its first attempt (its last error kept until then). Returns false
  // unless the job is dead.
  bool retry(std::int64_t id);
  // A recurring job: enqueued every interval_ms (first run now). Re-declaring updates it.
  void schedule(const std::string& name, const JobSpec& spec, std::int64_t interval_ms);
  // Enqueues the due runs of recurring jobs (each run once, whichever worker gets there first).
  int enqueue_due_schedules();
  // Counts by (queue, state), for metrics.
  std::map<std::pair<std::string, std::string>, std::int64_t> counts();

  // Worker side.
  std::optional<JobInfo> claim(const std::string& worker_id,
                               const std::vector<std::string>& queues);
  bool heartbeat(std::int64_t id, const std::string& worker_id, double progress,
                 const std::string& message);
  // Extends the lease without touching progress (the runner's keep-alive for long handlers).
  // False when worker_id no longer holds the job.
  bool extend_lease(std::int64_t id, const std::string& worker_id);
  void succeed(std::int64_t id, const std::string& worker_id, const nlohmann::json& result);
  // Retry with backoff, or dead letter when attempts are used up or permanent is true.
  void fail(std::int64_t id, const std::string& worker_id, const std::string& error,
            bool permanent);
  bool cancel_requested(std::int64_t id);

  // Wait for a wake-up (new job enqueued) or the timeout.
  std::unique_ptr<Subscription> subscribe();
  const JobsConfig& config() const { return config_; }
  Database& database() { return db_; }
  std::int64_t backoff_ms(int attempts) const;

 private:
  Database& db_;
  const Clock& clock_;
  JobsConfig config_;
};

class JobRegistry {
 public:
  void add(const std::string& type, JobHandler handler);  // one handler per type
  const JobHandler* find(const std::string& type) const;
  std::vector<std::string> types() const;

 private:
  std::map<std::string, JobHandler> handlers_;
};

// Runs jobs.concurrency worker threads that claim and run jobs until stop().
class JobRunner {
 public:
  JobRunner(JobQueue& queue, const JobRegistry& registry, std::string worker_id);
  ~JobRunner();
  void start();
  void stop();  // lets running handlers finish, then joins

 private:
  void loop(std::size_t index);
  void run_one(const JobInfo& job, const std::string& worker_id);
  void maybe_enqueue_schedules();

  JobQueue& queue_;
  const JobRegistry& registry_;
  std::string worker_id_;
  std::atomic<bool> stopping_{false};
  std::vector<std::unique_ptr<Subscription>> subs_;
  std::vector<std::thread> threads_;
  std::atomic<std::int64_t> next_schedule_check_ms_{0};  // steady clock
};

}  // namespace carehub

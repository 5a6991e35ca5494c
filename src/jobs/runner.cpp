// Worker threads: each claims a job, runs its handler with the lease kept alive, and records the
// outcome; when there is nothing to do it sleeps on the queue's wake-up channel. Exceptions from a
// handler end at this boundary and become the job's outcome; they never leave the thread.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "carehub/jobs.hpp"
#include "carehub/log.hpp"

namespace carehub {

namespace {

constexpr std::int64_t kScheduleCheckEveryMs = 1000;

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Extends a running job's lease every lease_ms/3 while its handler works, so a long job is not
// taken over by another worker; stops at destruction (when the handler has returned).
class LeaseKeeper {
 public:
  LeaseKeeper(JobQueue& queue, std::int64_t job_id, std::string worker_id)
      : queue_(queue),
        job_id_(job_id),
        worker_id_(std::move(worker_id)),
        every_(std::max(1, queue.config().lease_ms / 3)),
        thread_([this] { run(); }) {}
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;
  ~LeaseKeeper() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    done_changed_.notify_all();
    thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mutex_);
    while (!done_changed_.wait_for(lock, every_, [this] { return done_; })) {
      lock.unlock();
      bool held = true;
      try {
        held = queue_.extend_lease(job_id_, worker_id_);
      } catch (const std::exception& e) {
        // A database blip: the lease may still be long enough for the next try.
        log_warn("job.lease_extend_failed", {{"job_id", job_id_}, {"error", e.what()}});
      }
      if (!held) {
        log_warn("job.lease_lost", {{"job_id", job_id_}, {"worker", worker_id_}});
        return;
      }
      lock.lock();
    }
  }

  JobQueue& queue_;
  const std::int64_t job_id_;
  const std::string worker_id_;
  const std::chrono::milliseconds every_;
  std::mutex mutex_;
  std::condition_variable done_changed_;
  bool done_ = false;
  std::thread thread_;  // last: it starts running once everything above exists
};

}  // namespace

JobRunner::JobRunner(JobQueue& queue, const JobRegistry& registry, std::string worker_id)
    : queue_(queue), registry_(registry), worker_id_(std::move(worker_id)) {}

JobRunner::~JobRunner() {
  stop();
}

void JobRunner::start() {
  if (!threads_.empty()) return;
  stopping_ = false;
  const int count = std::max(1, queue_.config().concurrency);
  subs_.clear();
  for (int i = 0; i < count; ++i) subs_.push_back(queue_.subscribe());
  for (int i = 0; i < count; ++i) {
    threads_.emplace_back([this, i] { loop(static_cast<std::size_t>(i)); });
  }
  log_info("jobs.runner_started", {{"worker", worker_id_}, {"threads", count}});
}

void JobRunner::stop() {
  stopping_ = true;
  for (auto& sub : subs_) sub->wake();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  if (!threads_.empty()) log_info("jobs.runner_stopped", {{"worker", worker_id_}});
  threads_.clear();
  subs_.clear();
}

void JobRunner::maybe_enqueue_schedules() {
  const std::int64_t now = steady_ms();
  std::int64_t due = next_schedule_check_ms_.load();
  if (now < due) return;
  if (!next_schedule_check_ms_.compare_exchange_strong(due, now + kScheduleCheckEveryMs)) return;
  try {
    queue_.enqueue_due_schedules();
  } catch (const std::exception& e) {
    log_error("jobs.schedules_failed", {{"error", e.what()}});
  }
}

void JobRunner::loop(std::size_t index) {
  const std::string worker = worker_id_ + "/" + std::to_string(index);
  Subscription& wakeups = *subs_[index];
  const std::chrono::milliseconds poll(std::max(1, queue_.config().poll_interval_ms));
  while (!stopping_) {
    maybe_enqueue_schedules();
    std::optional<JobInfo> job;
    try {
      job = queue_.claim(worker, queue_.config().queues);
    } catch (const std::exception& e) {
      log_error("jobs.claim_failed", {{"worker", worker}, {"error", e.what()}});
      wakeups.wait(poll);  // back off; the database may be restarting
      continue;
    }
    if (!job) {
      wakeups.wait(poll);
      continue;
    }
    try {
      run_one(*job, worker);
    } catch (const std::exception& e) {
      // Recording the outcome failed; the lease runs out and the job is claimed again.
      log_error("job.finish_failed",
                {{"job_id", job->id}, {"type", job->type}, {"error", e.what()}});
    }
  }
}

void JobRunner::run_one(const JobInfo& job, const std::string& worker_id) {
  nlohmann::json fields = {{"job_id", job.id}, {"type", job.type}, {"attempt", job.attempts}};
  const JobHandler* handler = registry_.find(job.type);
  if (handler == nullptr) {
    log_error("job.no_handler", fields);
    queue_.fail(job.id, worker_id, "no handler for job type " + job.type, true);
    return;
  }
  log_info("job.started", fields);
  std::optional<nlohmann::json> result;
  std::string error;
  bool permanent = false;
  {
    LeaseKeeper keeper(queue_, job.id, worker_id);
    JobContext context(queue_, job, worker_id);
    try {
      result = (*handler)(context);
    } catch (const PermanentJobError& e) {
      error = e.what();
      permanent = true;
    } catch (const std::exception& e) {
      error = e.what();
    } catch (...) {
      error = "handler threw a non-standard exception";
    }
  }
  if (result) {
    queue_.succeed(job.id, worker_id, *result);
    log_info("job.finished", fields);
    return;
  }
  if (error.empty()) error = "handler failed";
  queue_.fail(job.id, worker_id, error, permanent);
  fields["error"] = error;
  fields["permanent"] = permanent;
  if (permanent) {
    log_error("job.failed", fields);
  } else {
    log_warn("job.failed", fields);
  }
}

}  // namespace carehub

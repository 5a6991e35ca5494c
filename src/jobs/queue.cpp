// The producer and status side of the job queue. The worker side (claim, lease, finish) is in
// worker.cpp, recurring schedules in schedules.cpp.
#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include "carehub/jobs.hpp"
#include "jobs/job_rows.hpp"

namespace carehub {

using jobs_detail::kJobColumns;

JobQueue::JobQueue(Database& db, const Clock& clock, JobsConfig config)
    : db_(db), clock_(clock), config_(std::move(config)) {
  if (config_.lease_ms <= 0) throw std::invalid_argument("jobs.lease_ms must be positive");
  if (config_.max_attempts <= 0) throw std::invalid_argument("jobs.max_attempts must be positive");
}

std::int64_t JobQueue::enqueue(const JobSpec& spec) {
  return db_.transact([&](Tx& tx) { return enqueue(tx, spec); });
}

std::int64_t JobQueue::enqueue(Tx& tx, const JobSpec& spec) {
  if (spec.type.empty()) throw std::invalid_argument("a job needs a type");
  if (spec.queue.empty()) throw std::invalid_argument("a job needs a queue");
  const std::int64_t now = clock_.now_ms();
  const int max_attempts = spec.max_attempts > 0 ? spec.max_attempts : config_.max_attempts;
  const Param key = spec.idempotency_key ? Param(*spec.idempotency_key) : Param(nullptr);
  // ON CONFLICT DO NOTHING: a concurrent enqueue with the same key waits for ours, then finds the
  // row; neither fails and the job is stored once.
  auto inserted = tx.query_one(
      "INSERT INTO jobs (type, queue, state, payload, priority, attempts, max_attempts, run_at_ms, "
      "progress, progress_message, cancel_requested, idempotency_key, created_at_ms, "
      "updated_at_ms) "
      "VALUES ($1, $2, 'queued', $3, $4, 0, $5, $6, 0, '', 0, $7, $8, $8) "
      "ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
      {spec.type, spec.queue, spec.payload.dump(), std::int64_t{spec.priority},
       std::int64_t{max_attempts}, now + std::max<std::int64_t>(spec.delay_ms, 0), key, now});
  if (inserted) {
    db_.notify(tx, jobs_detail::kJobsChannel);
    return inserted->integer(0);
  }
  auto existing = tx.query_one("SELECT id FROM jobs WHERE idempotency_key = $1", {key});
  if (!existing) throw DbError("job with idempotency key vanished during enqueue", true);
  return existing->integer(0);
}

std::optional<JobInfo> JobQueue::get(std::int64_t id) {
  static const std::string sql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id = $1";
  auto row = db_.transact([&](Tx& tx) { return tx.query_one(sql, {id}); }, TxMode::kRead);
  if (!row) return std::nullopt;
  return jobs_detail::job_from_row(*row);
}

bool JobQueue::cancel(std::int64_t id) {
  const std::int64_t now = clock_.now_ms();
  return db_.transact([&](Tx& tx) {
    if (tx.exec("UPDATE jobs SET state = 'cancelled', finished_at_ms = $2, updated_at_ms = $2 "
                "WHERE id = $1 AND state = 'queued'",
                {id, now}) > 0) {
      return true;
    }
    // A running handler sees the request through its context and the job ends cancelled when
    // the handler returns.
    return tx.exec(
               "UPDATE jobs SET cancel_requested = 1, updated_at_ms = $2 "
               "WHERE id = $1 AND state = 'running'",
               {id, now}) > 0;
  });
}

std::map<std::pair<std::string, std::string>, std::int64_t> JobQueue::counts() {
  auto rows = db_.transact(
      [](Tx& tx) {
        return tx.query("SELECT queue, state, COUNT(*) FROM jobs GROUP BY queue, state");
      },
      TxMode::kRead);
  std::map<std::pair<std::string, std::string>, std::int64_t> out;
  for (const auto& row : rows) out[{row.text(0), row.text(1)}] = row.integer(2);
  return out;
}

bool JobQueue::cancel_requested(std::int64_t id) {
  auto row = db_.transact(
      [&](Tx& tx) { return tx.query_one("SELECT cancel_requested FROM jobs WHERE id = $1", {id}); },
      TxMode::kRead);
  return row && row->integer(0) != 0;
}

std::unique_ptr<Subscription> JobQueue::subscribe() {
  return db_.subscribe(jobs_detail::kJobsChannel);
}

std::int64_t JobQueue::backoff_ms(int attempts) const {
  const double base = std::max(config_.backoff_base_ms, 0);
  const double cap = std::max(config_.backoff_max_ms, 0);
  const int exponent = std::clamp(attempts - 1, 0, 62);
  const double full = std::min(base * std::ldexp(1.0, exponent), cap);
  // Jitter spreads out the retries of jobs that failed together (a database blip).
  static thread_local std::mt19937_64 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.0, 0.1);
  return static_cast<std::int64_t>(full * (1.0 + jitter(rng)));
}

bool JobContext::progress(double percent, const std::string& message) {
  if (!queue_.heartbeat(info_.id, worker_id_, percent, message)) return false;
  return !queue_.cancel_requested(info_.id);
}

bool JobContext::cancelled() {
  return queue_.cancel_requested(info_.id);
}

}  // namespace carehub

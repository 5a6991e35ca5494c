// The worker side of the job queue: claim with a lease, keep it, finish. Every write a worker
// makes after claiming is guarded by locked_by, so a worker whose lease expired (and whose job
// another worker took over) can no longer change the job.
#include <string>

#include "carehub/jobs.hpp"
#include "carehub/log.hpp"
#include "jobs/job_rows.hpp"

namespace carehub {

using jobs_detail::kJobColumns;

namespace {

constexpr char kOwned[] = "id = $1 AND locked_by = $2 AND state = 'running'";

// The one dialect difference in claiming: PostgreSQL workers skip rows another worker is
// claiming right now; SQLite has one writer, so there is nothing to skip.
std::string claim_sql(Backend backend, std::size_t queue_count) {
  std::string filter;
  if (queue_count > 0) {
    filter = " AND queue IN (";
    for (std::size_t i = 0; i < queue_count; ++i) {
      if (i > 0) filter += ", ";
      filter.append("$").append(std::to_string(i + 4));
    }
    filter += ")";
  }
  const std::string claim =
      "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $2, "
      "lease_until_ms = $3, updated_at_ms = $1 WHERE id = ";
  if (backend == Backend::kPostgres) {
    return claim +
           "(SELECT id FROM jobs WHERE ((state = 'queued' AND run_at_ms <= $1) OR "
           "(state = 'running' AND lease_until_ms < $1))" +
           filter + " ORDER BY priority, run_at_ms, id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING " +
           kJobColumns;
  }
  // SQLite: the best queued job and the best expired lease, each found by walking an index in
  // the claim order (jobs_queued, jobs_lease) rather than sorting every queued job at each claim
  // (with 10,000 queued, that sort was most of a short job's cost), then the better of the two.
  return claim +
         "(SELECT id FROM ("
         "SELECT * FROM (SELECT id, priority, run_at_ms FROM jobs "
         "WHERE state = 'queued' AND run_at_ms <= $1" +
         filter +
         " ORDER BY priority, run_at_ms, id LIMIT 1) "
         "UNION ALL SELECT * FROM (SELECT id, priority, run_at_ms FROM jobs "
         "WHERE state = 'running' AND lease_until_ms < $1" +
         filter +
         " ORDER BY priority, run_at_ms, id LIMIT 1)) "
         "ORDER BY priority, run_at_ms, id LIMIT 1) RETURNING " +
         kJobColumns;
}

// Expired leases that must not run again: attempts used up (dead letter) or cancel requested.
void settle_expired_leases(Tx& tx, std::int64_t now) {
  tx.exec(
      "UPDATE jobs SET state = 'dead', "
      "last_error = 'lease expired after ' || attempts || ' attempts', "
      "locked_by = NULL, lease_until_ms = NULL, finished_at_ms = $1, updated_at_ms = $1 "
      "WHERE state = 'running' AND lease_until_ms < $1 AND cancel_requested = 0 "
      "AND attempts >= max_attempts",
      {now});
  tx.exec(
      "UPDATE jobs SET state = 'cancelled', locked_by = NULL, lease_until_ms = NULL, "
      "finished_at_ms = $1, updated_at_ms = $1 "
      "WHERE state = 'running' AND lease_until_ms < $1 AND cancel_requested = 1",
      {now});
}

}  // namespace

std::optional<JobInfo> JobQueue::claim(const std::string& worker_id,
                                       const std::vector<std::string>& queues) {
  const std::int64_t now = clock_.now_ms();
  Params params{now, worker_id, now + config_.lease_ms};
  for (const auto& q : queues) params.emplace_back(q);
  const std::string sql = claim_sql(db_.backend(), queues.size());
  auto row = db_.transact([&](Tx& tx) {
    settle_expired_leases(tx, now);
    return tx.query_one(sql, params);
  });
  if (!row) return std::nullopt;
  return jobs_detail::job_from_row(*row);
}

bool JobQueue::heartbeat(std::int64_t id, const std::string& worker_id, double progress,
                         const std::string& message) {
  const std::int64_t now = clock_.now_ms();
  return db_.transact([&](Tx& tx) {
    return tx.exec(std::string("UPDATE jobs SET progress = $3, progress_message = $4, "
                               "lease_until_ms = $5, updated_at_ms = $6 WHERE ") +
                       kOwned,
                   {id, worker_id, progress, message, now + config_.lease_ms, now}) > 0;
  });
}

bool JobQueue::extend_lease(std::int64_t id, const std::string& worker_id) {
  const std::int64_t now = clock_.now_ms();
  return db_.transact([&](Tx& tx) {
    return tx.exec(std::string("UPDATE jobs SET lease_until_ms = $3, updated_at_ms = $4 WHERE ") +
                       kOwned,
                   {id, worker_id, now + config_.lease_ms, now}) > 0;
  });
}

void JobQueue::succeed(std::int64_t id, const std::string& worker_id,
                       const nlohmann::json& result) {
  const std::int64_t now = clock_.now_ms();
  const std::int64_t changed = db_.transact([&](Tx& tx) {
    return tx.exec(
        std::string("UPDATE jobs SET "
                    "state = CASE WHEN cancel_requested = 1 THEN 'cancelled' ELSE 'succeeded' END, "
                    "result = CASE WHEN cancel_requested = 1 THEN NULL ELSE $3 END, "
                    "progress = CASE WHEN cancel_requested = 1 THEN progress ELSE 100 END, "
                    "locked_by = NULL, lease_until_ms = NULL, finished_at_ms = $4, "
                    "updated_at_ms = $4 WHERE ") +
            kOwned,
        {id, worker_id, result.dump(), now});
  });
  if (changed == 0)
    log_warn("job.lease_lost", {{"job_id", id}, {"worker", worker_id}, {"on", "succeed"}});
}

void JobQueue::fail(std::int64_t id, const std::string& worker_id, const std::string& error,
                    bool permanent) {
  const std::int64_t now = clock_.now_ms();
  const std::int64_t changed = db_.transact([&](Tx& tx) -> std::int64_t {
    auto row = tx.query_one(
        std::string("SELECT attempts, max_attempts, cancel_requested FROM jobs WHERE ") + kOwned,
        {id, worker_id});
    if (!row) return 0;
    const auto attempts = row->integer(0);
    const bool cancel = row->integer(2) != 0;
    const bool dead = permanent || attempts >= row->integer(1);
    if (cancel || dead) {
      // The owner guard stays in the UPDATE: between the SELECT and here (PostgreSQL, READ
      // COMMITTED) the lease may have expired and another worker taken the job.
      return tx.exec(std::string("UPDATE jobs SET state = $3, last_error = $4, locked_by = NULL, "
                                 "lease_until_ms = NULL, finished_at_ms = $5, updated_at_ms = $5 "
                                 "WHERE ") +
                         kOwned,
                     {id, worker_id, std::string(cancel ? "cancelled" : "dead"), error, now});
    }
    const int attempts_int = static_cast<int>(attempts);
    return tx.exec(
        std::string("UPDATE jobs SET state = 'queued', last_error = $3, run_at_ms = $4, "
                    "locked_by = NULL, lease_until_ms = NULL, updated_at_ms = $5 WHERE ") +
            kOwned,
        {id, worker_id, error, now + backoff_ms(attempts_int), now});
  });
  if (changed == 0)
    log_warn("job.lease_lost", {{"job_id", id}, {"worker", worker_id}, {"on", "fail"}});
}

}  // namespace carehub

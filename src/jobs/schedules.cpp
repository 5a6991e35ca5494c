// Recurring jobs. Each due run is enqueued by whichever caller first advances the schedule's
// next_run_at_ms (a compare-and-set on the old value), and the run's idempotency key makes a
// second enqueue of the same run a no-op even if two callers both got that far.
#include <stdexcept>
#include <string>

#include "carehub/jobs.hpp"
#include "carehub/json.hpp"
#include "carehub/log.hpp"

namespace carehub {

namespace {

// After downtime the missed runs are not replayed one by one: the next run is the first interval
// boundary after now.
std::int64_t next_run_after(std::int64_t due, std::int64_t interval, std::int64_t now) {
  return due + interval * ((now - due) / interval + 1);
}

}  // namespace

void JobQueue::schedule(const std::string& name, const JobSpec& spec, std::int64_t interval_ms) {
  if (name.empty()) throw std::invalid_argument("a schedule needs a name");
  if (spec.type.empty()) throw std::invalid_argument("a scheduled job needs a type");
  if (interval_ms <= 0) throw std::invalid_argument("schedule interval must be positive");
  const std::int64_t now = clock_.now_ms();
  db_.transact([&](Tx& tx) {
    // Re-declaring (every start) updates what runs but keeps when it next runs.
    tx.exec(
        "INSERT INTO job_schedules (name, type, queue, payload, interval_ms, next_run_at_ms, "
        "priority, max_attempts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
        "ON CONFLICT (name) DO UPDATE SET type = excluded.type, queue = excluded.queue, "
        "payload = excluded.payload, interval_ms = excluded.interval_ms, "
        "priority = excluded.priority, max_attempts = excluded.max_attempts",
        {name, spec.type, spec.queue, spec.payload.dump(), interval_ms, now,
         std::int64_t{spec.priority}, std::int64_t{spec.max_attempts}});
  });
}

int JobQueue::enqueue_due_schedules() {
  const std::int64_t now = clock_.now_ms();
  auto due = db_.transact(
      [&](Tx& tx) {
        return tx.query(
            "SELECT name, type, queue, payload, interval_ms, next_run_at_ms, priority, "
            "max_attempts "
            "FROM job_schedules WHERE next_run_at_ms <= $1 ORDER BY next_run_at_ms, name",
            {now});
      },
      TxMode::kRead);
  int enqueued = 0;
  for (const auto& row : due) {
    const std::string name = row.text(0);
    const std::int64_t interval = row.integer(4);
    const std::int64_t old_next = row.integer(5);
    JobSpec spec;
    spec.type = row.text(1);
    spec.queue = row.text(2);
    spec.payload = parse_stored_json(row.text(3), "schedule payload");
    spec.priority = static_cast<int>(row.integer(6));
    spec.max_attempts = static_cast<int>(row.integer(7));
    spec.idempotency_key = "schedule:" + name + ":" + std::to_string(old_next);
    const bool won = db_.transact([&](Tx& tx) {
      if (tx.exec("UPDATE job_schedules SET next_run_at_ms = $3 WHERE name = $1 AND next_run_at_ms "
                  "= $2",
                  {name, old_next, next_run_after(old_next, interval, now)}) == 0) {
        return false;  // another caller advanced it first
      }
      enqueue(tx, spec);
      return true;
    });
    if (won) {
      ++enqueued;
      log_info("job.scheduled", {{"schedule", name}, {"type", spec.type}});
    }
  }
  return enqueued;
}

}  // namespace carehub

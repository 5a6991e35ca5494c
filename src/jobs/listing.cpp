// Listing jobs and retrying dead ones: the administration screens' view of the queue.
#include <algorithm>

#include "carehub/jobs.hpp"
#include "carehub/sql_filter.hpp"
#include "jobs/job_rows.hpp"

namespace carehub {
namespace {
constexpr int kMaxPageSize = 200;
}  // namespace

JobPage JobQueue::list(const JobFilter& filter) {
  SqlFilter f;
  if (filter.type) f.where("type = " + f.bind(*filter.type));
  if (filter.state) f.where("state = " + f.bind(std::string(job_state_name(*filter.state))));
  return db_.transact(
      [&](Tx& tx) {
        JobPage page;
        page.total = tx.query_one("SELECT COUNT(*) FROM jobs" + f.clause(), f.params())->integer(0);
        SqlFilter paged = f;
        const std::string sql =
            std::string("SELECT ") + jobs_detail::kJobColumns + " FROM jobs" + f.clause() +
            " ORDER BY id DESC LIMIT " +
            paged.bind(std::int64_t{std::clamp(filter.limit, 1, kMaxPageSize)}) + " OFFSET " +
            paged.bind(std::int64_t{std::max(filter.offset, 0)});
        for (const auto& row : tx.query(sql, paged.params())) {
          page.jobs.push_back(jobs_detail::job_from_row(row));
        }
        return page;
      },
      TxMode::kRead);
}

bool JobQueue::retry(std::int64_t id) {
  const std::int64_t now = clock_.now_ms();
  return db_.transact([&](Tx& tx) {
    const bool requeued =
        tx.exec(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at_ms = $2, progress = 0, "
            "progress_message = '', lease_until_ms = NULL, locked_by = NULL, "
            "cancel_requested = 0, finished_at_ms = NULL, updated_at_ms = $2 "
            "WHERE id = $1 AND state = 'dead'",
            {id, now}) > 0;
    if (requeued) db_.notify(tx, jobs_detail::kJobsChannel);
    return requeued;
  });
}

}  // namespace carehub

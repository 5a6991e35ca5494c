// Shared by the jobs sources: the columns a JobInfo is read from, in order, and the row decoder.
#pragma once

#include <cstdint>
#include <string>

#include "carehub/db.hpp"
#include "carehub/jobs.hpp"

namespace carehub::jobs_detail {

inline constexpr char kJobColumns[] =
    "id, type, queue, state, payload, result, attempts, max_attempts, progress, progress_message, "
    "last_error, cancel_requested, run_at_ms, created_at_ms, updated_at_ms, finished_at_ms";

// The channel enqueue notifies and idle workers wait on.
inline constexpr char kJobsChannel[] = "carehub_jobs";

JobInfo job_from_row(const Row& row);

}  // namespace carehub::jobs_detail

#include <fmt/format.h>

#include <ctime>
#include <stdexcept>
#include <string>

#include "carehub/jobs.hpp"
#include "carehub/json.hpp"
#include "carehub/json_time.hpp"
#include "jobs/job_rows.hpp"

namespace carehub {

namespace {

nlohmann::json stored_or_null(const std::optional<std::string>& text, std::string_view what) {
  if (!text) return nullptr;
  return parse_stored_json(*text, what);
}

}  // namespace

std::string_view job_state_name(JobState state) {
  switch (state) {
    case JobState::kQueued: return "queued";
    case JobState::kRunning: return "running";
    case JobState::kSucceeded: return "succeeded";
    case JobState::kDead: return "dead";
    case JobState::kCancelled: return "cancelled";
  }
  return "unknown";
}

JobState parse_job_state(std::string_view name) {
  for (JobState s : {JobState::kQueued, JobState::kRunning, JobState::kSucceeded, JobState::kDead,
                     JobState::kCancelled}) {
    if (job_state_name(s) == name) return s;
  }
  throw std::invalid_argument("unknown job state '" + std::string(name) + "'");
}

nlohmann::json JobInfo::to_json() const {
  // No payload: it may hold patient data, and the status API is for operators.
  return {
      {"id", id},
      {"type", type},
      {"queue", queue},
      {"state", job_state_name(state)},
      {"attempts", attempts},
      {"max_attempts", max_attempts},
      {"progress", progress},
      {"progress_message", progress_message},
      {"last_error", last_error ? nlohmann::json(*last_error) : nlohmann::json(nullptr)},
      {"result", result},
      {"cancel_requested", cancel_requested},
      {"run_at", format_rfc3339_ms(run_at_ms)},
      {"created_at", format_rfc3339_ms(created_at_ms)},
      {"updated_at", format_rfc3339_ms(updated_at_ms)},
      {"finished_at", rfc3339_or_null(finished_at_ms)},
  };
}

namespace jobs_detail {

JobInfo job_from_row(const Row& row) {
  JobInfo info;
  info.id = row.integer(0);
  info.type = row.text(1);
  info.queue = row.text(2);
  info.state = parse_job_state(row.text(3));
  info.payload = stored_or_null(row.opt_text(4), "job payload");
  info.result = stored_or_null(row.opt_text(5), "job result");
  info.attempts = static_cast<int>(row.integer(6));
  info.max_attempts = static_cast<int>(row.integer(7));
  info.progress = row.real(8);
  info.progress_message = row.text(9);
  info.last_error = row.opt_text(10);
  info.cancel_requested = row.integer(11) != 0;
  info.run_at_ms = row.integer(12);
  info.created_at_ms = row.integer(13);
  info.updated_at_ms = row.integer(14);
  info.finished_at_ms = row.opt_integer(15);
  return info;
}

}  // namespace jobs_detail

}  // namespace carehub

-- Queued jobs in the order a worker claims them (as on SQLite; the planner may use it for the
-- claim's ORDER BY ... LIMIT 1).
CREATE INDEX jobs_queued ON jobs (state, priority, run_at_ms, id);

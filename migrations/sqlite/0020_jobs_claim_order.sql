-- Queued jobs in the order a worker claims them: the claim walks this index to the first due job
-- instead of sorting every queued job (src/jobs/worker.cpp).
CREATE INDEX jobs_queued ON jobs (state, priority, run_at_ms, id);

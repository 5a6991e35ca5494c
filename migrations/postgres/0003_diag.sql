-- Diagnostics module: one small table the core's tests and benchmarks read and write.
CREATE TABLE diag_rows (
  id BIGINT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at_ms BIGINT NOT NULL
);

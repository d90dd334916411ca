-- Webhook deliveries are jobs of their own kind. SQLite cannot change a
-- CHECK constraint in place: the table is rebuilt with its indexes.
CREATE TABLE jobs_next (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('transcribe', 'analyze', 'retention_sweep',
                                       'data_subject_request', 'webhook')),
    call_id TEXT,
    payload TEXT NOT NULL CHECK (length(CAST(payload AS BLOB)) <= 16384),
    max_attempts INTEGER NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    enqueued_by TEXT NOT NULL,
    run_after INTEGER NOT NULL,
    lease_until INTEGER,
    lease_token BLOB,
    last_error TEXT CHECK (length(last_error) <= 500),
    updated_at INTEGER NOT NULL,
    every_secs INTEGER CHECK (every_secs BETWEEN 60 AND 2592000)
);
INSERT INTO jobs_next (id, workspace_id, kind, call_id, payload, max_attempts, state, attempts,
                       enqueued_by, run_after, lease_until, lease_token, last_error, updated_at,
                       every_secs)
SELECT id, workspace_id, kind, call_id, payload, max_attempts, state, attempts, enqueued_by,
       run_after, lease_until, lease_token, last_error, updated_at, every_secs
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_next RENAME TO jobs;
CREATE UNIQUE INDEX jobs_one_live ON jobs (workspace_id, kind, call_id)
    WHERE state IN ('queued', 'running') AND call_id IS NOT NULL;
CREATE INDEX jobs_lapsing ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_dead ON jobs (workspace_id, id) WHERE state = 'dead';
CREATE UNIQUE INDEX jobs_one_schedule ON jobs (workspace_id, kind)
    WHERE state IN ('queued', 'running') AND every_secs IS NOT NULL;
CREATE INDEX jobs_queued ON jobs (run_after, id) WHERE state = 'queued';

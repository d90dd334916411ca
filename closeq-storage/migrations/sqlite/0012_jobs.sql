-- The job queue (JobQueue): one row per job. No personal data: ids, the
-- kind, an opaque payload of at most 16 KiB, times (microseconds since the
-- epoch), the last failure's reason (an error message). The lease token is
-- kept as its SHA-256 only. No foreign key to workspaces: a workspace's
-- purge deletes its jobs itself.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('transcribe', 'analyze', 'retention_sweep',
                                       'data_subject_request')),
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
    updated_at INTEGER NOT NULL
);
-- At most one job per (workspace, kind, call) queued or running.
CREATE UNIQUE INDEX jobs_one_live ON jobs (workspace_id, kind, call_id)
    WHERE state IN ('queued', 'running') AND call_id IS NOT NULL;
-- The lease scan: live jobs in the order they run.
CREATE INDEX jobs_live ON jobs (run_after, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_lapsing ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_dead ON jobs (workspace_id, id) WHERE state = 'dead';

-- Leases scan queued jobs and lapsed leases apart (one index over queued
-- and running jobs put every running job at the head of the lease scan).
DROP INDEX jobs_live;
CREATE INDEX jobs_queued ON jobs (run_after, id) WHERE state = 'queued';

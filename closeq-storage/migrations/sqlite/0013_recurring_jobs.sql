-- Recurring jobs (JobSpec::every): completed, a recurring job is queued
-- again every_secs later. At most one live recurring job per
-- (workspace, kind): the schedule of a retention sweep or of request
-- reminders is one row.
ALTER TABLE jobs ADD COLUMN every_secs INTEGER CHECK (every_secs BETWEEN 60 AND 2592000);
CREATE UNIQUE INDEX jobs_one_schedule ON jobs (workspace_id, kind)
    WHERE state IN ('queued', 'running') AND every_secs IS NOT NULL;

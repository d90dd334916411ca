-- Finished jobs expire with the technical-log rule (JobQueue::expire_jobs,
-- run by the retention sweep): owners already delete jobs (owner_purge);
-- admins, who run sweeps too, delete finished ones.
CREATE POLICY admin_expire ON jobs FOR DELETE
  USING ((SELECT closeq_is_admin()) AND state IN ('completed', 'dead'));

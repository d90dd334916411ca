-- The job queue (JobQueue): one row per job. No personal data: ids, the
-- kind, an opaque payload of at most 16 KiB, times, the last failure's
-- reason (an error message). The lease token is kept as its SHA-256 only.
-- No foreign key to workspaces: a workspace's purge deletes its jobs.
CREATE TABLE jobs (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('transcribe', 'analyze', 'retention_sweep',
                                       'data_subject_request')),
    call_id uuid,
    payload text NOT NULL CHECK (octet_length(payload) <= 16384),
    max_attempts bigint NOT NULL CHECK (max_attempts BETWEEN 1 AND 100),
    state text NOT NULL CHECK (state IN ('queued', 'running', 'completed', 'dead')),
    attempts bigint NOT NULL DEFAULT 0,
    enqueued_by uuid NOT NULL,
    run_after timestamptz NOT NULL,
    lease_until timestamptz,
    lease_token bytea CHECK (octet_length(lease_token) = 32),
    last_error text CHECK (octet_length(last_error) <= 500),
    updated_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX jobs_one_live ON jobs (workspace_id, kind, call_id)
    WHERE state IN ('queued', 'running') AND call_id IS NOT NULL;
CREATE INDEX jobs_live ON jobs (run_after, id) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_lapsing ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_dead ON jobs (workspace_id, id) WHERE state = 'dead';

-- True inside the worker functions below: they run as the table's owner
-- (SECURITY DEFINER), which the runtime role never is (PostgresStore::
-- connect refuses an owner or a member of one).
CREATE FUNCTION closeq_jobs_definer() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT current_user = (SELECT pg_get_userbyid(c.relowner) FROM pg_class c
                          WHERE c.oid = 'public.jobs'::regclass) $$;

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE jobs FORCE ROW LEVEL SECURITY;
-- The runtime role sees its scope's workspace only; the worker functions
-- lease across workspaces and touch nothing but job rows.
CREATE POLICY tenant ON jobs AS RESTRICTIVE FOR ALL
  USING (workspace_id = (SELECT closeq_ws()) OR (SELECT closeq_jobs_definer()))
  WITH CHECK (workspace_id = (SELECT closeq_ws()) OR (SELECT closeq_jobs_definer()));
CREATE POLICY definer ON jobs FOR ALL
  USING ((SELECT closeq_jobs_definer())) WITH CHECK ((SELECT closeq_jobs_definer()));
-- Owners and admins read jobs (closeq_job_retry queues dead ones again);
-- an owner's purge deletes them. Members enqueue through
-- closeq_job_enqueue only; the runtime role has no INSERT or UPDATE.
CREATE POLICY admin_read ON jobs FOR SELECT USING ((SELECT closeq_is_admin()));
CREATE POLICY owner_purge ON jobs FOR DELETE USING ((SELECT closeq_role()) = 'owner');

-- Enqueues a job of the scope's workspace in the scope member's name, or
-- returns the id of the live job with the same (kind, call).
CREATE FUNCTION closeq_job_enqueue(p_id uuid, p_ws uuid, p_kind text, p_call uuid,
                                   p_payload text, p_max bigint, p_by uuid,
                                   p_run_after timestamptz, p_now timestamptz)
RETURNS uuid LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE existing uuid;
BEGIN
  IF p_ws IS NULL OR p_ws IS DISTINCT FROM closeq_ws()
     OR p_by IS NULL OR p_by IS DISTINCT FROM closeq_user() THEN
    RAISE EXCEPTION 'a job is enqueued in the scope''s workspace, in its member''s name'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_kind IN ('retention_sweep', 'data_subject_request') AND NOT closeq_is_admin() THEN
    RAISE EXCEPTION 'only an owner or admin enqueues this kind'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO jobs (id, workspace_id, kind, call_id, payload, max_attempts, state,
                    enqueued_by, run_after, updated_at)
  VALUES (p_id, p_ws, p_kind, p_call, p_payload, p_max, 'queued', p_by, p_run_after, p_now)
  ON CONFLICT (workspace_id, kind, call_id)
    WHERE state IN ('queued', 'running') AND call_id IS NOT NULL DO NOTHING;
  IF FOUND THEN
    -- Wakes idle workers (delivered at commit; PostgresJobQueue::wake_ups).
    PERFORM pg_notify('closeq_jobs', p_kind);
    RETURN p_id;
  END IF;
  SELECT j.id INTO existing FROM jobs j
   WHERE j.workspace_id = p_ws AND j.kind = p_kind AND j.call_id = p_call
     AND j.state IN ('queued', 'running');
  RETURN existing;
END $$;

-- Queues a dead job of the scope's workspace again, now, its attempts
-- reset (owners and admins). 'retried', 'live' when another job for the
-- same (kind, call) is queued or running, 'not_dead', or no row when there
-- is no such job.
CREATE FUNCTION closeq_job_retry(p_ws uuid, p_id uuid, p_now timestamptz)
RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE j jobs%ROWTYPE;
BEGIN
  IF p_ws IS NULL OR p_ws IS DISTINCT FROM closeq_ws() OR NOT closeq_is_admin() THEN
    RAISE EXCEPTION 'only an owner or admin of the workspace retries its jobs'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT * INTO j FROM jobs WHERE id = p_id AND workspace_id = p_ws FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  IF j.state <> 'dead' THEN
    RETURN NEXT 'not_dead';
    RETURN;
  END IF;
  IF j.call_id IS NOT NULL AND EXISTS (
       SELECT 1 FROM jobs l WHERE l.workspace_id = p_ws AND l.kind = j.kind
         AND l.call_id = j.call_id AND l.state IN ('queued', 'running')) THEN
    RETURN NEXT 'live';
    RETURN;
  END IF;
  UPDATE jobs SET state = 'queued', attempts = 0, run_after = p_now, updated_at = p_now
   WHERE id = p_id;
  PERFORM pg_notify('closeq_jobs', j.kind);
  RETURN NEXT 'retried';
END $$;

-- Leases the oldest runnable job of `p_kinds` (comma-separated) at
-- `p_now` until `p_until` (at most a day later) under the token `p_token`
-- (kept as its SHA-256); first kills lapsed leases out of attempts.
CREATE FUNCTION closeq_job_lease(p_kinds text, p_now timestamptz, p_until timestamptz,
                                 p_token text)
RETURNS TABLE (id uuid, workspace_id uuid, kind text, call_id uuid, payload text,
               max_attempts bigint, attempts bigint, enqueued_by uuid)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
  -- The caller's clock (tests drive it), never ahead of the database's by
  -- more than five minutes: no lease is stolen by a clock in the future.
  p_now := LEAST(p_now, now() + interval '5 minutes');
  IF p_until IS NULL OR p_now IS NULL OR p_until <= p_now
     OR p_until > p_now + interval '24 hours' THEN
    RAISE EXCEPTION 'a lease lasts more than nothing and at most a day'
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE jobs d SET state = 'dead', last_error = 'lease lapsed', lease_until = NULL,
                    lease_token = NULL, updated_at = p_now
   WHERE d.id IN (SELECT x.id FROM jobs x
                   WHERE x.state = 'running' AND x.lease_until <= p_now
                     AND x.attempts >= x.max_attempts
                   FOR UPDATE SKIP LOCKED);
  RETURN QUERY
  UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, lease_until = p_until,
                    lease_token = sha256(convert_to(p_token, 'UTF8')), updated_at = p_now
   WHERE j.id = (SELECT n.id FROM jobs n
                  WHERE n.state IN ('queued', 'running')
                    AND n.kind = ANY (string_to_array(p_kinds, ','))
                    AND CASE WHEN n.state = 'queued' THEN n.run_after <= p_now
                             ELSE n.lease_until <= p_now END
                  ORDER BY n.run_after, n.id LIMIT 1
                  FOR UPDATE SKIP LOCKED)
  RETURNING j.id, j.workspace_id, j.kind, j.call_id, j.payload, j.max_attempts,
            j.attempts, j.enqueued_by;
END $$;

-- Moves a held lease (job `p_id`, token `p_token`, still running):
-- 'heartbeat' to `p_until` (at most a day later), 'complete', 'retry' at
-- `p_run_after`, 'dead' (`p_reason` for these two), or 'release' (back to
-- the queue now, the attempt not counted). Returns the new state, or no
-- row when the lease is not held.
CREATE FUNCTION closeq_job_settle(p_id uuid, p_token text, p_action text, p_now timestamptz,
                                  p_until timestamptz, p_run_after timestamptz, p_reason text)
RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF p_now IS NULL THEN
    RAISE EXCEPTION 'a time is required' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  p_now := LEAST(p_now, now() + interval '5 minutes');
  IF p_action = 'heartbeat' AND (p_until IS NULL OR p_until <= p_now
                                 OR p_until > p_now + interval '24 hours') THEN
    RAISE EXCEPTION 'a lease lasts at most a day' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  RETURN QUERY
  UPDATE jobs j SET
      state = CASE p_action WHEN 'heartbeat' THEN 'running' WHEN 'complete' THEN 'completed'
                            WHEN 'retry' THEN 'queued' WHEN 'release' THEN 'queued'
                            ELSE 'dead' END,
      attempts = CASE WHEN p_action = 'release' THEN GREATEST(j.attempts - 1, 0)
                      ELSE j.attempts END,
      lease_until = CASE WHEN p_action = 'heartbeat' THEN p_until END,
      lease_token = CASE WHEN p_action = 'heartbeat' THEN j.lease_token END,
      run_after = CASE WHEN p_action = 'retry' THEN p_run_after
                       WHEN p_action = 'release' THEN p_now ELSE j.run_after END,
      last_error = CASE WHEN p_action IN ('retry', 'dead') THEN p_reason ELSE j.last_error END,
      updated_at = p_now
   WHERE j.id = p_id AND j.state = 'running'
     AND j.lease_token = sha256(convert_to(p_token, 'UTF8'))
     AND p_action IN ('heartbeat', 'complete', 'retry', 'dead', 'release')
  RETURNING j.state;
END $$;

REVOKE ALL ON FUNCTION closeq_job_enqueue(uuid, uuid, text, uuid, text, bigint, uuid,
                                          timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION closeq_job_retry(uuid, uuid, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION closeq_job_lease(text, timestamptz, timestamptz, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION closeq_job_settle(uuid, text, text, timestamptz, timestamptz,
                                         timestamptz, text) FROM PUBLIC;

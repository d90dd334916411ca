-- Recurring jobs (JobSpec::every): completed, a recurring job is queued
-- again every_secs later, its attempts reset. At most one live recurring
-- job per (workspace, kind): the schedule of a retention sweep or of
-- request reminders is one row.
ALTER TABLE jobs ADD COLUMN every_secs bigint CHECK (every_secs BETWEEN 60 AND 2592000);
CREATE UNIQUE INDEX jobs_one_schedule ON jobs (workspace_id, kind)
    WHERE state IN ('queued', 'running') AND every_secs IS NOT NULL;

DROP FUNCTION closeq_job_enqueue(uuid, uuid, text, uuid, text, bigint, uuid, timestamptz,
                                 timestamptz);
-- Enqueues a job of the scope's workspace in the scope member's name, or
-- returns the id of the live job with the same (kind, call), or the live
-- recurring job of the same kind.
CREATE FUNCTION closeq_job_enqueue(p_id uuid, p_ws uuid, p_kind text, p_call uuid,
                                   p_payload text, p_max bigint, p_by uuid,
                                   p_run_after timestamptz, p_now timestamptz,
                                   p_every bigint)
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
  IF p_every IS NOT NULL AND p_call IS NOT NULL THEN
    RAISE EXCEPTION 'a recurring job is about no call' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO jobs (id, workspace_id, kind, call_id, payload, max_attempts, state,
                    enqueued_by, run_after, updated_at, every_secs)
  VALUES (p_id, p_ws, p_kind, p_call, p_payload, p_max, 'queued', p_by, p_run_after, p_now,
          p_every)
  ON CONFLICT DO NOTHING;
  IF FOUND THEN
    -- Wakes idle workers (delivered at commit; PostgresJobQueue::wake_ups).
    PERFORM pg_notify('closeq_jobs', p_kind);
    RETURN p_id;
  END IF;
  SELECT j.id INTO existing FROM jobs j
   WHERE j.workspace_id = p_ws AND j.kind = p_kind AND j.state IN ('queued', 'running')
     AND (j.call_id = p_call OR (p_every IS NOT NULL AND j.every_secs IS NOT NULL));
  RETURN existing;
END $$;

-- As in 0013, and a recurring job is not retried beside its live schedule.
CREATE OR REPLACE FUNCTION closeq_job_retry(p_ws uuid, p_id uuid, p_now timestamptz)
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
  IF EXISTS (
       SELECT 1 FROM jobs l WHERE l.workspace_id = p_ws AND l.kind = j.kind
         AND l.state IN ('queued', 'running')
         AND (l.call_id = j.call_id OR (j.every_secs IS NOT NULL AND l.every_secs IS NOT NULL)))
  THEN
    RETURN NEXT 'live';
    RETURN;
  END IF;
  UPDATE jobs SET state = 'queued', attempts = 0, run_after = p_now, updated_at = p_now
   WHERE id = p_id;
  PERFORM pg_notify('closeq_jobs', j.kind);
  RETURN NEXT 'retried';
END $$;

DROP FUNCTION closeq_job_lease(text, timestamptz, timestamptz, text);
-- As in 0013, answering the recurring interval too.
CREATE FUNCTION closeq_job_lease(p_kinds text, p_now timestamptz, p_until timestamptz,
                                 p_token text)
RETURNS TABLE (id uuid, workspace_id uuid, kind text, call_id uuid, payload text,
               max_attempts bigint, attempts bigint, enqueued_by uuid, every_secs bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
BEGIN
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
            j.attempts, j.enqueued_by, j.every_secs;
END $$;

-- As in 0013; completing a recurring job queues it again every_secs
-- later, its attempts and last error reset.
CREATE OR REPLACE FUNCTION closeq_job_settle(p_id uuid, p_token text, p_action text,
                                             p_now timestamptz, p_until timestamptz,
                                             p_run_after timestamptz, p_reason text)
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
      state = CASE p_action WHEN 'heartbeat' THEN 'running'
                            WHEN 'complete' THEN CASE WHEN j.every_secs IS NULL
                                                      THEN 'completed' ELSE 'queued' END
                            WHEN 'retry' THEN 'queued' WHEN 'release' THEN 'queued'
                            ELSE 'dead' END,
      attempts = CASE WHEN p_action = 'release' THEN GREATEST(j.attempts - 1, 0)
                      WHEN p_action = 'complete' AND j.every_secs IS NOT NULL THEN 0
                      ELSE j.attempts END,
      lease_until = CASE WHEN p_action = 'heartbeat' THEN p_until END,
      lease_token = CASE WHEN p_action = 'heartbeat' THEN j.lease_token END,
      run_after = CASE WHEN p_action = 'retry' THEN p_run_after
                       WHEN p_action = 'release' THEN p_now
                       WHEN p_action = 'complete' AND j.every_secs IS NOT NULL
                         THEN p_now + make_interval(secs => j.every_secs)
                       ELSE j.run_after END,
      last_error = CASE WHEN p_action IN ('retry', 'dead') THEN p_reason
                        WHEN p_action = 'complete' AND j.every_secs IS NOT NULL THEN NULL
                        ELSE j.last_error END,
      updated_at = p_now
   WHERE j.id = p_id AND j.state = 'running'
     AND j.lease_token = sha256(convert_to(p_token, 'UTF8'))
     AND p_action IN ('heartbeat', 'complete', 'retry', 'dead', 'release')
  RETURNING j.state;
END $$;

REVOKE ALL ON FUNCTION closeq_job_enqueue(uuid, uuid, text, uuid, text, bigint, uuid,
                                          timestamptz, timestamptz, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION closeq_job_lease(text, timestamptz, timestamptz, text) FROM PUBLIC;

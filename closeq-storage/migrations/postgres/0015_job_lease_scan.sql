-- Leases scan queued jobs and lapsed leases apart. One index over queued
-- and running jobs put every running job at the head of the lease scan:
-- with a thousand long transcriptions in flight, each lease stepped over a
-- thousand rows before it found a queued one.
DROP INDEX jobs_live;
CREATE INDEX jobs_queued ON jobs (run_after, id) WHERE state = 'queued';

-- As in 0014; the oldest runnable job is the older of the oldest queued
-- one (jobs_queued) and the oldest lapsed lease (jobs_lapsing), each taken
-- with FOR UPDATE SKIP LOCKED. A lease commits without waiting for the
-- disk (synchronous_commit off, for its own transaction only): lost in a
-- server crash, the job is simply still queued, and the work runs at
-- least once either way (every stage checks what is already done).
-- Enqueues keep waiting for the disk: an accepted call never loses its job.
CREATE OR REPLACE FUNCTION closeq_job_lease(p_kinds text, p_now timestamptz,
                                            p_until timestamptz, p_token text)
RETURNS TABLE (id uuid, workspace_id uuid, kind text, call_id uuid, payload text,
               max_attempts bigint, attempts bigint, enqueued_by uuid, every_secs bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE
  kinds text[] := string_to_array(p_kinds, ',');
  q_id uuid; q_at timestamptz; l_id uuid; l_at timestamptz; pick uuid;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
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
  SELECT n.id, n.run_after INTO q_id, q_at FROM jobs n
   WHERE n.state = 'queued' AND n.run_after <= p_now AND n.kind = ANY (kinds)
   ORDER BY n.run_after, n.id LIMIT 1
   FOR UPDATE SKIP LOCKED;
  SELECT n.id, n.run_after INTO l_id, l_at FROM jobs n
   WHERE n.state = 'running' AND n.lease_until <= p_now AND n.kind = ANY (kinds)
   ORDER BY n.run_after, n.id LIMIT 1
   FOR UPDATE SKIP LOCKED;
  pick := CASE WHEN l_id IS NULL THEN q_id
               WHEN q_id IS NULL THEN l_id
               WHEN (l_at, l_id) < (q_at, q_id) THEN l_id
               ELSE q_id END;
  IF pick IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY
  UPDATE jobs j SET state = 'running', attempts = j.attempts + 1, lease_until = p_until,
                    lease_token = sha256(convert_to(p_token, 'UTF8')), updated_at = p_now
   WHERE j.id = pick
  RETURNING j.id, j.workspace_id, j.kind, j.call_id, j.payload, j.max_attempts,
            j.attempts, j.enqueued_by, j.every_secs;
END $$;

-- closeq_jobs_definer() looked the table's owner up in the catalog, once
-- per policy clause of every statement on jobs: ten lookups a statement,
-- most of a lease's time (a lease and a completion took 2.5 ms; 1.0 ms
-- with the name compared). The owner's name is fixed here, at migration
-- time, from the table's owner (migrations run as the owner). Renaming the
-- owner role makes it false: the job functions then see no job (the queue
-- stops, nothing is exposed) until `closeq db migrate` runs again.
DO $$
BEGIN
  EXECUTE format(
    'CREATE OR REPLACE FUNCTION closeq_jobs_definer() RETURNS boolean LANGUAGE sql STABLE '
    'AS %L',
    format('SELECT current_user = %L::name',
           (SELECT pg_get_userbyid(c.relowner) FROM pg_class c
             WHERE c.oid = 'public.jobs'::regclass)));
END $$;

-- As in 0014, committing without waiting for the disk (as a lease does):
-- a heartbeat, completion or failure lost in a server crash leaves the job
-- leased until its lease lapses, then it runs again.
CREATE OR REPLACE FUNCTION closeq_job_settle(p_id uuid, p_token text, p_action text,
                                             p_now timestamptz, p_until timestamptz,
                                             p_run_after timestamptz, p_reason text)
RETURNS SETOF text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);
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

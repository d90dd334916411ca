-- The time of each audit record in a column of its own, so the
-- technical-log retention rule (90 days) can expire records by age.
-- Back-filled from the documents (the owner bypasses RLS for the update,
-- as in 0005).
ALTER TABLE audit_records ADD COLUMN at timestamptz;
ALTER TABLE audit_records NO FORCE ROW LEVEL SECURITY;
UPDATE audit_records SET at = (data::jsonb ->> 'at')::timestamptz;
ALTER TABLE audit_records FORCE ROW LEVEL SECURITY;
CREATE INDEX audit_records_at ON audit_records (workspace_id, at);

-- The runtime role has no DELETE on the append-only log; records older
-- than the retention period go through this function only, for an owner
-- or admin of the scope's own workspace. The policy applies to the
-- function's owner (the role running this migration) only.
CREATE POLICY retention_expire ON audit_records FOR DELETE TO CURRENT_USER
  USING ((SELECT closeq_is_admin()));

CREATE FUNCTION closeq_expire_audit(ws uuid, cutoff timestamptz) RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF ws IS NULL OR ws IS DISTINCT FROM closeq_ws() OR NOT closeq_is_admin() THEN
    RAISE EXCEPTION 'only an owner or admin of the workspace expires its audit log'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- Records younger than 90 days are never removed, whatever the caller
  -- asks (the store bounds the cutoff the same way).
  RETURN QUERY DELETE FROM audit_records
    WHERE workspace_id = ws AND at <= LEAST(cutoff, now() - interval '90 days')
    RETURNING seq;
END $$;
REVOKE ALL ON FUNCTION closeq_expire_audit(uuid, timestamptz) FROM PUBLIC;

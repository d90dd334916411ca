-- The access log: who read which call, transcript, scorecard or recording,
-- and who was handed a signed URL (WorkspaceStore::append_access). No
-- personal data: actor id, action code, the ids read (16 bytes each,
-- concatenated), time. The workspace's purge cascades to it.
CREATE TABLE access_records (
    seq bigserial PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    at timestamptz NOT NULL,
    actor uuid NOT NULL,
    action text NOT NULL CHECK (action IN ('call.read', 'call.list', 'transcript.read',
                                           'scorecard.read', 'audio.read', 'audio.url_issued')),
    -- 16-byte ids, at most 1,000.
    resources bytea NOT NULL
      CHECK (octet_length(resources) % 16 = 0 AND octet_length(resources) <= 16000)
);
CREATE INDEX access_records_at ON access_records (workspace_id, at);
ALTER TABLE access_records ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_records FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON access_records AS RESTRICTIVE FOR ALL
  USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
-- Every member records their own reads, in their own name; owners and
-- admins read the log. The runtime role has no UPDATE or DELETE on it.
CREATE POLICY append ON access_records FOR INSERT WITH CHECK (actor = (SELECT closeq_user()));
CREATE POLICY admin_read ON access_records FOR SELECT USING ((SELECT closeq_is_admin()));

-- Records older than the technical-log period leave only through this
-- function, for an owner or admin of the scope's own workspace, never
-- younger than 90 days (the policy applies to the function's owner only).
CREATE POLICY retention_expire ON access_records FOR DELETE TO CURRENT_USER
  USING ((SELECT closeq_is_admin()));

CREATE FUNCTION closeq_expire_access(ws uuid, cutoff timestamptz, lim bigint) RETURNS SETOF bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF ws IS NULL OR ws IS DISTINCT FROM closeq_ws() OR NOT closeq_is_admin() THEN
    RAISE EXCEPTION 'only an owner or admin of the workspace expires its access log'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- The oldest `lim` records due (the store deletes in batches).
  RETURN QUERY DELETE FROM access_records
    WHERE seq IN (SELECT a.seq FROM access_records a
                  WHERE a.workspace_id = ws AND a.at <= LEAST(cutoff, now() - interval '90 days')
                  ORDER BY a.seq LIMIT lim)
    RETURNING seq;
END $$;
REVOKE ALL ON FUNCTION closeq_expire_access(uuid, timestamptz, bigint) FROM PUBLIC;

-- Issue 16: no unscoped writes, the lookup branch for reads only, and the
-- records of a call tied to the call.

-- 1. The authentication lookup (the SHA-256 of an API key or invitation
--    token, set as closeq.lookup_hash before any scope exists) reads the
--    one row it names; it never writes. Before, it was a branch of the
--    FOR ALL tenant policy and so also let UPDATE and DELETE through to
--    another workspace's row. The tenant policy is now one per command,
--    with the lookup branch in the SELECT one only.
DO $$
DECLARE t text; h text;
BEGIN
  FOREACH t IN ARRAY ARRAY['api_keys', 'invitations'] LOOP
    h := CASE t WHEN 'api_keys' THEN 'secret_sha256' ELSE 'token_sha256' END;
    EXECUTE format('DROP POLICY tenant ON %I', t);
    EXECUTE format('CREATE POLICY tenant_read ON %I AS RESTRICTIVE FOR SELECT '
      'USING (workspace_id = (SELECT closeq_ws()) OR %I = (SELECT closeq_lookup_hash()))', t, h);
    EXECUTE format('CREATE POLICY tenant_insert ON %I AS RESTRICTIVE FOR INSERT '
      'WITH CHECK (workspace_id = (SELECT closeq_ws()))', t);
    EXECUTE format('CREATE POLICY tenant_update ON %I AS RESTRICTIVE FOR UPDATE '
      'USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()))', t);
    EXECUTE format('CREATE POLICY tenant_delete ON %I AS RESTRICTIVE FOR DELETE '
      'USING (workspace_id = (SELECT closeq_ws()))', t);
    -- The holder of a secret (role 'holder', set by the store after the
    -- lookup found the row, with the row's workspace as scope) may update
    -- that one row: record a key's use, accept an invitation. The tenant
    -- policy above still applies, so the workspace must be the row's.
    EXECUTE format('CREATE POLICY holder_update ON %I FOR UPDATE '
      'USING ((SELECT closeq_role()) = ''holder'' AND %I = (SELECT closeq_lookup_hash())) '
      'WITH CHECK ((SELECT closeq_role()) = ''holder'' AND %I = (SELECT closeq_lookup_hash()))', t, h, h);
  END LOOP;
END $$;

-- 2. No "system" role any more: every write acts as a member's scope or
--    as the holder of a secret.
CREATE OR REPLACE FUNCTION closeq_is_admin() RETURNS boolean LANGUAGE plpgsql STABLE AS
$$ BEGIN RETURN closeq_role() IN ('owner', 'admin'); END $$;

-- 3. The audit log: a member appends records of their own actions; only
--    owners and admins append records of CloseQ itself (no actor).
DROP POLICY admin_append ON audit_records;
CREATE POLICY append ON audit_records FOR INSERT WITH CHECK (
  (data::jsonb ->> 'actor') = (SELECT closeq_user())::text
  OR ((data::jsonb ->> 'actor') IS NULL AND (SELECT closeq_is_admin())));
-- ... and reads back the records in their own name (INSERT ... RETURNING
-- needs it); the log itself stays for owners and admins.
CREATE POLICY own_read ON audit_records FOR SELECT USING (
  (data::jsonb ->> 'actor') = (SELECT closeq_user())::text);

-- 4. The records of a call carry the call's workspace, rep and team for
--    their visibility policies. A record must match its call (checked on
--    every insert and on any change of those columns), and a change of the
--    call's carries over to its records, as ON UPDATE CASCADE would (a
--    foreign key cannot: team_id is NULL for a call without a team, and a
--    composite key with a NULL column is not checked).
CREATE FUNCTION closeq_record_matches_call() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM calls c
    WHERE c.id = NEW.call_id AND c.workspace_id = NEW.workspace_id
      AND c.rep_id = NEW.rep_id AND c.team_id IS NOT DISTINCT FROM NEW.team_id
  ) THEN
    RAISE EXCEPTION 'a row of % must carry its call''s workspace, rep and team', TG_TABLE_NAME
      USING ERRCODE = 'check_violation', CONSTRAINT = 'record_matches_call';
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION closeq_call_scope_to_records() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE transcripts SET workspace_id = NEW.workspace_id, rep_id = NEW.rep_id, team_id = NEW.team_id WHERE call_id = NEW.id;
  UPDATE scorecards SET workspace_id = NEW.workspace_id, rep_id = NEW.rep_id, team_id = NEW.team_id WHERE call_id = NEW.id;
  UPDATE call_verdicts SET workspace_id = NEW.workspace_id, rep_id = NEW.rep_id, team_id = NEW.team_id WHERE call_id = NEW.id;
  UPDATE subject_index SET workspace_id = NEW.workspace_id, rep_id = NEW.rep_id, team_id = NEW.team_id WHERE call_id = NEW.id;
  RETURN NULL;
END $$;

-- Records written before this migration are brought in line first (with
-- Row-Level Security lifted for the statements: no scope is set here).
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['transcripts', 'scorecards', 'call_verdicts', 'subject_index'] LOOP
    EXECUTE format('ALTER TABLE %I NO FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('UPDATE %I r SET workspace_id = c.workspace_id, rep_id = c.rep_id, team_id = c.team_id '
      'FROM calls c WHERE c.id = r.call_id AND (r.workspace_id <> c.workspace_id OR r.rep_id <> c.rep_id '
      'OR r.team_id IS DISTINCT FROM c.team_id)', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE TRIGGER record_matches_call BEFORE INSERT OR UPDATE OF call_id, workspace_id, rep_id, team_id '
      'ON %I FOR EACH ROW EXECUTE FUNCTION closeq_record_matches_call()', t);
  END LOOP;
END $$;

CREATE TRIGGER call_scope_to_records AFTER UPDATE OF workspace_id, rep_id, team_id ON calls
  FOR EACH ROW
  WHEN (OLD.workspace_id IS DISTINCT FROM NEW.workspace_id OR OLD.rep_id IS DISTINCT FROM NEW.rep_id
        OR OLD.team_id IS DISTINCT FROM NEW.team_id)
  EXECUTE FUNCTION closeq_call_scope_to_records();

-- The termination purge (WorkspaceStore::delete_workspace).
--
-- What is left of a purged workspace: a receipt with a fresh id, when, why
-- and how much went; nothing that names the workspace. The runtime role
-- may add receipts as an owner, never read or change them.
CREATE TABLE purge_receipts (
    id uuid PRIMARY KEY,
    data text NOT NULL
);
ALTER TABLE purge_receipts ENABLE ROW LEVEL SECURITY;
ALTER TABLE purge_receipts FORCE ROW LEVEL SECURITY;
CREATE POLICY owner_insert ON purge_receipts FOR INSERT
  WITH CHECK ((SELECT closeq_role()) = 'owner');

-- Deleting the workspace row cascades to every table with a foreign key to
-- it (and on to the calls' records); the rollups and the audit log have
-- none, and the audit log is append-only for the runtime role (no DELETE
-- grant). So the purge is one function, run with its owner's rights, that
-- acts only for the owner of the scope's own workspace, and not while a
-- subject is restricted for legal claims. Its deletes still pass the
-- restrictive tenant policies (the tables force RLS); these permissive
-- policies let the purge through, and only the purge: they apply to the
-- role that owns the function (the one running this migration), never to
-- the runtime role, which cannot delete a workspace row by itself.
CREATE POLICY owner_purge ON workspaces FOR DELETE TO CURRENT_USER
  USING ((SELECT closeq_role()) = 'owner');
CREATE POLICY owner_purge ON audit_records FOR DELETE TO CURRENT_USER
  USING ((SELECT closeq_role()) = 'owner');
CREATE POLICY owner_purge ON daily_stats FOR DELETE TO CURRENT_USER
  USING ((SELECT closeq_role()) = 'owner');
CREATE POLICY owner_purge ON daily_verdicts FOR DELETE TO CURRENT_USER
  USING ((SELECT closeq_role()) = 'owner');

CREATE FUNCTION closeq_purge_workspace(ws uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF ws IS NULL OR ws IS DISTINCT FROM closeq_ws() OR closeq_role() IS DISTINCT FROM 'owner' THEN
    RAISE EXCEPTION 'only an owner of the workspace purges it'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF EXISTS (SELECT 1 FROM subject_flags f
             WHERE f.workspace_id = ws AND f.restricted AND f.legal_hold) THEN
    RAISE EXCEPTION 'a subject of the workspace is restricted for legal claims'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'legal_hold';
  END IF;
  DELETE FROM audit_records WHERE workspace_id = ws;
  DELETE FROM daily_verdicts WHERE workspace_id = ws;
  DELETE FROM daily_stats WHERE workspace_id = ws;
  DELETE FROM workspaces WHERE id = ws;
END $$;
REVOKE ALL ON FUNCTION closeq_purge_workspace(uuid) FROM PUBLIC;

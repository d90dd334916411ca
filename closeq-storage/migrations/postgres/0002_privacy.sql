-- Data-subject requests, subject flags (restriction, objection) and
-- call-recording consent, under the same Row-Level Security as the rest.

-- A request's subject lives in `data` while the request is open; a
-- completed erasure request keeps only the kind.
CREATE TABLE subject_requests (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    received_at timestamptz NOT NULL,
    data text NOT NULL
);
CREATE INDEX subject_requests_ws ON subject_requests (workspace_id, received_at DESC, id DESC);

-- Keyed hashes only, as in subject_index.
CREATE TABLE subject_flags (
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    subject_hash bytea NOT NULL,
    restricted boolean NOT NULL,
    objected boolean NOT NULL,
    PRIMARY KEY (workspace_id, subject_hash)
);

CREATE TABLE call_consents (
    call_id uuid PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL,
    data text NOT NULL
);

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['subject_requests','subject_flags','call_consents'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant ON %I AS RESTRICTIVE FOR ALL '
      'USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()))', t);
  END LOOP;
END $$;

-- Requests: owners and admins only.
CREATE POLICY admin_all ON subject_requests FOR ALL
  USING ((SELECT closeq_is_admin())) WITH CHECK ((SELECT closeq_is_admin()));
-- Flags: every member's pipeline reads them; owners and admins set them.
CREATE POLICY read_all ON subject_flags FOR SELECT USING (true);
CREATE POLICY admin_insert ON subject_flags FOR INSERT WITH CHECK ((SELECT closeq_is_admin()));
CREATE POLICY admin_update ON subject_flags FOR UPDATE USING ((SELECT closeq_is_admin())) WITH CHECK ((SELECT closeq_is_admin()));
CREATE POLICY admin_delete ON subject_flags FOR DELETE USING ((SELECT closeq_is_admin()));
-- Consent: whoever sees the call.
CREATE POLICY visible ON call_consents FOR ALL
  USING (EXISTS (SELECT 1 FROM calls c WHERE c.id = call_id))
  WITH CHECK (EXISTS (SELECT 1 FROM calls c WHERE c.id = call_id));

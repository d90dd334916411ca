-- CloseQ schema for PostgreSQL, with Row-Level Security on every tenant
-- table. Run by the owner role; the application connects as a runtime role
-- that is neither superuser, table owner nor BYPASSRLS.
--
-- The tenant scope lives in transaction-local settings, set by the store at
-- the start of every transaction with set_config(..., true):
--   closeq.workspace_id, closeq.user_id, closeq.role, closeq.team_ids
-- With no scope set, closeq_ws() is NULL and every policy matches no rows.

CREATE FUNCTION closeq_ws() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('closeq.workspace_id', true), '')::uuid $$;
CREATE FUNCTION closeq_user() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT NULLIF(current_setting('closeq.user_id', true), '')::uuid $$;
CREATE FUNCTION closeq_role() RETURNS text LANGUAGE sql STABLE AS
$$ SELECT COALESCE(current_setting('closeq.role', true), '') $$;
CREATE FUNCTION closeq_teams() RETURNS uuid[] LANGUAGE sql STABLE AS
$$ SELECT COALESCE(string_to_array(NULLIF(current_setting('closeq.team_ids', true), ''), ',')::uuid[], '{}') $$;
CREATE FUNCTION closeq_lookup_hash() RETURNS bytea LANGUAGE sql STABLE AS
$$ SELECT decode(NULLIF(current_setting('closeq.lookup_hash', true), ''), 'hex') $$;
CREATE FUNCTION closeq_is_admin() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT closeq_role() IN ('owner', 'admin', 'system') $$;
-- The teams whose calls the scope sees through a team: a manager's teams;
-- nobody else sees calls through a team.
CREATE FUNCTION closeq_visible_teams() RETURNS uuid[] LANGUAGE sql STABLE AS
$$ SELECT CASE WHEN closeq_role() = 'manager' THEN closeq_teams() ELSE '{}'::uuid[] END $$;

-- Policies call these through scalar subqueries, `(SELECT closeq_ws())`,
-- so PostgreSQL evaluates each once per statement (an InitPlan) instead of
-- once per row, and can use the workspace indexes.

CREATE TABLE workspaces (
    id uuid PRIMARY KEY,
    workspace_id uuid GENERATED ALWAYS AS (id) STORED,
    data text NOT NULL
);

CREATE TABLE teams (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    data text NOT NULL
);
CREATE INDEX teams_ws ON teams (workspace_id);

CREATE TABLE members (
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    data text NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE invitations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    token_sha256 bytea NOT NULL UNIQUE,
    data text NOT NULL
);

CREATE TABLE api_keys (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    secret_sha256 bytea NOT NULL UNIQUE,
    data text NOT NULL
);

CREATE TABLE integrations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    data text NOT NULL
);

CREATE TABLE calls (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    rep_id uuid NOT NULL,
    team_id uuid,
    started_at timestamptz NOT NULL,
    status text NOT NULL,
    outcome text NOT NULL,
    latest_score double precision,
    latest_rubric text,
    latest_talk_ratio double precision,
    data text NOT NULL
);
CREATE INDEX calls_list ON calls (workspace_id, started_at DESC, id DESC);
CREATE INDEX calls_rep ON calls (workspace_id, rep_id, started_at);
CREATE INDEX calls_team ON calls (workspace_id, team_id, started_at);

-- Records of a call carry its rep and team (kept in step by the store), so
-- their visibility policy is the same cheap expression as the call's
-- instead of a per-row subquery.
CREATE TABLE transcripts (
    call_id uuid PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL,
    rep_id uuid NOT NULL,
    team_id uuid,
    data text NOT NULL
);

CREATE TABLE scorecards (
    id uuid PRIMARY KEY,
    call_id uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL,
    rep_id uuid NOT NULL,
    team_id uuid,
    seq integer NOT NULL,
    reviewed boolean NOT NULL DEFAULT false,
    data text NOT NULL
);
CREATE INDEX scorecards_call ON scorecards (call_id, seq);

CREATE TABLE review_events (
    id bigserial PRIMARY KEY,
    scorecard_id uuid NOT NULL REFERENCES scorecards(id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL,
    data text NOT NULL
);
CREATE INDEX review_events_card ON review_events (scorecard_id, id);

CREATE TABLE call_verdicts (
    call_id uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL,
    rep_id uuid NOT NULL,
    team_id uuid,
    criterion_id text NOT NULL,
    value double precision NOT NULL,
    PRIMARY KEY (call_id, criterion_id)
);

CREATE TABLE subject_index (
    workspace_id uuid NOT NULL,
    rep_id uuid NOT NULL,
    team_id uuid,
    subject_hash bytea NOT NULL,
    call_id uuid NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, subject_hash, call_id)
);
CREATE INDEX subject_index_call ON subject_index (call_id);

-- Daily rollups for dashboards (team_id is the nil UUID for no team).
CREATE TABLE daily_stats (
    workspace_id uuid NOT NULL,
    day integer NOT NULL,
    rep_id uuid NOT NULL,
    team_id uuid NOT NULL,
    calls bigint NOT NULL DEFAULT 0,
    scored bigint NOT NULL DEFAULT 0,
    score_sum double precision NOT NULL DEFAULT 0,
    talk_sum double precision NOT NULL DEFAULT 0,
    talk_n bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day, rep_id, team_id)
);
CREATE TABLE daily_verdicts (
    workspace_id uuid NOT NULL,
    day integer NOT NULL,
    rep_id uuid NOT NULL,
    team_id uuid NOT NULL,
    criterion_id text NOT NULL,
    value_sum double precision NOT NULL DEFAULT 0,
    n bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day, rep_id, team_id, criterion_id)
);

-- Append-only audit log (no personal data; validated before writing).
CREATE TABLE audit_records (
    seq bigserial PRIMARY KEY,
    workspace_id uuid NOT NULL,
    data text NOT NULL
);
CREATE INDEX audit_records_ws ON audit_records (workspace_id, seq);

-- Row-Level Security: enabled and forced everywhere, a RESTRICTIVE tenant
-- policy, then permissive visibility policies.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['workspaces','teams','members','invitations','api_keys','integrations',
                           'calls','transcripts','scorecards','review_events','call_verdicts','subject_index',
                           'daily_stats','daily_verdicts','audit_records']
  LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
  END LOOP;
END $$;

-- Tenant: every row belongs to the scope's workspace. Invitations and API
-- keys may also be read by whoever presents the hash of their secret (the
-- authentication lookup, before a scope exists).
CREATE POLICY tenant ON workspaces AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON teams AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON members AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON invitations AS RESTRICTIVE FOR ALL
  USING (workspace_id = (SELECT closeq_ws()) OR token_sha256 = (SELECT closeq_lookup_hash())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON api_keys AS RESTRICTIVE FOR ALL
  USING (workspace_id = (SELECT closeq_ws()) OR secret_sha256 = (SELECT closeq_lookup_hash())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON integrations AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON calls AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON transcripts AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON scorecards AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON review_events AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON call_verdicts AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON subject_index AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON daily_stats AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON audit_records AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));
CREATE POLICY tenant ON daily_verdicts AS RESTRICTIVE FOR ALL USING (workspace_id = (SELECT closeq_ws())) WITH CHECK (workspace_id = (SELECT closeq_ws()));

-- Workspace-level records: everyone in the workspace reads; only owners,
-- admins (and the system) write.
CREATE POLICY read_all ON workspaces FOR SELECT USING (true);
CREATE POLICY admin_write ON workspaces FOR INSERT WITH CHECK ((SELECT closeq_is_admin()));
CREATE POLICY admin_update ON workspaces FOR UPDATE USING ((SELECT closeq_is_admin())) WITH CHECK ((SELECT closeq_is_admin()));
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['teams','members','invitations','api_keys','integrations'] LOOP
    EXECUTE format('CREATE POLICY read_all ON %I FOR SELECT USING (true)', t);
    EXECUTE format('CREATE POLICY admin_insert ON %I FOR INSERT WITH CHECK ((SELECT closeq_is_admin()))', t);
    EXECUTE format('CREATE POLICY admin_update ON %I FOR UPDATE USING ((SELECT closeq_is_admin())) WITH CHECK ((SELECT closeq_is_admin()))', t);
    EXECUTE format('CREATE POLICY admin_delete ON %I FOR DELETE USING ((SELECT closeq_is_admin()))', t);
  END LOOP;
END $$;

CREATE POLICY admin_read ON audit_records FOR SELECT USING ((SELECT closeq_is_admin()));
CREATE POLICY admin_append ON audit_records FOR INSERT WITH CHECK ((SELECT closeq_is_admin()));

-- Calls: the role-visibility rule, for reads and writes.
CREATE POLICY visible ON calls FOR ALL
  USING ((SELECT closeq_is_admin()) OR rep_id = (SELECT closeq_user()) OR team_id = ANY ((SELECT closeq_visible_teams())::uuid[]))
  WITH CHECK ((SELECT closeq_is_admin()) OR rep_id = (SELECT closeq_user()) OR team_id = ANY ((SELECT closeq_visible_teams())::uuid[]));
-- Records of a call, and the rollups: the same rule on their own rep and
-- team columns.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['transcripts','scorecards','call_verdicts','subject_index','daily_stats','daily_verdicts'] LOOP
    EXECUTE format('CREATE POLICY visible ON %I FOR ALL '
      'USING ((SELECT closeq_is_admin()) OR rep_id = (SELECT closeq_user()) OR team_id = ANY ((SELECT closeq_visible_teams())::uuid[])) '
      'WITH CHECK ((SELECT closeq_is_admin()) OR rep_id = (SELECT closeq_user()) OR team_id = ANY ((SELECT closeq_visible_teams())::uuid[]))', t);
  END LOOP;
END $$;
CREATE POLICY visible ON review_events FOR ALL
  USING (EXISTS (SELECT 1 FROM scorecards s WHERE s.id = scorecard_id))
  WITH CHECK (EXISTS (SELECT 1 FROM scorecards s WHERE s.id = scorecard_id));

-- Row-Level Security at the cost of a few per cent, not a third.
--
-- 1. The scope functions the policies call become PL/pgSQL. As SQL
--    functions they were inlined into every plan, and inlining parses the
--    function body each time: with a manager's policies (eight inlined
--    calls) planning took three times as long as without RLS. PL/pgSQL
--    functions are not inlined; each runs once per statement, as an
--    InitPlan, with its own cached plan. Same results, same volatility.
CREATE OR REPLACE FUNCTION closeq_ws() RETURNS uuid LANGUAGE plpgsql STABLE AS
$$ BEGIN RETURN NULLIF(current_setting('closeq.workspace_id', true), '')::uuid; END $$;
CREATE OR REPLACE FUNCTION closeq_user() RETURNS uuid LANGUAGE plpgsql STABLE AS
$$ BEGIN RETURN NULLIF(current_setting('closeq.user_id', true), '')::uuid; END $$;
CREATE OR REPLACE FUNCTION closeq_role() RETURNS text LANGUAGE plpgsql STABLE AS
$$ BEGIN RETURN COALESCE(current_setting('closeq.role', true), ''); END $$;
CREATE OR REPLACE FUNCTION closeq_teams() RETURNS uuid[] LANGUAGE plpgsql STABLE AS
$$ BEGIN RETURN COALESCE(string_to_array(NULLIF(current_setting('closeq.team_ids', true), ''), ',')::uuid[], '{}'); END $$;
CREATE OR REPLACE FUNCTION closeq_lookup_hash() RETURNS bytea LANGUAGE plpgsql STABLE AS
$$ BEGIN RETURN decode(NULLIF(current_setting('closeq.lookup_hash', true), ''), 'hex'); END $$;
CREATE OR REPLACE FUNCTION closeq_is_admin() RETURNS boolean LANGUAGE plpgsql STABLE AS
$$ BEGIN RETURN closeq_role() IN ('owner', 'admin', 'system'); END $$;
CREATE OR REPLACE FUNCTION closeq_visible_teams() RETURNS uuid[] LANGUAGE plpgsql STABLE AS
$$ BEGIN RETURN CASE WHEN closeq_role() = 'manager' THEN closeq_teams() ELSE '{}'::uuid[] END; END $$;

-- 2. A rep and a team belong to one workspace: tell the planner. Assuming
--    workspace, rep and team independent, it estimated a manager's
--    `rep_id = … OR team_id IN (…)` at a few dozen rows of a workspace
--    instead of thousands, and the list query flipped between an index
--    scan in list order and a bitmap scan plus sort (20× slower),
--    depending on the policies' extra quals.
CREATE STATISTICS calls_scope_deps (dependencies, ndistinct) ON workspace_id, rep_id, team_id FROM calls;
CREATE STATISTICS daily_stats_scope_deps (dependencies, ndistinct) ON workspace_id, rep_id, team_id FROM daily_stats;
CREATE STATISTICS daily_verdicts_scope_deps (dependencies, ndistinct) ON workspace_id, rep_id, team_id FROM daily_verdicts;

-- 3. A member's and a team's calls in list order: an index scan, no sort.
DROP INDEX calls_rep;
CREATE INDEX calls_rep ON calls (workspace_id, rep_id, started_at DESC, id DESC);
DROP INDEX calls_team;
CREATE INDEX calls_team ON calls (workspace_id, team_id, started_at DESC, id DESC);

-- 4. Criterion ids are ASCII slugs: compare them as bytes (as SQLite does).
--    The dashboard groups hit rates by criterion; a locale-aware sort of the
--    rollup rows cost more than reading them.
ALTER TABLE call_verdicts ALTER COLUMN criterion_id TYPE text COLLATE "C";
ALTER TABLE daily_verdicts ALTER COLUMN criterion_id TYPE text COLLATE "C";

-- One schema for SQLite and PostgreSQL where they differed for no reason:
-- the records of a call carry the call's workspace, rep and team (as on
-- PostgreSQL, where the visibility policies read them), and a rollup
-- without a team counts under the nil UUID instead of ''.
--
-- ADD COLUMN cannot add NOT NULL without a default: '' stands for "not yet
-- known" until the back-fill below, and the store always writes the real
-- value.

ALTER TABLE transcripts ADD COLUMN rep_id TEXT NOT NULL DEFAULT '';
ALTER TABLE transcripts ADD COLUMN team_id TEXT;
UPDATE transcripts SET
    rep_id = (SELECT c.rep_id FROM calls c WHERE c.id = transcripts.call_id),
    team_id = (SELECT c.team_id FROM calls c WHERE c.id = transcripts.call_id);

ALTER TABLE scorecards ADD COLUMN rep_id TEXT NOT NULL DEFAULT '';
ALTER TABLE scorecards ADD COLUMN team_id TEXT;
UPDATE scorecards SET
    rep_id = (SELECT c.rep_id FROM calls c WHERE c.id = scorecards.call_id),
    team_id = (SELECT c.team_id FROM calls c WHERE c.id = scorecards.call_id);

ALTER TABLE call_verdicts ADD COLUMN workspace_id TEXT NOT NULL DEFAULT '';
ALTER TABLE call_verdicts ADD COLUMN rep_id TEXT NOT NULL DEFAULT '';
ALTER TABLE call_verdicts ADD COLUMN team_id TEXT;
UPDATE call_verdicts SET
    workspace_id = (SELECT c.workspace_id FROM calls c WHERE c.id = call_verdicts.call_id),
    rep_id = (SELECT c.rep_id FROM calls c WHERE c.id = call_verdicts.call_id),
    team_id = (SELECT c.team_id FROM calls c WHERE c.id = call_verdicts.call_id);

ALTER TABLE subject_index ADD COLUMN rep_id TEXT NOT NULL DEFAULT '';
ALTER TABLE subject_index ADD COLUMN team_id TEXT;
UPDATE subject_index SET
    rep_id = (SELECT c.rep_id FROM calls c WHERE c.id = subject_index.call_id),
    team_id = (SELECT c.team_id FROM calls c WHERE c.id = subject_index.call_id);

-- Every tenant table has a workspace_id (the workspace's own row too).
ALTER TABLE workspaces ADD COLUMN workspace_id TEXT GENERATED ALWAYS AS (id) VIRTUAL;

UPDATE daily_stats SET team_id = '00000000-0000-0000-0000-000000000000' WHERE team_id = '';
UPDATE daily_verdicts SET team_id = '00000000-0000-0000-0000-000000000000' WHERE team_id = '';

-- A member's and a team's calls in list order (as on PostgreSQL).
DROP INDEX calls_rep;
CREATE INDEX calls_rep ON calls (workspace_id, rep_id, started_at DESC, id DESC);
DROP INDEX calls_team;
CREATE INDEX calls_team ON calls (workspace_id, team_id, started_at DESC, id DESC);

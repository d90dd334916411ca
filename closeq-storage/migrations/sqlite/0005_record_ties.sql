-- Issue 16: the records of a call carry the call's workspace, rep and
-- team (migration 0003), which the store's visibility rule reads. A record
-- must match its call (checked on every insert and on any change of those
-- columns), and a change of the call's carries over to its records, as
-- ON UPDATE CASCADE would (a foreign key cannot: team_id is NULL for a
-- call without a team, and a composite key with a NULL column is not
-- checked). Same rule as PostgreSQL's migration 0005.

-- Records written before this migration are brought in line first.
UPDATE transcripts SET
    workspace_id = (SELECT c.workspace_id FROM calls c WHERE c.id = transcripts.call_id),
    rep_id = (SELECT c.rep_id FROM calls c WHERE c.id = transcripts.call_id),
    team_id = (SELECT c.team_id FROM calls c WHERE c.id = transcripts.call_id)
WHERE NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = transcripts.call_id AND c.workspace_id = transcripts.workspace_id
      AND c.rep_id = transcripts.rep_id AND c.team_id IS transcripts.team_id);
UPDATE scorecards SET
    workspace_id = (SELECT c.workspace_id FROM calls c WHERE c.id = scorecards.call_id),
    rep_id = (SELECT c.rep_id FROM calls c WHERE c.id = scorecards.call_id),
    team_id = (SELECT c.team_id FROM calls c WHERE c.id = scorecards.call_id)
WHERE NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = scorecards.call_id AND c.workspace_id = scorecards.workspace_id
      AND c.rep_id = scorecards.rep_id AND c.team_id IS scorecards.team_id);
UPDATE call_verdicts SET
    workspace_id = (SELECT c.workspace_id FROM calls c WHERE c.id = call_verdicts.call_id),
    rep_id = (SELECT c.rep_id FROM calls c WHERE c.id = call_verdicts.call_id),
    team_id = (SELECT c.team_id FROM calls c WHERE c.id = call_verdicts.call_id)
WHERE NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = call_verdicts.call_id AND c.workspace_id = call_verdicts.workspace_id
      AND c.rep_id = call_verdicts.rep_id AND c.team_id IS call_verdicts.team_id);
UPDATE subject_index SET
    workspace_id = (SELECT c.workspace_id FROM calls c WHERE c.id = subject_index.call_id),
    rep_id = (SELECT c.rep_id FROM calls c WHERE c.id = subject_index.call_id),
    team_id = (SELECT c.team_id FROM calls c WHERE c.id = subject_index.call_id)
WHERE NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = subject_index.call_id AND c.workspace_id = subject_index.workspace_id
      AND c.rep_id = subject_index.rep_id AND c.team_id IS subject_index.team_id);
CREATE TRIGGER transcripts_match_call_insert BEFORE INSERT ON transcripts
WHEN NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = NEW.call_id AND c.workspace_id = NEW.workspace_id
      AND c.rep_id = NEW.rep_id AND c.team_id IS NEW.team_id)
BEGIN SELECT RAISE(ABORT, 'record_matches_call: a row of transcripts must carry its call''s workspace, rep and team'); END;
CREATE TRIGGER transcripts_match_call_update BEFORE UPDATE OF call_id, workspace_id, rep_id, team_id ON transcripts
WHEN NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = NEW.call_id AND c.workspace_id = NEW.workspace_id
      AND c.rep_id = NEW.rep_id AND c.team_id IS NEW.team_id)
BEGIN SELECT RAISE(ABORT, 'record_matches_call: a row of transcripts must carry its call''s workspace, rep and team'); END;
CREATE TRIGGER scorecards_match_call_insert BEFORE INSERT ON scorecards
WHEN NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = NEW.call_id AND c.workspace_id = NEW.workspace_id
      AND c.rep_id = NEW.rep_id AND c.team_id IS NEW.team_id)
BEGIN SELECT RAISE(ABORT, 'record_matches_call: a row of scorecards must carry its call''s workspace, rep and team'); END;
CREATE TRIGGER scorecards_match_call_update BEFORE UPDATE OF call_id, workspace_id, rep_id, team_id ON scorecards
WHEN NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = NEW.call_id AND c.workspace_id = NEW.workspace_id
      AND c.rep_id = NEW.rep_id AND c.team_id IS NEW.team_id)
BEGIN SELECT RAISE(ABORT, 'record_matches_call: a row of scorecards must carry its call''s workspace, rep and team'); END;
CREATE TRIGGER call_verdicts_match_call_insert BEFORE INSERT ON call_verdicts
WHEN NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = NEW.call_id AND c.workspace_id = NEW.workspace_id
      AND c.rep_id = NEW.rep_id AND c.team_id IS NEW.team_id)
BEGIN SELECT RAISE(ABORT, 'record_matches_call: a row of call_verdicts must carry its call''s workspace, rep and team'); END;
CREATE TRIGGER call_verdicts_match_call_update BEFORE UPDATE OF call_id, workspace_id, rep_id, team_id ON call_verdicts
WHEN NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = NEW.call_id AND c.workspace_id = NEW.workspace_id
      AND c.rep_id = NEW.rep_id AND c.team_id IS NEW.team_id)
BEGIN SELECT RAISE(ABORT, 'record_matches_call: a row of call_verdicts must carry its call''s workspace, rep and team'); END;
CREATE TRIGGER subject_index_match_call_insert BEFORE INSERT ON subject_index
WHEN NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = NEW.call_id AND c.workspace_id = NEW.workspace_id
      AND c.rep_id = NEW.rep_id AND c.team_id IS NEW.team_id)
BEGIN SELECT RAISE(ABORT, 'record_matches_call: a row of subject_index must carry its call''s workspace, rep and team'); END;
CREATE TRIGGER subject_index_match_call_update BEFORE UPDATE OF call_id, workspace_id, rep_id, team_id ON subject_index
WHEN NOT EXISTS (
    SELECT 1 FROM calls c WHERE c.id = NEW.call_id AND c.workspace_id = NEW.workspace_id
      AND c.rep_id = NEW.rep_id AND c.team_id IS NEW.team_id)
BEGIN SELECT RAISE(ABORT, 'record_matches_call: a row of subject_index must carry its call''s workspace, rep and team'); END;
CREATE TRIGGER calls_scope_to_records AFTER UPDATE OF workspace_id, rep_id, team_id ON calls
WHEN OLD.workspace_id IS NOT NEW.workspace_id OR OLD.rep_id IS NOT NEW.rep_id OR OLD.team_id IS NOT NEW.team_id
BEGIN
    UPDATE transcripts SET workspace_id = NEW.workspace_id, rep_id = NEW.rep_id, team_id = NEW.team_id WHERE call_id = NEW.id;
    UPDATE scorecards SET workspace_id = NEW.workspace_id, rep_id = NEW.rep_id, team_id = NEW.team_id WHERE call_id = NEW.id;
    UPDATE call_verdicts SET workspace_id = NEW.workspace_id, rep_id = NEW.rep_id, team_id = NEW.team_id WHERE call_id = NEW.id;
    UPDATE subject_index SET workspace_id = NEW.workspace_id, rep_id = NEW.rep_id, team_id = NEW.team_id WHERE call_id = NEW.id;
END;

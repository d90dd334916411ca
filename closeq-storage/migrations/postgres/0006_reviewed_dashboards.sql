-- Dashboards count each call's latest scorecard as reviewed (EU AI Act
-- Art. 14): a reviewer's override replaces the AI's score and verdicts, a
-- rejected card counts for nothing, and the rollups say how many calls are
-- still unreviewed suggestions and how many were rejected. The store keeps
-- these columns on every write, reviews included; this migration brings
-- the rows written before it to the same state and rebuilds the rollups.
ALTER TABLE calls ADD COLUMN latest_review text;
ALTER TABLE daily_stats
    ADD COLUMN unreviewed bigint NOT NULL DEFAULT 0,
    ADD COLUMN rejected bigint NOT NULL DEFAULT 0;

-- The owner runs the back-fill with the tables' Row-Level Security lifted
-- (forced, it would see no rows: no scope is set here).
ALTER TABLE calls NO FORCE ROW LEVEL SECURITY;
ALTER TABLE scorecards NO FORCE ROW LEVEL SECURITY;
ALTER TABLE call_verdicts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE daily_stats NO FORCE ROW LEVEL SECURITY;
ALTER TABLE daily_verdicts NO FORCE ROW LEVEL SECURITY;

-- The review state of each call's latest card (the highest seq).
UPDATE calls c SET latest_review = (
    SELECT s.data::jsonb #>> '{review,state}' FROM scorecards s
    WHERE s.call_id = c.id ORDER BY s.seq DESC LIMIT 1
);

-- Rejected: no score, no talk ratio, no verdicts.
UPDATE calls SET latest_score = NULL, latest_talk_ratio = NULL WHERE latest_review = 'rejected';
DELETE FROM call_verdicts v USING calls c WHERE c.id = v.call_id AND c.latest_review = 'rejected';

-- Overridden: the reviewer's overall score (the last change that sets one).
UPDATE calls c SET latest_score = COALESCE((
    SELECT (j.value ->> 'score')::double precision
    FROM scorecards s
    CROSS JOIN LATERAL jsonb_array_elements(s.data::jsonb #> '{review,changes}') WITH ORDINALITY AS j(value, k)
    WHERE s.call_id = c.id
      AND s.seq = (SELECT MAX(n.seq) FROM scorecards n WHERE n.call_id = c.id)
      AND j.value ->> 'criterion_id' IS NULL
      AND j.value ->> 'score' IS NOT NULL
    ORDER BY j.k DESC LIMIT 1
), latest_score)
WHERE latest_review = 'overridden';

-- Overridden: the reviewer's verdicts (the last change per criterion).
CREATE VIEW closeq_0006_reviewed_verdicts AS
SELECT call_id, criterion_id, verdict FROM (
    SELECT s.call_id AS call_id,
           j.value ->> 'criterion_id' AS criterion_id,
           j.value ->> 'verdict' AS verdict,
           ROW_NUMBER() OVER (PARTITION BY s.call_id, j.value ->> 'criterion_id' ORDER BY j.k DESC) AS nth
    FROM calls c
    JOIN scorecards s ON s.call_id = c.id
        AND s.seq = (SELECT MAX(n.seq) FROM scorecards n WHERE n.call_id = c.id)
    CROSS JOIN LATERAL jsonb_array_elements(s.data::jsonb #> '{review,changes}') WITH ORDINALITY AS j(value, k)
    WHERE c.latest_review = 'overridden'
      AND j.value ->> 'criterion_id' IS NOT NULL
      AND j.value ->> 'verdict' IS NOT NULL
) ranked WHERE nth = 1;

DELETE FROM call_verdicts v USING closeq_0006_reviewed_verdicts r
WHERE r.call_id = v.call_id AND r.criterion_id = v.criterion_id;
INSERT INTO call_verdicts (call_id, workspace_id, rep_id, team_id, criterion_id, value)
SELECT c.id, c.workspace_id, c.rep_id, c.team_id, r.criterion_id,
       CASE r.verdict WHEN 'met' THEN 1.0 WHEN 'partial' THEN 0.5 ELSE 0.0 END
FROM closeq_0006_reviewed_verdicts r JOIN calls c ON c.id = r.call_id
WHERE r.verdict <> 'not_applicable';
DROP VIEW closeq_0006_reviewed_verdicts;

-- The rollups, rebuilt from the calls (no team is the nil UUID).
DELETE FROM daily_stats;
DELETE FROM daily_verdicts;
INSERT INTO daily_stats (workspace_id, day, rep_id, team_id, calls, scored, score_sum, talk_sum, talk_n, unreviewed, rejected)
SELECT workspace_id,
       floor(extract(epoch FROM started_at) / 86400)::integer,
       rep_id,
       COALESCE(team_id, '00000000-0000-0000-0000-000000000000'::uuid),
       COUNT(*), COUNT(latest_score), COALESCE(SUM(latest_score), 0.0),
       COALESCE(SUM(latest_talk_ratio), 0.0), COUNT(latest_talk_ratio),
       COUNT(CASE WHEN latest_review = 'suggested' AND latest_score IS NOT NULL THEN 1 END),
       COUNT(CASE WHEN latest_review = 'rejected' THEN 1 END)
FROM calls GROUP BY 1, 2, 3, 4;
INSERT INTO daily_verdicts (workspace_id, day, rep_id, team_id, criterion_id, value_sum, n)
SELECT c.workspace_id,
       floor(extract(epoch FROM c.started_at) / 86400)::integer,
       c.rep_id,
       COALESCE(c.team_id, '00000000-0000-0000-0000-000000000000'::uuid),
       v.criterion_id, SUM(v.value), COUNT(*)
FROM calls c JOIN call_verdicts v ON v.call_id = c.id
WHERE c.latest_score IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;

ALTER TABLE calls FORCE ROW LEVEL SECURITY;
ALTER TABLE scorecards FORCE ROW LEVEL SECURITY;
ALTER TABLE call_verdicts FORCE ROW LEVEL SECURITY;
ALTER TABLE daily_stats FORCE ROW LEVEL SECURITY;
ALTER TABLE daily_verdicts FORCE ROW LEVEL SECURITY;

-- A call holds at most one scorecard per (rubric id, rubric version,
-- scorer name): scoring it again with the same rubric version and scorer
-- is a duplicate (the store reports AlreadyExists), not a second card.
-- The key is read from the card itself, so it cannot drift from it.
ALTER TABLE scorecards
    ADD COLUMN rubric_id text GENERATED ALWAYS AS (data::jsonb #>> '{provenance,rubric_id}') STORED,
    ADD COLUMN rubric_version text GENERATED ALWAYS AS (data::jsonb #>> '{provenance,rubric_version}') STORED,
    ADD COLUMN scorer text GENERATED ALWAYS AS (data::jsonb #>> '{provenance,scorer}') STORED,
    ADD COLUMN superseded boolean NOT NULL DEFAULT false;

-- Cards written before the rule that repeat a key are kept, with their
-- reviews: all but the newest of each key (the highest seq) are marked
-- superseded and stand outside the rule. The store never sets the mark.
-- The owner runs this with the table's Row-Level Security lifted for the
-- statement (forced, it would see no rows: no scope is set here).
ALTER TABLE scorecards NO FORCE ROW LEVEL SECURITY;
UPDATE scorecards s SET superseded = true WHERE EXISTS (
    SELECT 1 FROM scorecards n
    WHERE n.call_id = s.call_id
      AND n.rubric_id = s.rubric_id
      AND n.rubric_version = s.rubric_version
      AND n.scorer = s.scorer
      AND (n.seq > s.seq OR (n.seq = s.seq AND n.id > s.id))
);
ALTER TABLE scorecards FORCE ROW LEVEL SECURITY;

CREATE UNIQUE INDEX scorecards_one_per_scorer
    ON scorecards (call_id, rubric_id, rubric_version, scorer) WHERE NOT superseded;

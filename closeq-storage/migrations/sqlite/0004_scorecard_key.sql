-- A call holds at most one scorecard per (rubric id, rubric version,
-- scorer name): scoring it again with the same rubric version and scorer
-- is a duplicate (the store reports AlreadyExists), not a second card.
-- The key is read from the card itself, so it cannot drift from it.
ALTER TABLE scorecards ADD COLUMN rubric_id TEXT
    GENERATED ALWAYS AS (json_extract(data, '$.provenance.rubric_id')) VIRTUAL;
ALTER TABLE scorecards ADD COLUMN rubric_version TEXT
    GENERATED ALWAYS AS (json_extract(data, '$.provenance.rubric_version')) VIRTUAL;
ALTER TABLE scorecards ADD COLUMN scorer TEXT
    GENERATED ALWAYS AS (json_extract(data, '$.provenance.scorer')) VIRTUAL;

-- Cards written before the rule that repeat a key are kept, with their
-- reviews: all but the newest of each key (the highest seq) are marked
-- superseded and stand outside the rule. The store never sets the mark.
ALTER TABLE scorecards ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;
UPDATE scorecards SET superseded = 1 WHERE EXISTS (
    SELECT 1 FROM scorecards n
    WHERE n.call_id = scorecards.call_id
      AND n.rubric_id = scorecards.rubric_id
      AND n.rubric_version = scorecards.rubric_version
      AND n.scorer = scorecards.scorer
      AND (n.seq > scorecards.seq OR (n.seq = scorecards.seq AND n.id > scorecards.id))
);

CREATE UNIQUE INDEX scorecards_one_per_scorer
    ON scorecards (call_id, rubric_id, rubric_version, scorer) WHERE superseded = 0;

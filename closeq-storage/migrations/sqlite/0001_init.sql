-- CloseQ schema for SQLite. Records are stored as JSON documents (`data`)
-- with the columns queries filter, sort and join on alongside.
CREATE TABLE workspaces (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    data TEXT NOT NULL
);
CREATE INDEX teams_ws ON teams (workspace_id);

CREATE TABLE members (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    token_sha256 BLOB NOT NULL UNIQUE,
    data TEXT NOT NULL
);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    secret_sha256 BLOB NOT NULL UNIQUE,
    data TEXT NOT NULL
);

CREATE TABLE integrations (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    data TEXT NOT NULL
);

CREATE TABLE calls (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    rep_id TEXT NOT NULL,
    team_id TEXT,
    started_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL,
    latest_score REAL,
    latest_rubric TEXT,
    latest_talk_ratio REAL,
    data TEXT NOT NULL
);
CREATE INDEX calls_list ON calls (workspace_id, started_at DESC, id DESC);
CREATE INDEX calls_rep ON calls (workspace_id, rep_id, started_at);
CREATE INDEX calls_team ON calls (workspace_id, team_id, started_at);

CREATE TABLE transcripts (
    call_id TEXT PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    data TEXT NOT NULL
);

CREATE TABLE scorecards (
    id TEXT PRIMARY KEY,
    call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    reviewed INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
);
CREATE INDEX scorecards_call ON scorecards (call_id, seq);

CREATE TABLE review_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scorecard_id TEXT NOT NULL REFERENCES scorecards(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX review_events_card ON review_events (scorecard_id, id);

-- Verdicts of each call's latest scorecard, for hit rates.
CREATE TABLE call_verdicts (
    call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    criterion_id TEXT NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (call_id, criterion_id)
);

-- Keyed hashes (HMAC-SHA256) of the identifiers a call holds.
CREATE TABLE subject_index (
    workspace_id TEXT NOT NULL,
    subject_hash BLOB NOT NULL,
    call_id TEXT NOT NULL REFERENCES calls(id) ON DELETE CASCADE,
    PRIMARY KEY (workspace_id, subject_hash, call_id)
);
CREATE INDEX subject_index_call ON subject_index (call_id);

-- Daily rollups for dashboards, maintained on every write so a dashboard
-- over any range reads a few hundred rows, not every call. `team_id` is ''
-- for calls without a team.
CREATE TABLE daily_stats (
    workspace_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    rep_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    calls INTEGER NOT NULL DEFAULT 0,
    scored INTEGER NOT NULL DEFAULT 0,
    score_sum REAL NOT NULL DEFAULT 0,
    talk_sum REAL NOT NULL DEFAULT 0,
    talk_n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day, rep_id, team_id)
);

CREATE TABLE daily_verdicts (
    workspace_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    rep_id TEXT NOT NULL,
    team_id TEXT NOT NULL,
    criterion_id TEXT NOT NULL,
    value_sum REAL NOT NULL DEFAULT 0,
    n INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, day, rep_id, team_id, criterion_id)
);

-- Append-only audit log (no personal data; validated before writing).
CREATE TABLE audit_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX audit_records_ws ON audit_records (workspace_id, seq);

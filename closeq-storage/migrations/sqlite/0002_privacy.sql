-- Data-subject requests, subject flags (restriction, objection) and
-- call-recording consent.

-- A request's subject lives in `data` while the request is open; a
-- completed erasure request keeps only the kind.
CREATE TABLE subject_requests (
    id TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    received_at INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX subject_requests_ws ON subject_requests (workspace_id, received_at DESC, id DESC);

-- Keyed hashes only, as in subject_index.
CREATE TABLE subject_flags (
    workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    subject_hash BLOB NOT NULL,
    restricted INTEGER NOT NULL,
    objected INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, subject_hash)
);

CREATE TABLE call_consents (
    call_id TEXT PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
    workspace_id TEXT NOT NULL,
    data TEXT NOT NULL
);

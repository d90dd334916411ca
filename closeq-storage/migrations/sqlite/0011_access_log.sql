-- The access log: who read which call, transcript, scorecard or recording,
-- and who was handed a signed URL (WorkspaceStore::append_access). No
-- personal data: actor id, action code, the ids read (16 bytes each,
-- concatenated), time (microseconds since the epoch). AUTOINCREMENT: a
-- number is never handed out twice, though expiry removes records.
CREATE TABLE access_records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('call.read', 'call.list', 'transcript.read',
                                           'scorecard.read', 'audio.read', 'audio.url_issued')),
    -- 16-byte ids, at most 1,000.
    resources BLOB NOT NULL
      CHECK (length(resources) % 16 = 0 AND length(resources) <= 16000)
);
CREATE INDEX access_records_at ON access_records (workspace_id, at);

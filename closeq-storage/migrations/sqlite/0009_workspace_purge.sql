-- What is left of a purged workspace: a receipt with a fresh id, when, why
-- and how much went; nothing that names the workspace (see
-- WorkspaceStore::delete_workspace).
CREATE TABLE purge_receipts (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

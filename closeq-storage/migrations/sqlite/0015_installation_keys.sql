-- Fingerprints (HMAC-SHA256 of a fixed label) of the installation's keys:
-- every process of one installation must use the same keys
-- (SqlStore::check_installation_keys). No personal data, no workspace.
CREATE TABLE installation_keys (
    name TEXT PRIMARY KEY,
    fingerprint BLOB NOT NULL CHECK (length(fingerprint) = 32)
);

-- Fingerprints (HMAC-SHA256 of a fixed label) of the installation's keys:
-- every process of one installation must use the same keys
-- (SqlStore::check_installation_keys). No personal data, no workspace, so
-- no Row-Level Security: the runtime role records and reads them.
CREATE TABLE installation_keys (
    name text PRIMARY KEY,
    fingerprint bytea NOT NULL CHECK (octet_length(fingerprint) = 32)
);

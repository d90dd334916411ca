-- The time of each audit record in a column of its own (microseconds since
-- the epoch, as the store binds times), so the technical-log retention rule
-- (90 days) can expire records by age. Back-filled from the documents.
ALTER TABLE audit_records ADD COLUMN at INTEGER;
UPDATE audit_records
   SET at = CAST(ROUND((julianday(json_extract(data, '$.at')) - 2440587.5) * 86400000000.0) AS INTEGER);
CREATE INDEX audit_records_at ON audit_records (workspace_id, at);

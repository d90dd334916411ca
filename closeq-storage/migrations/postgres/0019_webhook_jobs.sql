-- Webhook deliveries are jobs of their own kind (delivered with the
-- queue's retries and backoff).
ALTER TABLE jobs DROP CONSTRAINT jobs_kind_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_kind_check CHECK (kind IN ('transcribe', 'analyze',
  'retention_sweep', 'data_subject_request', 'webhook'));

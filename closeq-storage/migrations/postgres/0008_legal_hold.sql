-- A restriction for legal claims (GDPR Art. 18(1)(c)) holds the subject's
-- calls back from the retention sweep; existing restrictions are ordinary.
ALTER TABLE subject_flags ADD COLUMN legal_hold boolean NOT NULL DEFAULT false;

-- Word timings in a compact binary column of their own (see
-- src/word_codec.rs); the JSON document keeps the rest. NULL in rows
-- written before: their words are inside the JSON, read as before.
ALTER TABLE transcripts ADD COLUMN words bytea;

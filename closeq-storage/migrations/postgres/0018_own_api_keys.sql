-- Every member may create API keys in their own name: a key acts with its
-- creator's role and teams, so it grants nothing the member lacks (the
-- HTTP API authenticates managers and reps with their own keys). Owners
-- and admins still create theirs through admin_insert; nobody creates a
-- key in another's name (the store checks it as well).
CREATE POLICY own_insert ON api_keys FOR INSERT
  WITH CHECK ((data::jsonb ->> 'created_by')::uuid = (SELECT closeq_user()));

-- A member corrects their own account data (WorkspaceStore::rectify_own_account):
-- they may update their own member row — only its time zone and
-- preferences, in the shapes the store reads back (a trigger checks) — and
-- file a rectification request about themselves, received now (open, for
-- an admin) or completed now. Name and e-mail address are not theirs to
-- change: erasure and invitations match on them.

-- Whether a JSON object has no duplicate keys (jsonb keeps the last of
-- each; the store's reader refuses duplicates). Not an object: true.
CREATE FUNCTION closeq_keys_unique(j json) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT json_typeof(j) IS DISTINCT FROM 'object'
      OR (SELECT count(*) FROM json_object_keys(j)) = (SELECT count(*) FROM jsonb_object_keys(j::jsonb))
$$;

-- Whether `j` is absent, null, or a string matching `pattern`.
CREATE FUNCTION closeq_opt_string(j jsonb, pattern text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT j IS NULL OR jsonb_typeof(j) = 'null'
      OR (jsonb_typeof(j) = 'string' AND (j #>> '{}') ~ pattern)
$$;

CREATE POLICY self_update ON members FOR UPDATE
  USING (user_id = (SELECT closeq_user()))
  WITH CHECK (user_id = (SELECT closeq_user()));

CREATE FUNCTION closeq_member_self_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  account constant text[] := ARRAY['time_zone', 'preferences'];
  n jsonb;
  p jsonb;
  notes jsonb;
  ok boolean;
BEGIN
  IF closeq_is_admin() THEN
    RETURN NEW;
  END IF;
  n := NEW.data::jsonb;
  p := n -> 'preferences';
  notes := p -> 'notifications';
  ok := (OLD.data::jsonb - account) IS NOT DISTINCT FROM (n - account)
    AND closeq_keys_unique(NEW.data::json)
    AND closeq_keys_unique(NEW.data::json -> 'preferences')
    AND closeq_keys_unique(NEW.data::json -> 'preferences' -> 'notifications')
    AND closeq_opt_string(n -> 'time_zone', '^[A-Za-z0-9/_+-]{1,64}$')
    AND (p IS NULL OR (
      jsonb_typeof(p) = 'object'
      AND NOT EXISTS (SELECT 1 FROM jsonb_object_keys(p) k WHERE k NOT IN ('locale', 'notifications'))
      AND closeq_opt_string(p -> 'locale', '^[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|[0-9]{3}))?$')
      AND (notes IS NULL OR (
        jsonb_typeof(notes) = 'object'
        AND NOT EXISTS (SELECT 1 FROM jsonb_each(notes) e
                        WHERE e.key NOT IN ('review_requests', 'weekly_summary')
                           OR jsonb_typeof(e.value) <> 'boolean')))));
  IF ok IS NOT TRUE THEN
    RAISE EXCEPTION 'a member changes only their own account data (time zone, preferences)'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER member_self_update BEFORE UPDATE ON members
  FOR EACH ROW EXECUTE FUNCTION closeq_member_self_update();

-- A member's own rectification request, as the store writes it: its id,
-- workspace and time matching the columns, about the acting member, new
-- (received within five minutes of now), due within a month, no
-- extensions, received or completed now; no unknown or duplicate keys;
-- times in RFC 3339 and ids hyphenated, as the store reads them.
CREATE FUNCTION closeq_own_request_ok(req_id uuid, ws uuid, received timestamptz, doc text)
RETURNS boolean LANGUAGE plpgsql STABLE AS $$
DECLARE
  d jsonb;
  st jsonb;
  rfc3339 constant text := '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$';
  recent constant interval := interval '5 minutes';
BEGIN
  d := doc::jsonb;
  st := d -> 'state';
  IF NOT (closeq_keys_unique(doc::json) AND closeq_keys_unique(doc::json -> 'subject')
          AND closeq_keys_unique(doc::json -> 'state')) THEN
    RETURN false;
  END IF;
  IF EXISTS (SELECT 1 FROM jsonb_object_keys(d) k
             WHERE k NOT IN ('id', 'workspace_id', 'subject', 'subject_kind', 'kind',
                             'received_at', 'answer_days', 'extensions', 'state')) THEN
    RETURN false;
  END IF;
  RETURN d ->> 'id' = req_id::text
    AND substr(req_id::text, 15, 1) = '7'
    AND d ->> 'workspace_id' = ws::text
    AND (d ->> 'received_at') ~ rfc3339
    AND abs(extract(epoch FROM (d ->> 'received_at')::timestamptz - received)) < 0.001
    AND received BETWEEN now() - recent AND now() + recent
    AND d -> 'subject' = jsonb_build_object('kind', 'user', 'value', closeq_user()::text)
    AND d ->> 'subject_kind' = 'user'
    AND d ->> 'kind' = 'rectification'
    AND jsonb_typeof(d -> 'answer_days') = 'number'
    AND (d ->> 'answer_days') ~ '^[0-9]{1,2}$'
    AND (d ->> 'answer_days')::int BETWEEN 1 AND 31
    AND d -> 'extensions' = '[]'::jsonb
    AND (st = '{"state": "received"}'::jsonb
         OR (st ->> 'state' = 'completed'
             AND (SELECT count(*) FROM jsonb_object_keys(st)) = 2
             AND (st ->> 'at') ~ rfc3339
             AND (st ->> 'at')::timestamptz BETWEEN now() - recent AND now() + recent));
EXCEPTION WHEN others THEN
  RETURN false;
END $$;

CREATE POLICY self_rectification ON subject_requests FOR INSERT WITH CHECK (
  closeq_own_request_ok(id, workspace_id, received_at, data));

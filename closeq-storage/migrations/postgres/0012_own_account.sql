-- A member corrects their own account data (WorkspaceStore::rectify_own_account):
-- their own member row may be updated by them — only its display name,
-- e-mail address, time zone and preferences (a trigger compares the rest) —
-- and they may add the completed rectification request about themselves.
CREATE POLICY self_update ON members FOR UPDATE
  USING (user_id = (SELECT closeq_user()))
  WITH CHECK (user_id = (SELECT closeq_user()));

CREATE FUNCTION closeq_member_self_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  account constant text[] := ARRAY['display_name', 'email', 'time_zone', 'preferences'];
BEGIN
  IF NOT closeq_is_admin()
     AND (OLD.data::jsonb - account) IS DISTINCT FROM (NEW.data::jsonb - account) THEN
    RAISE EXCEPTION 'a member changes only their own account data'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER member_self_update BEFORE UPDATE ON members
  FOR EACH ROW EXECUTE FUNCTION closeq_member_self_update();

CREATE POLICY self_rectification ON subject_requests FOR INSERT WITH CHECK (
  (data::jsonb ->> 'kind') = 'rectification'
  AND (data::jsonb -> 'subject' ->> 'kind') = 'user'
  AND (data::jsonb -> 'subject' ->> 'value') = (SELECT closeq_user())::text
  AND (data::jsonb -> 'state' ->> 'state') = 'completed');

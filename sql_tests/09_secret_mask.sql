--
-- The signing key is shown to nobody, superusers included: once set,
-- invite_api.jwt_secret reads as ******** in SHOW, current_setting() and
-- every column of pg_settings, while tokens are still verified with the key.
-- The test servers set the key in postgresql.conf (test/regress.conf).
--
-- Event 90900, managed by user 909001.
INSERT INTO invite_api.users (id, username) VALUES (909001, 'regress-mask');
INSERT INTO invite_api.events (id, name) VALUES (90900, 'mask');
INSERT INTO invite_api.event_managers VALUES (90900, 909001);

-- Which key verifies: "accepted", or the SQLSTATE of the refusal.
CREATE FUNCTION regress_verifies(secret text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM invite_api.event_invites_page(90900, 1, 0,
                                          invite_test.token(909001, '1 hour', secret));
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END;
$$;
-- The key of the configuration file, and two others.
CREATE FUNCTION regress_keys() RETURNS TABLE (file_key text, key_a text, key_b text)
LANGUAGE sql AS $$
    SELECT regress_verifies(invite_test.secret()),
           regress_verifies('regress-other-key-a-0123456789abcdef'),
           regress_verifies('regress-other-key-b-0123456789abcdef')
$$;

-- Every column of the setting's pg_settings row, as the current role sees
-- it (the file name and line are only said to be there), and whether any of
-- them holds one of the keys.
CREATE FUNCTION regress_settings_row()
RETURNS TABLE (col text, val text)
LANGUAGE sql AS $$
    SELECT c.key, CASE WHEN c.key IN ('sourcefile', 'sourceline') AND c.value IS NOT NULL
                       THEN '(set)' ELSE c.value END
      FROM pg_settings s, jsonb_each_text(to_jsonb(s)) AS c
     WHERE s.name = 'invite_api.jwt_secret'
     ORDER BY c.key
$$;
CREATE FUNCTION regress_key_shown() RETURNS boolean
LANGUAGE sql AS $$
    SELECT EXISTS (
        SELECT FROM pg_settings s, jsonb_each_text(to_jsonb(s)) AS c
         WHERE s.name = 'invite_api.jwt_secret'
           AND (strpos(c.value, invite_test.secret()) > 0
                OR strpos(c.value, 'regress-other-key') > 0))
        OR strpos(current_setting('invite_api.jwt_secret'), 'regress') > 0
$$;

-- A superuser sees the mask, and the key of postgresql.conf verifies.
SHOW invite_api.jwt_secret;
SELECT current_setting('invite_api.jwt_secret');
SELECT * FROM regress_settings_row();
SELECT regress_key_shown();
SELECT * FROM regress_keys();

-- So do pg_read_all_settings and pg_monitor members.
CREATE ROLE regress_mask_settings IN ROLE pg_read_all_settings;
CREATE ROLE regress_mask_monitor IN ROLE pg_monitor;
GRANT EXECUTE ON FUNCTION regress_settings_row(), regress_key_shown() TO
    regress_mask_settings, regress_mask_monitor;
GRANT USAGE ON SCHEMA invite_test TO regress_mask_settings, regress_mask_monitor;
SET ROLE regress_mask_settings;
SHOW invite_api.jwt_secret;
SELECT current_setting('invite_api.jwt_secret');
SELECT col, val FROM regress_settings_row() WHERE col IN ('setting', 'reset_val', 'boot_val');
SELECT regress_key_shown();
SET ROLE regress_mask_monitor;
SHOW invite_api.jwt_secret;
SELECT col, val FROM regress_settings_row() WHERE col IN ('setting', 'reset_val', 'boot_val');
SELECT regress_key_shown();
RESET ROLE;
-- Other roles cannot read it at all.
CREATE ROLE regress_mask_plain;
SET ROLE regress_mask_plain;
SHOW invite_api.jwt_secret;
SELECT count(*) FROM pg_settings WHERE name = 'invite_api.jwt_secret';
RESET ROLE;

-- SET: another key verifies, and is masked; RESET brings back the file's.
SET invite_api.jwt_secret = 'regress-other-key-a-0123456789abcdef';
SHOW invite_api.jwt_secret;
SELECT col, val FROM regress_settings_row() WHERE col IN ('setting', 'reset_val', 'boot_val', 'source');
SELECT regress_key_shown();
SELECT * FROM regress_keys();
RESET invite_api.jwt_secret;
SELECT * FROM regress_keys();
SET invite_api.jwt_secret = 'regress-other-key-a-0123456789abcdef';
SET invite_api.jwt_secret TO DEFAULT;
SELECT * FROM regress_keys();

-- Transactions: an aborted SET, SET LOCAL, a savepoint rolled back, a
-- committed SET each leave the key they should.
BEGIN;
SET invite_api.jwt_secret = 'regress-other-key-a-0123456789abcdef';
SELECT * FROM regress_keys();
ROLLBACK;
SELECT * FROM regress_keys();
BEGIN;
SET LOCAL invite_api.jwt_secret = 'regress-other-key-b-0123456789abcdef';
SELECT * FROM regress_keys();
COMMIT;
SELECT * FROM regress_keys();
SET invite_api.jwt_secret = 'regress-other-key-a-0123456789abcdef';
BEGIN;
SAVEPOINT s;
SET invite_api.jwt_secret = 'regress-other-key-b-0123456789abcdef';
SELECT * FROM regress_keys();
ROLLBACK TO SAVEPOINT s;
SELECT * FROM regress_keys();
SET LOCAL invite_api.jwt_secret = 'regress-other-key-b-0123456789abcdef';
SELECT * FROM regress_keys();
COMMIT;
SELECT * FROM regress_keys();
-- A function's own SET is refused (its value would be in pg_proc).
CREATE FUNCTION regress_mask_fn() RETURNS int LANGUAGE sql
    SET invite_api.jwt_secret FROM CURRENT AS 'SELECT 1';
\echo sqlstate :LAST_ERROR_SQLSTATE
RESET invite_api.jwt_secret;

-- The mask is not a key: setting it is refused, and copying the current
-- value copies the mask, so it is refused too.
SET invite_api.jwt_secret = '********';
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_secret FROM CURRENT;
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT set_config('invite_api.jwt_secret', current_setting('invite_api.jwt_secret'), false);
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT * FROM regress_keys();

-- Unset, it shows empty, and there is no key.
SET invite_api.jwt_secret = '';
SHOW invite_api.jwt_secret;
SELECT * FROM regress_keys();
RESET invite_api.jwt_secret;

-- Parallel workers get the leader's settings as text, the mask included:
-- they accept it as "a key is set here" and never turn it into a key, and
-- the leader keeps its own.
SET invite_api.jwt_secret = 'regress-other-key-a-0123456789abcdef';
SELECT CASE WHEN current_setting('server_version_num')::int >= 160000
            THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END AS force_parallel \gset
SELECT set_config(:'force_parallel', 'on', false) AS forced;
SET parallel_leader_participation = off;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
    SELECT current_setting('invite_api.jwt_secret');
SELECT current_setting('invite_api.jwt_secret') AS in_worker;
RESET parallel_leader_participation;
SELECT set_config(:'force_parallel', 'off', false) AS forced;
SELECT * FROM regress_keys();
RESET invite_api.jwt_secret;

DROP FUNCTION regress_keys(), regress_verifies(text), regress_settings_row(),
    regress_key_shown();
REVOKE USAGE ON SCHEMA invite_test FROM regress_mask_settings, regress_mask_monitor;
DROP ROLE regress_mask_settings, regress_mask_monitor, regress_mask_plain;
DELETE FROM invite_api.events WHERE id = 90900;
DELETE FROM invite_api.users WHERE id = 909001;

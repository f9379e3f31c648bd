--
-- Inviting and uninviting with least privilege, isolated from the caller's
-- name space (on 20_invite_users' fixture: user 1 manages events 1 and 2,
-- user 3 manages event 3).  Drops what 20_ and 21_ added.
--
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SELECT invite_test.token(1) AS ann \gset

-- Nobody may call the functions until granted.
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_execute
  FROM pg_proc p
 WHERE p.oid IN ('invite_api.event_invite_users'::regproc, 'invite_api.event_uninvite_users'::regproc)
 ORDER BY 1;

CREATE ROLE regress_invite_writer;
CREATE ROLE regress_invite_nobody;
GRANT USAGE ON SCHEMA invite_api TO regress_invite_writer, regress_invite_nobody;
GRANT EXECUTE ON FUNCTION invite_api.event_invite_users(bigint, bigint[], text),
                          invite_api.event_uninvite_users(bigint, bigint[], text)
    TO regress_invite_writer;

-- USAGE alone is not enough.
SET ROLE regress_invite_nobody;
SELECT invite_api.event_invite_users(1, '{50}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, '{23}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
RESET ROLE;

-- USAGE and EXECUTE are enough to invite and uninvite (as the token's user,
-- whatever the role) ...
SET ROLE regress_invite_writer;
SELECT invite_api.event_invite_users(1, '{50, 51}', :'ann') AS created;
SELECT invite_api.event_uninvite_users(1, '{51}', :'ann') AS removed;
-- ... and to get the same errors,
SELECT invite_api.event_invite_users(3, '{50}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(1, '{999999}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
-- ... but reach nothing else: neither read nor write the tables, nor lock
-- an event.
SELECT count(*) FROM invite_api.event_invites;
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT count(*) FROM invite_api.users;
\echo sqlstate :LAST_ERROR_SQLSTATE
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (1, 52);
\echo sqlstate :LAST_ERROR_SQLSTATE
DELETE FROM invite_api.event_invites WHERE event_id = 1;
\echo sqlstate :LAST_ERROR_SQLSTATE
UPDATE invite_api.event_invites SET invited_by = 2;
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT FROM invite_api.events WHERE id = 1 FOR NO KEY UPDATE;
\echo sqlstate :LAST_ERROR_SQLSTATE
INSERT INTO invite_api.event_managers VALUES (3, 1);
\echo sqlstate :LAST_ERROR_SQLSTATE
-- Nor the page, which was not granted.
SELECT invite_api.event_invites_page(1, 1, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
RESET ROLE;
SELECT user_id, invited_by FROM invite_api.event_invites WHERE event_id = 1 AND user_id >= 50 ORDER BY 1;

-- The caller's search_path and temporary objects change nothing: shadow
-- every table (the shadows say user 1 manages event 3, that event
-- 9000000000 and user 999999 exist), "=" for bigint (always true: every
-- user would exist, every invite match), unnest(), count(*) and
-- statement_timestamp(), where they would be found first.
CREATE SCHEMA regress_evil;
CREATE TABLE regress_evil.events (id bigint, name text);
CREATE TABLE regress_evil.event_managers (event_id bigint, user_id bigint);
CREATE TABLE regress_evil.event_invites (LIKE invite_api.event_invites);
CREATE TABLE regress_evil.users (LIKE invite_api.users);
INSERT INTO regress_evil.events VALUES (3, 'stolen'), (9000000000, 'fake');
INSERT INTO regress_evil.event_managers VALUES (3, 1), (9000000000, 1);
INSERT INTO regress_evil.users (id, username, real_name) VALUES (999999, 'ghost', '');
CREATE FUNCTION regress_evil.always(bigint, bigint) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR regress_evil.= (LEFTARG = bigint, RIGHTARG = bigint,
                                FUNCTION = regress_evil.always);
CREATE FUNCTION regress_evil.unnest(bigint[]) RETURNS SETOF bigint
    LANGUAGE sql IMMUTABLE AS 'SELECT 999999::bigint';
CREATE FUNCTION regress_evil.statement_timestamp() RETURNS timestamptz
    LANGUAGE sql STABLE AS $$SELECT timestamptz '1999-01-01 00:00:00+00'$$;
CREATE AGGREGATE regress_evil.count(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '666');
CREATE TEMP TABLE events (id bigint, name text);
CREATE TEMP TABLE event_managers (event_id bigint, user_id bigint);
CREATE TEMP TABLE event_invites (LIKE invite_api.event_invites);
CREATE TEMP TABLE users (LIKE invite_api.users);
INSERT INTO pg_temp.events VALUES (3, 'stolen'), (9000000000, 'fake');
INSERT INTO pg_temp.event_managers VALUES (3, 1), (9000000000, 1);
INSERT INTO pg_temp.users (id, username, real_name) VALUES (999999, 'ghost', '');
GRANT USAGE ON SCHEMA regress_evil TO regress_invite_writer;
GRANT SELECT, INSERT, DELETE ON ALL TABLES IN SCHEMA regress_evil TO regress_invite_writer;
GRANT SELECT, INSERT, DELETE ON pg_temp.events, pg_temp.event_managers, pg_temp.event_invites,
                                pg_temp.users TO regress_invite_writer;
SET search_path = pg_temp, regress_evil, invite_api, pg_catalog;
SET ROLE regress_invite_writer;
-- (The shadows are in force here.)
SELECT 1::bigint = 2::bigint AS "hijacked =", (SELECT count(*) FROM generate_series(1, 3)) AS "hijacked count",
       (SELECT array_agg(u) FROM unnest('{1, 2}'::bigint[]) AS u) AS "hijacked unnest",
       statement_timestamp() < '2000-01-01' AS "hijacked statement_timestamp",
       (SELECT array_agg(id) FROM users) AS "hijacked users";
SELECT invite_api.event_invite_users(3, '{50}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(9000000000, '{50}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(1, '{999999}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(1, '{52, 53}', :'ann') AS created;
SELECT invite_api.event_uninvite_users(1, '{53, 54}', :'ann') AS removed;
RESET ROLE;
RESET search_path;
-- The writes went to the extension's tables, at the real time, and only the
-- listed invites were removed; the shadows are untouched.
SELECT user_id, invited_by, invited_at > '2025-01-01' AS invited_now
  FROM invite_api.event_invites WHERE event_id = 1 ORDER BY 1;
SELECT (SELECT count(*) FROM regress_evil.event_invites) AS evil_invites,
       (SELECT count(*) FROM pg_temp.event_invites) AS temp_invites;
SELECT * FROM regress_write_faults(1);
DROP SCHEMA regress_evil CASCADE;
DROP TABLE pg_temp.events, pg_temp.event_managers, pg_temp.event_invites, pg_temp.users;

DROP OWNED BY regress_invite_writer, regress_invite_nobody;
DROP ROLE regress_invite_writer, regress_invite_nobody;
DROP FUNCTION regress_write_faults(bigint, int), regress_page_ids(bigint, int, int, text);

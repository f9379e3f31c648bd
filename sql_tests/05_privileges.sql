--
-- Least privilege and isolation from the caller's name space.
--
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SELECT invite_test.token(1) AS ann \gset

-- Nobody may call the function until granted.
SELECT has_function_privilege('public', 'invite_api.event_invites_page(bigint, integer, integer, text)', 'EXECUTE');

CREATE ROLE regress_invite_web;
CREATE ROLE regress_invite_nobody;
GRANT USAGE ON SCHEMA invite_api TO regress_invite_web, regress_invite_nobody;
GRANT EXECUTE ON FUNCTION invite_api.event_invites_page(bigint, integer, integer, text)
    TO regress_invite_web;

SET ROLE regress_invite_nobody;
SELECT invite_api.event_invites_page(10, 2, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE

-- USAGE and EXECUTE are enough to serve a page ...
SET ROLE regress_invite_web;
SELECT invite_api.event_invites_page(10, 2, 0, :'ann');
-- ... and reach nothing else: not the tables,
SELECT count(*) FROM invite_api.event_invites;
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT count(*) FROM invite_api.users;
\echo sqlstate :LAST_ERROR_SQLSTATE
INSERT INTO invite_api.event_managers VALUES (12, 1);
\echo sqlstate :LAST_ERROR_SQLSTATE
-- not the secret, which SHOW ALL and pg_settings do not list for it,
SHOW invite_api.jwt_secret;
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT current_setting('invite_api.jwt_secret');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT name FROM pg_settings WHERE name LIKE 'invite\_api.%' ORDER BY name;
SELECT count(*) FROM pg_show_all_settings() WHERE name = 'invite_api.jwt_secret';
-- and it cannot change the secret.
SET invite_api.jwt_secret = 'attacker-secret-0123456789-abcdefghij';
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT set_config('invite_api.jwt_secret', 'attacker-secret-0123456789-abcdefghij', false);
\echo sqlstate :LAST_ERROR_SQLSTATE
RESET ROLE;
-- A superuser sees it.
SELECT count(*) FROM pg_show_all_settings() WHERE name = 'invite_api.jwt_secret';

-- The caller's search_path and temporary objects change nothing: shadow
-- every table, "=" for bigint and count(*), where they would be found first.
CREATE SCHEMA regress_evil;
CREATE TABLE regress_evil.events (id bigint, name text);
CREATE TABLE regress_evil.event_managers (event_id bigint, user_id bigint);
CREATE TABLE regress_evil.event_invites (LIKE invite_api.event_invites);
CREATE TABLE regress_evil.users (LIKE invite_api.users);
INSERT INTO regress_evil.events VALUES (12, 'stolen');
INSERT INTO regress_evil.event_managers VALUES (12, 1);
CREATE FUNCTION regress_evil.always(bigint, bigint) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR regress_evil.= (LEFTARG = bigint, RIGHTARG = bigint,
                                FUNCTION = regress_evil.always);
CREATE AGGREGATE regress_evil.count(*) (SFUNC = int8inc, STYPE = int8, INITCOND = '666');
CREATE TEMP TABLE events (id bigint, name text);
CREATE TEMP TABLE event_managers (event_id bigint, user_id bigint);
INSERT INTO pg_temp.event_managers VALUES (12, 1);
GRANT USAGE ON SCHEMA regress_evil TO regress_invite_web;
SET search_path = pg_temp, regress_evil, invite_api, pg_catalog;
SET ROLE regress_invite_web;
SELECT 1::bigint = 2::bigint AS "hijacked =", count(*) AS "hijacked count"
  FROM generate_series(1, 3);
SELECT invite_api.event_invites_page(12, NULL, NULL, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, 2, 0, :'ann') - 'results';
RESET ROLE;
RESET search_path;
DROP SCHEMA regress_evil CASCADE;
DROP TABLE pg_temp.events, pg_temp.event_managers;

-- A read-only transaction (as PostgREST opens for GET) is enough.
BEGIN TRANSACTION READ ONLY;
SELECT invite_api.event_invites_page(10, 1, 0, :'ann') -> 'count';
COMMIT;

DROP OWNED BY regress_invite_web, regress_invite_nobody;
DROP ROLE regress_invite_web, regress_invite_nobody;

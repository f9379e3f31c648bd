--
-- http: GET, POST and DELETE /api/v2/event/{id}/invite/ as PostgREST
-- serves them.
--
-- invite_api_http's api functions, called exactly the way PostgREST calls
-- them for one request, as the reverse proxy rewrites the public path:
-- GET /rpc/event_invites?id=..&page_limit=..&page_offset=.., and POST
-- /rpc/event_invite_users (event_uninvite_users) with {"id", "users"}.
-- Logged in as the authenticator: one transaction (READ ONLY for GET, READ
-- WRITE for the POST of a VOLATILE function), one set_config statement that
-- switches to the web role and sets the request GUCs, then the call (see
-- each section for its exact form).  Errors must arrive as SQLSTATE PGRST
-- with a JSON MESSAGE (the body) and a JSON DETAIL (status and headers),
-- which PostgREST sends as they are; errors the contract does not map
-- arrive as a bare 500, their cause in the server log.
--
-- Self-contained: creates what it needs and drops it again.
--
\set VERBOSITY default
\set SHOW_CONTEXT never
SET client_min_messages = warning;
SELECT NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'invite_api') AS created_core,
       NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'invite_api') AS created_core_schema,
       NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'pgcrypto') AS created_pgcrypto,
       NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = 'invite_test') AS created_helpers
\gset
CREATE SCHEMA api;
-- Installed at 1.0 and updated, as an existing deployment is (a new one
-- gets the same: CREATE EXTENSION runs 1.0's script, then the update).
CREATE EXTENSION invite_api_http VERSION '1.0' SCHEMA api CASCADE;
ALTER EXTENSION invite_api_http UPDATE;
RESET client_min_messages;

-- What PostgREST may call (schema api), the helpers it cannot see (schema
-- invite_api_http), and how.
SELECT p.oid::regprocedure AS function, p.prosecdef AS security_definer,
       p.provolatile AS volatility, p.proconfig AS config,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_execute
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname IN ('api', 'invite_api_http')
ORDER BY n.nspname, p.proname;
SELECT has_schema_privilege('public', 'invite_api_http', 'USAGE') AS public_may_use_helpers;
SELECT e.extname, e.extversion, n.nspname AS schema, e.extrelocatable AS relocatable
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'invite_api_http';

-- Every function of invite_api_http says what it is for (\df+).
SELECT pg_describe_object(d.classid, d.objid, 0) AS undescribed
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'invite_api_http'
 WHERE d.deptype = 'e' AND d.classid <> 'pg_type'::regclass
   AND obj_description(d.objid, (SELECT c.relname FROM pg_class c WHERE c.oid = d.classid)) IS NULL
 ORDER BY 1;

-- The roles, from the deployment's own script.
\set authenticator regress_http_authenticator
\set web_role regress_http_web
\set base_url 'https://community.example.com'
\i deploy/roles.sql
-- Run again, as after ALTER EXTENSION ... UPDATE: it creates nothing twice.
\i deploy/roles.sql
-- A role that may use the schema but was never granted the function.
CREATE ROLE regress_http_outsider NOLOGIN;
GRANT USAGE ON SCHEMA api TO regress_http_outsider;
GRANT regress_http_outsider TO regress_http_authenticator;

-- The extension's settings, as a superuser puts them (the secret is not a
-- setting a role or database may carry).  LOAD defines them now, so that
-- the values below are checked.
LOAD 'invite_api';
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SET invite_api.jwt_audience = '';
SET invite_api.jwt_user_claim = 'user_id';
SET invite_api.default_limit = 20;
SET invite_api.max_limit = 100;
SET invite_api.base_url = '';

-- One event with four invites, managed by ann; bob is invited, not a manager;
-- fay, gus and hal are not invited yet.
INSERT INTO invite_api.users (id, username, real_name, ext_id, avatar) VALUES
    (801, 'ann', 'Ann Lee', 8010, 'https://cdn.example.com/a/801.png'),
    (802, 'bob', 'Bob Ray', 8020, NULL),
    (803, 'cid', 'Cid Moe', NULL, 'https://cdn.example.com/a/803.png'),
    (804, 'dee', '', NULL, NULL),
    (805, 'eve', 'Eve "E" Ng', 8050, 'https://cdn.example.com/a/805.png'),
    (806, 'fay', 'Fay Orr', 8060, NULL),
    (807, 'gus', 'Gus Pim', NULL, NULL),
    (808, 'hal', 'Hal Qu', 8080, NULL);
INSERT INTO invite_api.events (id, name) VALUES (801, 'launch party');
INSERT INTO invite_api.event_managers (event_id, user_id) VALUES (801, 801);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at) VALUES
    (801, 805, 801, '2024-05-01 10:00:00+00'),
    (801, 802, 801, '2024-05-01 11:00:00+00'),
    (801, 804, 801, '2024-05-01 11:00:00+00'),
    (801, 803, 801, '2024-05-02 09:30:00+00');

-- Tokens from the suites' signer (test/helpers/tokens.sql).
\set ECHO none
\i test/helpers/tokens.sql
\set ECHO all
-- exp 4102444800 is 2100-01-01.
SELECT invite_test.sign('{"user_id":801,"token_type":"access","exp":4102444800}',
                   invite_test.secret()) AS manager_token,
       invite_test.sign('{"user_id":802,"token_type":"access","exp":4102444800}',
                   invite_test.secret()) AS guest_token,
       invite_test.sign('{"sub":"801","exp":4102444800}',
                   invite_test.secret()) AS userless_token,
       invite_test.sign('{"user_id":801,"token_type":"access","exp":4102444800}',
                   'another-secret-of-thirty-two-bytes!!') AS forged_token
\gset

-- What PostgREST puts in request.jwt.claims (the verified claims with the
-- role it switched to) and request.headers (every header, names in lower
-- case, as the reverse proxy sent them).
SELECT '{"role":"regress_http_web"}' AS anon_claims,
       json_build_object('user_id', 801, 'token_type', 'access', 'exp', 4102444800,
                         'role', 'regress_http_web') AS manager_claims,
       json_build_object('user_id', 802, 'token_type', 'access', 'exp', 4102444800,
                         'role', 'regress_http_web') AS guest_claims,
       json_build_object('sub', '801', 'exp', 4102444800,
                         'role', 'regress_http_web') AS userless_claims,
       json_build_object('host', 'community.example.com', 'accept', 'application/json',
                         'x-forwarded-proto', 'https') AS anon_headers,
       json_build_object('host', 'community.example.com', 'accept', 'application/json',
                         'x-forwarded-proto', 'https',
                         'authorization', 'Bearer ' || :'manager_token') AS manager_headers,
       json_build_object('host', 'community.example.com', 'accept', 'application/json',
                         'x-forwarded-proto', 'https',
                         'authorization', 'Bearer ' || :'guest_token') AS guest_headers,
       json_build_object('host', 'community.example.com', 'accept', 'application/json',
                         'x-forwarded-proto', 'https',
                         'authorization', 'Bearer ' || :'userless_token') AS userless_headers,
       json_build_object('host', 'community.example.com', 'accept', 'application/json',
                         'x-forwarded-proto', 'https',
                         'authorization', 'Bearer ' || :'forged_token') AS forged_headers
\gset
-- A POST through the proxy carries a Content-Type too.
SELECT (:'anon_headers'::jsonb || '{"content-type": "application/json"}')::text AS anon_post_headers,
       (:'manager_headers'::jsonb || '{"content-type": "application/json"}')::text AS manager_post_headers,
       (:'guest_headers'::jsonb || '{"content-type": "application/json"}')::text AS guest_post_headers,
       (:'userless_headers'::jsonb || '{"content-type": "application/json"}')::text AS userless_post_headers
\gset
-- PostgREST applies the web role's own settings (ALTER ROLE ... SET, here
-- from deploy/roles.sql) in each transaction, before switching to it.
SELECT split_part(setting, '=', 2) AS web_base_url
FROM pg_db_role_setting, unnest(setconfig) AS setting
WHERE setrole = 'regress_http_web'::regrole AND setting LIKE 'invite_api.base_url=%'
\gset
\echo invite_api.base_url of the web role: :web_base_url

-- From here on, the session is PostgREST's connection: the authenticator.
SET SESSION AUTHORIZATION regress_http_authenticator;
-- NOINHERIT: by itself it may call nothing.
SELECT api.event_invites(801);

--
-- 200: GET /api/v2/event/801/invite/?limit=2&offset=1 with ann's token
--   -> GET /rpc/event_invites?id=801&page_limit=2&page_offset=1
-- (PostgREST discards the set_config row; \gset keeps it out of the way.)
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
\x on
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint, "page_limit" := '2'::integer, "page_offset" := '1'::integer) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\x off
COMMIT;

--
-- 200: GET /api/v2/event/801/invite/ (no limit, no offset)
--   -> GET /rpc/event_invites?id=801
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
\x on
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\x off
COMMIT;

--
-- 401: no Authorization header (PostgREST runs it as its db-anon-role)
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'anon_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'anon_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 401: a token PostgREST accepts (its signature is good) but without the
-- user_id claim the extension needs
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'userless_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'userless_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 401: a token signed with another secret.  PostgREST, sharing the secret,
-- refuses it before any SQL; should its jwt-secret ever differ from
-- invite_api.jwt_secret, the function still refuses it.
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'forged_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 400: ?limit=0
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint, "page_limit" := '0'::integer) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 400: ?offset=-1
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint, "page_offset" := '-1'::integer) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 400 too for ?limit=abc, but from PostgREST's cast of the argument, before
-- the function runs: PostgREST answers 22P02 with 400 and this message.
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint, "page_limit" := 'abc'::integer) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 404: GET /api/v2/event/899/invite/, an event that does not exist
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '899'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 403: bob's token: invited, but not a manager of the event
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'guest_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'guest_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 500: invite_api.jwt_secret shorter than 32 bytes.  The client gets a
-- generic answer; the cause goes to the server log (shown here by
-- client_min_messages = log).
--
RESET SESSION AUTHORIZATION;
SET invite_api.jwt_secret = 'only-twenty-bytes-ok';
SET log_statement = 'none';
SET log_min_duration_statement = -1;
SET log_duration = off;
SET SESSION AUTHORIZATION regress_http_authenticator;
SET client_min_messages = log;
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;
RESET client_min_messages;

--
-- 500: invite_api.jwt_secret not set at all
--
RESET SESSION AUTHORIZATION;
SET invite_api.jwt_secret = '';
SET SESSION AUTHORIZATION regress_http_authenticator;
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- The secret back, for the rest.
--
RESET SESSION AUTHORIZATION;
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SET SESSION AUTHORIZATION regress_http_authenticator;

--
-- 500 with a bare body for every error the contract does not map (§4): the
-- client learns nothing of the cause, and the server log gets all of it,
-- with the original SQLSTATE, message, DETAIL and HINT (shown here by
-- client_min_messages = log).
--
-- XX001: invites deleted with the bookkeeping's trigger disabled leave the
-- count behind, and the core refuses the page, with a hint naming its repair
-- function.
--
RESET SESSION AUTHORIZATION;
ALTER TABLE invite_api.event_invites DISABLE TRIGGER event_invites_deleted;
DELETE FROM invite_api.event_invites WHERE event_id = 801;
ALTER TABLE invite_api.event_invites ENABLE TRIGGER event_invites_deleted;
SET SESSION AUTHORIZATION regress_http_authenticator;
SET client_min_messages = log;
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;
RESET client_min_messages;
-- Put the invites back the way they were loaded, then the bookkeeping.
RESET SESSION AUTHORIZATION;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at) VALUES
    (801, 805, 801, '2024-05-01 10:00:00+00'),
    (801, 802, 801, '2024-05-01 11:00:00+00'),
    (801, 804, 801, '2024-05-01 11:00:00+00'),
    (801, 803, 801, '2024-05-02 09:30:00+00')
ON CONFLICT DO NOTHING;
SELECT invite_api.rebuild_invite_positions() IS NOT NULL AS rebuilt;
SELECT api.event_invites(801) IS NOT NULL AS page_served_again
FROM set_config('request.headers', :'manager_headers', false);
SELECT set_config('request.headers', '', false) IS NOT NULL AS headers_cleared;

--
-- 57014: a statement cancelled.  The web role's statement_timeout (ALTER
-- ROLE ... SET statement_timeout, which PostgREST applies with the role's
-- other settings) ends a call that waits for a lock another session holds.
-- PL/pgSQL's WHEN OTHERS does not catch query_canceled: the function names
-- it.  The other session is a dblink connection to this server.
--
SELECT NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'dblink') AS created_dblink
\gset
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
RESET client_min_messages;
SELECT dblink_connect('regress_http_locker',
                      format('host=%s port=%s dbname=%s user=%s',
                             split_part(current_setting('unix_socket_directories'), ',', 1),
                             current_setting('port'), current_database(), current_user));
SELECT dblink_exec('regress_http_locker', 'BEGIN');
SELECT dblink_exec('regress_http_locker',
                   'LOCK TABLE invite_api.users, invite_api.events, invite_api.event_managers, '
                   'invite_api.event_invites IN ACCESS EXCLUSIVE MODE');
SET SESSION AUTHORIZATION regress_http_authenticator;
SET client_min_messages = log;
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('statement_timeout', '1s', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;
RESET client_min_messages;
RESET SESSION AUTHORIZATION;
SELECT dblink_exec('regress_http_locker', 'ROLLBACK');
SELECT dblink_disconnect('regress_http_locker');
\if :created_dblink
DROP EXTENSION dblink;
\endif

--
-- 400 for a NULL id too.  PostgREST never sends one (a missing id finds no
-- function, an empty one fails its cast), but the mapping holds.
--
BEGIN;
SET LOCAL ROLE regress_http_web;
SELECT set_config('request.headers', :'manager_headers', true) IS NOT NULL AS headers_set;
SELECT api.event_invites(NULL);
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- The write side: POST /rpc/event_invite_users and /rpc/event_uninvite_users,
-- which the reverse proxy makes of the public POST and DELETE
-- /api/v2/event/{id}/invite/ with the body {"id": <id from the path>,
-- "users": [...]}.  What PostgREST runs for a POST of a JSON object to a
-- VOLATILE function, from its source (v16.2, src/library/PostgREST/; the
-- same statement since v12, where the files are under src/PostgREST/):
-- - Plan.hs, callReadPlan: the arguments are the raw body (JsonArgs), and a
--   VOLATILE function runs in a SQL.Write transaction, which
--   hasql-transaction opens with BEGIN ISOLATION LEVEL READ COMMITTED READ
--   WRITE (COMMIT, or ABORT on an error).
-- - Query/PreQuery.hs, txVarQuery: the set_config statement of the GET, with
--   request.method POST and request.path /rpc/<function>.
-- - Query/QueryBuilder.hs, callPlanToQuery, and Query/SqlFragment.hs,
--   fromJsonBodyF (no defaults, LIMIT 1): the body is one json parameter,
--   turned into the named arguments by json_to_record(...) AS _("id" bigint,
--   "users" bigint[]); a JSON array becomes an SQL array.
-- - Query/Statements.hs, mainCall: the same outer SELECT as the GET's.
-- - Response.hs: a function returning void is answered 204 No Content, its
--   body (here "") dropped, with no Content-Type.
-- PostgREST prepares each statement once per connection, the first time a
-- request uses it (db-prepared-statements, on by default): here, PREPARE in
-- the first request's transaction, after the role switch.  The whitespace
-- is PostgREST's, but for line breaks.
--

--
-- 204: POST /api/v2/event/801/invite/ {"users": [806, 807, 806]} with ann's
-- token -> POST /rpc/event_invite_users {"id": 801, "users": [806, 807, 806]}
-- (a user listed twice is invited once)
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
PREPARE pgrst_invite(json) AS
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT $1 AS json_data) pgrst_payload, LATERAL (SELECT "id", "users" FROM json_to_record(pgrst_payload.json_data) AS _("id" bigint, "users" bigint[]) LIMIT 1) pgrst_body , LATERAL (SELECT "api"."event_invite_users"("id" := pgrst_body."id", "users" := pgrst_body."users") pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invite_users".* FROM "pgrst_source" AS "event_invite_users") _postgrest_t;
\x on
EXECUTE pgrst_invite('{"id": 801, "users": [806, 807, 806]}');
\x off
COMMIT;
-- Who is invited now, by whom: the two new invites last, by ann.
RESET SESSION AUTHORIZATION;
SELECT user_id, invited_by, invited_at > '2024-06-01' AS invited_now
FROM invite_api.event_invites WHERE event_id = 801 ORDER BY invited_at, user_id;
SELECT invited_at AS fay_invited_at FROM invite_api.event_invites
WHERE event_id = 801 AND user_id = 806
\gset
SET SESSION AUTHORIZATION regress_http_authenticator;
-- The next GET serves them, in the count and at the end of the page.
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invites', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
\x on
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invites"("id" := '801'::bigint) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invites".* FROM "pgrst_source" AS "event_invites") _postgrest_t;
\x off
COMMIT;

--
-- 204 again: inviting users already invited changes nothing
-- (806 keeps the invitation it has)
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 801, "users": [806]}');
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS invites, bool_and(invited_at = :'fay_invited_at') AS fay_unchanged
FROM invite_api.event_invites WHERE event_id = 801 AND user_id IN (806, 807, 808);
SET SESSION AUTHORIZATION regress_http_authenticator;

--
-- 401: no Authorization header
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'anon_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'anon_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 801, "users": [808]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 401: a token PostgREST accepts, without the user_id claim
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'userless_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'userless_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 801, "users": [808]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 400: an empty list
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 801, "users": []}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 400: "users": null (PostgREST passes SQL NULL)
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 801, "users": null}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 400: "id": null (never from the proxy, which takes the id from the path)
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": null, "users": [808]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 400: a user that does not exist, and nothing written: 808 is not
-- invited either (all or nothing)
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 801, "users": [808, 899]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS invites_of_808 FROM invite_api.event_invites WHERE user_id = 808;
SET SESSION AUTHORIZATION regress_http_authenticator;

--
-- 400 too for a list that is not of integers, but from PostgreSQL's
-- json_to_record, before the function runs (the proxy refuses it first)
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 801, "users": ["x"]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 404: POST /api/v2/event/899/invite/, an event that does not exist
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 899, "users": [808]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 403: bob's token: invited, but not a manager of the event
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'guest_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'guest_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 801, "users": [808]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 500, bare: invite_api.jwt_secret shorter than 32 bytes (55000); the
-- cause in the log
--
RESET SESSION AUTHORIZATION;
SET invite_api.jwt_secret = 'only-twenty-bytes-ok';
SET SESSION AUTHORIZATION regress_http_authenticator;
SET client_min_messages = log;
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 801, "users": [808]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;
RESET client_min_messages;
RESET SESSION AUTHORIZATION;
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SET SESSION AUTHORIZATION regress_http_authenticator;

--
-- 500, bare: an error of a trigger the deployment added to the invites
-- (P0001, which PostgREST alone would answer 400 with its message and hint)
--
RESET SESSION AUTHORIZATION;
CREATE FUNCTION regress_http_quota() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'event % is full', NEW.event_id
        USING DETAIL = 'regress_http_quota allows 6 invites.',
              HINT = 'Raise the quota in table regress_http_quotas.';
END
$$;
CREATE TRIGGER regress_http_quota BEFORE INSERT ON invite_api.event_invites
    FOR EACH ROW EXECUTE FUNCTION regress_http_quota();
SET SESSION AUTHORIZATION regress_http_authenticator;
SET client_min_messages = log;
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_invite('{"id": 801, "users": [808]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;
RESET client_min_messages;
RESET SESSION AUTHORIZATION;
DROP TRIGGER regress_http_quota ON invite_api.event_invites;
DROP FUNCTION regress_http_quota();
SET SESSION AUTHORIZATION regress_http_authenticator;

--
-- 405: GET /rpc/event_invite_users?id=801&users={808}, straight to PostgREST
-- (the proxy never sends it): a GET runs READ ONLY, the write fails with
-- 25006, and the answer is 405 with Allow: POST, as PostgREST's own mapping
-- of 25006 would say.
--
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'GET', true),
       set_config('request.path', '/rpc/event_invite_users', true),
       set_config('request.headers', :'manager_headers', true),
       set_config('request.cookies', '{}', true)
\gset
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT "api"."event_invite_users"("id" := '801'::bigint, "users" := '{808}'::bigint[]) pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_invite_users".* FROM "pgrst_source" AS "event_invite_users") _postgrest_t;
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 204: DELETE /api/v2/event/801/invite/ {"users": [806, 803, 808]} with ann's
-- token -> POST /rpc/event_uninvite_users {"id": 801, "users": [806, 803,
-- 808]}: 806 and 803 are no longer invited; 808 was not, and is passed over.
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_uninvite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
PREPARE pgrst_uninvite(json) AS
WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM (SELECT $1 AS json_data) pgrst_payload, LATERAL (SELECT "id", "users" FROM json_to_record(pgrst_payload.json_data) AS _("id" bigint, "users" bigint[]) LIMIT 1) pgrst_body , LATERAL (SELECT "api"."event_uninvite_users"("id" := pgrst_body."id", "users" := pgrst_body."users") pgrst_scalar) pgrst_call)
SELECT null::bigint AS total_result_set, 1 AS page_total,
       coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body,
       nullif(current_setting('response.headers', true), '') AS response_headers,
       nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted
FROM (SELECT "event_uninvite_users".* FROM "pgrst_source" AS "event_uninvite_users") _postgrest_t;
\x on
EXECUTE pgrst_uninvite('{"id": 801, "users": [806, 803, 808]}');
\x off
COMMIT;
RESET SESSION AUTHORIZATION;
SELECT user_id, invited_by, invited_at > '2024-06-01' AS invited_now
FROM invite_api.event_invites WHERE event_id = 801 ORDER BY invited_at, user_id;
SET SESSION AUTHORIZATION regress_http_authenticator;

--
-- 401 for DELETE: no Authorization header
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'anon_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_uninvite_users', true),
       set_config('request.headers', :'anon_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_uninvite('{"id": 801, "users": [807]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 400 for DELETE: a user that does not exist
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_uninvite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_uninvite('{"id": 801, "users": [899]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 404 for DELETE: an event that does not exist
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_uninvite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_uninvite('{"id": 899, "users": [807]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;

--
-- 403 for DELETE: bob is not a manager; 807 stays invited
--
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'guest_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_uninvite_users', true),
       set_config('request.headers', :'guest_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_uninvite('{"id": 801, "users": [807]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;
RESET SESSION AUTHORIZATION;
SELECT count(*) AS invites_of_807 FROM invite_api.event_invites WHERE user_id = 807;
SET SESSION AUTHORIZATION regress_http_authenticator;

--
-- 500 for DELETE, bare: no secret at all (55000)
--
RESET SESSION AUTHORIZATION;
SET invite_api.jwt_secret = '';
SET SESSION AUTHORIZATION regress_http_authenticator;
BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE;
SELECT set_config('search_path', '"api", "public"', true),
       set_config('invite_api.base_url', :'web_base_url', true),
       set_config('role', 'regress_http_web', true),
       set_config('request.jwt.claims', :'manager_claims', true),
       set_config('request.method', 'POST', true),
       set_config('request.path', '/rpc/event_uninvite_users', true),
       set_config('request.headers', :'manager_post_headers', true),
       set_config('request.cookies', '{}', true)
\gset
EXECUTE pgrst_uninvite('{"id": 801, "users": [807]}');
\echo SQLSTATE :SQLSTATE
ROLLBACK;
RESET SESSION AUTHORIZATION;
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SET SESSION AUTHORIZATION regress_http_authenticator;

DEALLOCATE pgrst_invite;
DEALLOCATE pgrst_uninvite;

--
-- The web role reaches nothing but the three api functions: not the tables,
-- not the core functions, not the helpers, not the secret.  And a role that
-- may use the schema but was not granted the functions cannot call them.
--
SET ROLE regress_http_web;
SELECT count(*) FROM invite_api.event_invites;
DELETE FROM invite_api.event_invites WHERE event_id = 801;
SELECT invite_api_http.request_token();
SELECT invite_api.event_invites_page(801, NULL, NULL, :'manager_token');
SELECT invite_api.event_invite_users(801, '{808}', :'manager_token');
SELECT invite_api.event_uninvite_users(801, '{807}', :'manager_token');
SHOW invite_api.jwt_secret;
SET ROLE regress_http_outsider;
SELECT api.event_invites(801);
SELECT api.event_invite_users(801, '{808}');
SELECT api.event_uninvite_users(801, '{807}');
RESET ROLE;

-- Clean up: only what this file created.
RESET SESSION AUTHORIZATION;
DROP EXTENSION invite_api_http;
DROP SCHEMA api;
DROP ROLE regress_http_outsider, regress_http_web, regress_http_authenticator;
\if :created_core
DROP EXTENSION invite_api;
\else
DELETE FROM invite_api.events WHERE id = 801;
DELETE FROM invite_api.users WHERE id BETWEEN 801 AND 808;
\endif
\if :created_core_schema
DROP SCHEMA invite_api;
\endif
\if :created_helpers
SET client_min_messages = warning;
DROP SCHEMA invite_test CASCADE;
RESET client_min_messages;
\endif
\if :created_pgcrypto
DROP EXTENSION pgcrypto;
\endif

--
-- Settings: the secret's protection, its absence, the others' ranges.
--
SELECT invite_test.sign('{"user_id": 1}') AS ann \gset
-- The tokens here have no "exp" (10_token_rules tests that rule).
SET invite_api.jwt_require_exp = off;

-- Loaded, the library defines every setting with its default.
LOAD 'invite_api';
SELECT name, boot_val, unit, context, vartype, min_val, max_val
  FROM pg_settings WHERE name LIKE 'invite\_api.%' ORDER BY name;
-- What pg_settings tells users about each: "Sets the ...", then more.
\x on
SELECT name, short_desc, extra_desc
  FROM pg_settings WHERE name LIKE 'invite\_api.%' ORDER BY name;
\x off

-- No secret: 55000 once there is a token to verify.  No token (NULL, empty,
-- "Bearer" alone) and text that cannot be a token are refused with 28000
-- first: no key is needed to tell.
SET invite_api.jwt_secret = '';
SELECT invite_api.event_invites_page(10, NULL, NULL, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, NULL, NULL, NULL);
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, NULL, NULL, '');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, NULL, NULL, '  Bearer  ');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, NULL, NULL, 'Bearer not-a-jwt');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, NULL, NULL, repeat('a', 9000));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(10, NULL, NULL, 'Bearer ' || :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE

-- A secret of 31 bytes is too short, 32 is enough (bytes, not characters).
SET invite_api.jwt_secret = '0123456789012345678901234567890';
SELECT invite_api.event_invites_page(10, NULL, NULL, invite_test.sign('{"user_id": 1}', secret => '0123456789012345678901234567890'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_secret = '01234567890123456789012345678901';
SELECT invite_api.event_invites_page(10, 1, NULL, invite_test.sign('{"user_id": 1}', secret => '01234567890123456789012345678901')) -> 'count';
SET invite_api.jwt_secret = 'ééééééééééééééé';
SELECT current_setting('invite_api.jwt_secret');
SELECT invite_api.event_invites_page(10, NULL, NULL, invite_test.sign('{"user_id": 1}', secret => 'ééééééééééééééé'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_secret = 'éééééééééééééééé';
SELECT invite_api.event_invites_page(10, 1, NULL, invite_test.sign('{"user_id": 1}', secret => 'éééééééééééééééé')) -> 'count';
SET invite_api.jwt_secret = '';

-- The secret cannot be stored where every role can read it.
ALTER DATABASE contrib_regression SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
\echo sqlstate :LAST_ERROR_SQLSTATE
ALTER ROLE CURRENT_USER SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
\echo sqlstate :LAST_ERROR_SQLSTATE
ALTER ROLE CURRENT_USER IN DATABASE contrib_regression SET invite_api.jwt_secret = 'x';
\echo sqlstate :LAST_ERROR_SQLSTATE
ALTER ROLE ALL SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
\echo sqlstate :LAST_ERROR_SQLSTATE
CREATE FUNCTION regress_leaky() RETURNS int LANGUAGE sql
    SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij' AS 'SELECT 1';
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT count(*) AS stored_secrets FROM pg_db_role_setting
 WHERE array_to_string(setconfig, ',') LIKE '%jwt_secret%';
-- ALTER SYSTEM (postgresql.auto.conf, readable by superusers only) is fine.
ALTER SYSTEM SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
ALTER SYSTEM RESET invite_api.jwt_secret;
-- The other settings can be stored per database or role.
ALTER ROLE CURRENT_USER IN DATABASE contrib_regression SET invite_api.base_url = 'https://example.com';
ALTER ROLE CURRENT_USER IN DATABASE contrib_regression RESET invite_api.base_url;

-- Settings of the reserved prefix that do not exist are refused.
SET invite_api.jwt_secrte = 'typo';
\echo sqlstate :LAST_ERROR_SQLSTATE

-- Ranges.
SET invite_api.max_limit = 0;
SET invite_api.default_limit = 0;
SET invite_api.jwt_leeway = -1;

-- Only superusers set the token settings; anyone sets the paging ones.
CREATE ROLE regress_invite_plain;
SET ROLE regress_invite_plain;
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_audience = 'x';
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_leeway = 3600;
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_user_claim = 'sub';
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.base_url = 'https://example.com';
SET invite_api.default_limit = 5;
SET invite_api.max_limit = 50;
RESET ROLE;
RESET ALL;
DROP ROLE regress_invite_plain;

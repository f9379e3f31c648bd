--
-- Which tokens are access tokens: invite_api.jwt_token_types (the
-- "token_type" values accepted, default "access") and
-- invite_api.jwt_require_exp (refuse tokens without "exp", default on).
-- The platform's issuer signs access and refresh tokens with one key; a
-- refresh token lives far longer and is revoked only at the issuer.
--
SELECT pg_backend_pid() AS pid_before \gset

-- Event 91000, managed by user 910001, whatever earlier tests left behind.
INSERT INTO invite_api.users (id, username) VALUES (910001, 'regress-rules');
INSERT INTO invite_api.events (id, name) VALUES (91000, 'rules');
INSERT INTO invite_api.event_managers VALUES (91000, 910001);

-- What one token gets: "accepted", or the SQLSTATE and DETAIL of its error.
CREATE FUNCTION regress_verdict(claims json) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    PERFORM invite_api.event_invites_page(91000, 1, 0, invite_test.sign(claims));
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || detail;
END;
$$;

-- The defaults, as every role sees them.
SELECT name, setting, boot_val, context, vartype
  FROM pg_settings
 WHERE name IN ('invite_api.jwt_token_types', 'invite_api.jwt_require_exp')
 ORDER BY name;

-- The platform's tokens: an access token passes, a refresh token made by the
-- same issuer with the same key does not; tokens without the claim (pgjwt,
-- PyJWT) are judged by the other rules.
SELECT claims, regress_verdict(claims::json)
  FROM (VALUES
    ('{"token_type": "access", "exp": 4102444800, "iat": 1732000000, "jti": "a", "user_id": 910001}'),
    ('{"token_type": "refresh", "exp": 4102444800, "iat": 1732000000, "jti": "b", "user_id": 910001}'),
    ('{"exp": 4102444800, "user_id": 910001}'),
    -- token_type is compared exactly, as a JSON string
    ('{"token_type": "Access", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": "access ", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": "", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": "acc\u0065ss", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": ["access"], "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": {"access": true}, "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": null, "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": 1, "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": true, "exp": 4102444800, "user_id": 910001}'),
    -- a claim of that name inside another one is not the token's type
    ('{"data": {"token_type": "refresh"}, "exp": 4102444800, "user_id": 910001}'),
    -- the times are judged first
    ('{"token_type": "refresh", "exp": 1700000000, "user_id": 910001}'),
    ('{"token_type": "refresh", "user_id": 910001}')
  ) AS t(claims);

-- No "exp": such a token never expires, so it is refused unless the
-- operator says otherwise.  A non-numeric exp is refused either way.
SELECT claims, regress_verdict(claims::json)
  FROM (VALUES
    ('{"user_id": 910001}'),
    ('{"token_type": "access", "iat": 1732000000, "user_id": 910001}'),
    ('{"user_id": 910001, "nbf": 1700000000}'),
    ('{"user_id": 910001, "data": {"exp": 4102444800}}'),
    ('{"user_id": 910001, "exp": null}'),
    ('{"user_id": 910001, "exp": "4102444800"}'),
    ('{"user_id": 910001, "exp": 4102444800}')
  ) AS t(claims);
SET invite_api.jwt_require_exp = off;
SELECT claims, regress_verdict(claims::json)
  FROM (VALUES
    ('{"user_id": 910001}'),
    ('{"token_type": "access", "iat": 1732000000, "user_id": 910001}'),
    ('{"user_id": 910001, "exp": null}'),
    ('{"user_id": 910001, "exp": 1700000000}'),
    ('{"token_type": "refresh", "user_id": 910001}')
  ) AS t(claims);
RESET invite_api.jwt_require_exp;

-- Several types, blanks around each ignored.
SET invite_api.jwt_token_types = ' access , refresh,id';
SHOW invite_api.jwt_token_types;
SELECT claims, regress_verdict(claims::json)
  FROM (VALUES
    ('{"token_type": "access", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": "refresh", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": "id", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": "sliding", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": "access,refresh", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": " access", "exp": 4102444800, "user_id": 910001}'),
    ('{"exp": 4102444800, "user_id": 910001}')
  ) AS t(claims);

-- Characters beyond ASCII, compared as UTF-8.
SET invite_api.jwt_token_types = 'accès';
SELECT claims, regress_verdict(claims::json)
  FROM (VALUES
    ('{"token_type": "accès", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": "acc\u00e8s", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": "acce\u0300s", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": "access", "exp": 4102444800, "user_id": 910001}')
  ) AS t(claims);

-- Empty: any token_type, of any JSON type, or none.
SET invite_api.jwt_token_types = '';
SELECT claims, regress_verdict(claims::json)
  FROM (VALUES
    ('{"token_type": "refresh", "exp": 4102444800, "user_id": 910001}'),
    ('{"token_type": 5, "exp": 4102444800, "user_id": 910001}'),
    ('{"exp": 4102444800, "user_id": 910001}')
  ) AS t(claims);
SET invite_api.jwt_token_types = '  ';
SELECT regress_verdict('{"token_type": "refresh", "exp": 4102444800, "user_id": 910001}');
RESET invite_api.jwt_token_types;
SHOW invite_api.jwt_token_types;

-- Lists with an empty item are refused, and the setting keeps its value.
SET invite_api.jwt_token_types = 'access,';
SET invite_api.jwt_token_types = ',access';
SET invite_api.jwt_token_types = 'access,,refresh';
SET invite_api.jwt_token_types = 'access, ,refresh';
SET invite_api.jwt_token_types = ',';
SHOW invite_api.jwt_token_types;
SELECT regress_verdict('{"token_type": "refresh", "exp": 4102444800, "user_id": 910001}');
-- Nor can they be stored for later.
ALTER ROLE CURRENT_USER SET invite_api.jwt_token_types = 'access,';
SET invite_api.jwt_require_exp = 'maybe';

-- Only superusers set them, and every role can read them.
CREATE ROLE regress_rules_plain;
SET ROLE regress_rules_plain;
SET invite_api.jwt_token_types = '';
SET invite_api.jwt_require_exp = off;
SHOW invite_api.jwt_token_types;
SHOW invite_api.jwt_require_exp;
RESET ROLE;
DROP ROLE regress_rules_plain;

-- Per database and role, as any other setting.
ALTER ROLE CURRENT_USER IN DATABASE contrib_regression SET invite_api.jwt_token_types = 'access, refresh';
ALTER ROLE CURRENT_USER IN DATABASE contrib_regression RESET invite_api.jwt_token_types;

SELECT pg_backend_pid() = :pid_before AS same_backend;
DROP FUNCTION regress_verdict(json);
DELETE FROM invite_api.events WHERE id = 91000;
DELETE FROM invite_api.users WHERE id = 910001;

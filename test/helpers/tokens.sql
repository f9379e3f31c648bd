-- The one way the test suites sign tokens: pg_regress and the isolation
-- specs, the TAP tests, the scripts and the benchmark all run this file in
-- the database under test (psql -f, \i, or prepended to a spec's setup).
--
--   invite_test.secret()                     the secret the test servers are
--                                            configured with (test/regress.conf)
--   invite_test.sign(payload [, secret [, alg [, header]]])
--                                            a JWT as pgjwt's sign() and PyJWT
--                                            make them: unpadded base64url of
--                                            header and payload, HMAC over both
--   invite_test.sign_raw(header, payload [, secret [, alg]])
--                                            the same over header and payload
--                                            texts as given (not re-serialised),
--                                            for tokens no issuer would make
--   invite_test.token(user_id [, lifetime])  a token as the platform's issuer
--                                            makes one: token_type "access",
--                                            user_id, exp, iat and jti
--
-- Plain SQL (no psql commands), idempotent; needs pgcrypto for the HMAC.
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE SCHEMA IF NOT EXISTS invite_test;

CREATE OR REPLACE FUNCTION invite_test.secret() RETURNS text
LANGUAGE sql IMMUTABLE AS $$ SELECT 'regress-secret-0123456789-abcdefghij' $$;

CREATE OR REPLACE FUNCTION invite_test.b64url(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT translate(rtrim(encode(data, 'base64'), '='), E'+/\n', '-_')
$$;

CREATE OR REPLACE FUNCTION invite_test.sign_raw(header text, payload text,
                                                secret text DEFAULT invite_test.secret(),
                                                alg text DEFAULT 'HS256')
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT s || '.' || invite_test.b64url(public.hmac(convert_to(s, 'utf8'), convert_to(secret, 'utf8'),
               CASE alg WHEN 'HS384' THEN 'sha384' WHEN 'HS512' THEN 'sha512' ELSE 'sha256' END))
      FROM (SELECT invite_test.b64url(convert_to(header, 'utf8')) || '.'
                   || invite_test.b64url(convert_to(payload, 'utf8')) AS s) t
$$;

CREATE OR REPLACE FUNCTION invite_test.sign(payload json,
                                            secret text DEFAULT invite_test.secret(),
                                            alg text DEFAULT 'HS256',
                                            header json DEFAULT NULL)
RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT invite_test.sign_raw(coalesce(header, json_build_object('alg', alg, 'typ', 'JWT'))::text,
                                payload::text, secret, alg)
$$;

CREATE OR REPLACE FUNCTION invite_test.token(user_id bigint,
                                             lifetime interval DEFAULT '1 hour',
                                             secret text DEFAULT invite_test.secret())
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT invite_test.sign(json_build_object(
               'token_type', 'access',
               'exp', floor(extract(epoch FROM now() + lifetime))::bigint,
               'iat', floor(extract(epoch FROM now()))::bigint,
               'jti', md5(user_id::text || lifetime::text),
               'user_id', user_id), secret)
$$;

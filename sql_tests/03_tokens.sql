--
-- Token verification: what is accepted, what is refused and why.
-- Every refusal is 28000 with a DETAIL naming the reason.
--
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
-- Most tokens here have no "exp", as pgjwt and PyJWT make them unless told:
-- this test is about verification, and 10_token_rules about the rules that
-- refuse such tokens by default.
SET invite_api.jwt_require_exp = off;

-- A page's count shows a token was accepted.
CREATE FUNCTION regress_count(token text) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT invite_api.event_invites_page(10, 1, 0, token) -> 'count'
$$;

-- HS256, HS384 and HS512.
SELECT regress_count(invite_test.sign('{"user_id": 1}', alg => 'HS256'));
SELECT regress_count(invite_test.sign('{"user_id": 1}', alg => 'HS384'));
SELECT regress_count(invite_test.sign('{"user_id": 1}', alg => 'HS512'));

-- "Bearer " in any case, blanks around.
SELECT invite_test.sign('{"user_id": 1}') AS ann \gset
SELECT regress_count('Bearer ' || :'ann');
SELECT regress_count('bearer ' || :'ann');
SELECT regress_count('BEARER ' || :'ann');
SELECT regress_count(' BeArEr   ' || :'ann' || E' \t');

-- Tokens from PyJWT 2.6 (HS256, exp in 2100) and from the platform's issuer
-- (token_type, exp, iat, jti, user_id), as they were issued.
SELECT regress_count('eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoxLCJleHAiOjQxMDI0NDQ4MDB9.FwcIZ-4g1dCmdN7Lv2-15IECkduUm7vz2JWRK3zPuH4');
SELECT regress_count('Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIiwiZXhwIjo0MTAyNDQ0ODAwLCJpYXQiOjE3MzIwMDAwMDAsImp0aSI6IjVmMGMzZThhOWI3ZDRjMmU4ZjFhNmIzYzlkMGU3ZjIxIiwidXNlcl9pZCI6MX0.PLeVIhSmQOWwfF4FVSTEcKO5hHGQBm2KOU9QpLF1lOQ');
-- A PyJWT HS384 token that expired in 2023.
SELECT regress_count('eyJhbGciOiJIUzM4NCIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoxLCJleHAiOjE3MDAwMDAwMDB9.HiMUZvsgNm5jc4lQrQ0t2duL0NQBn4HdI32ZmhUnNGkFpA7Be5KKOTMRPWA79lMF');
\echo sqlstate :LAST_ERROR_SQLSTATE

-- No token: NULL, empty, blanks, "Bearer" alone.
SELECT regress_count(NULL);
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count('');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count('   ');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count('Bearer');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count('Bearer   ');
\echo sqlstate :LAST_ERROR_SQLSTATE

-- exp: in the past, within the leeway, integer or fractional (pgjwt on
-- PostgreSQL 15 writes extract(epoch ...) with a fraction).
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'exp', regress_epoch(3600))));
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'exp', floor(regress_epoch(3600)))));
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'exp', regress_epoch(-3600))));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'exp', floor(regress_epoch(-3600)))));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'exp', regress_epoch(-10))));
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'exp', regress_epoch(-40))));
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_leeway = 0;
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'exp', regress_epoch(-10))));
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_leeway = '2min';
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'exp', regress_epoch(-100))));
RESET invite_api.jwt_leeway;
-- exp 0 is long past, not "no exp".
SELECT regress_count(invite_test.sign('{"user_id": 1, "exp": 0}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
-- exp that is not a number.
SELECT regress_count(invite_test.sign('{"user_id": 1, "exp": "4102444800"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1, "exp": null}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1, "exp": [4102444800]}'));
\echo sqlstate :LAST_ERROR_SQLSTATE

-- nbf: in the future, within the leeway, in the past.
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'nbf', regress_epoch(3600))));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'nbf', regress_epoch(10))));
SELECT regress_count(invite_test.sign(json_build_object('user_id', 1, 'nbf', regress_epoch(-3600), 'exp', regress_epoch(3600))));
SELECT regress_count(invite_test.sign('{"user_id": 1, "nbf": true}'));
\echo sqlstate :LAST_ERROR_SQLSTATE

-- Algorithms: "none", RS256 over an HMAC made with the secret, a lower-case
-- "hs256" (libjwt alone would accept it), no alg at all.
SELECT invite_test.b64url('{"alg":"none","typ":"JWT"}') || '.' || invite_test.b64url('{"user_id":1}') || '.' AS none_token \gset
SELECT regress_count(:'none_token');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1}', header => '{"alg":"none"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1}', header => '{"alg":"RS256","typ":"JWT"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1}', header => '{"alg":"hs256","typ":"JWT"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1}', header => '{"typ":"JWT"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
-- A header that signals extensions we do not implement.
SELECT regress_count(invite_test.sign('{"user_id": 1}', header => '{"alg":"HS256","crit":["exp"]}'));
\echo sqlstate :LAST_ERROR_SQLSTATE

-- Tampering: another payload under ann's signature, another header, a
-- signature from another secret, a signature cut short.
SELECT split_part(:'ann', '.', 1) || '.' || split_part(invite_test.sign('{"user_id": 2}'), '.', 2)
       || '.' || split_part(:'ann', '.', 3) AS tampered \gset
SELECT regress_count(:'tampered');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_test.b64url('{"alg":"HS256","typ":"JWT","kid":"x"}') || '.' || split_part(:'ann', '.', 2)
       || '.' || split_part(:'ann', '.', 3) AS tampered \gset
SELECT regress_count(:'tampered');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1}', secret => 'another-secret-0123456789-abcdefghij'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(left(:'ann', -4));
\echo sqlstate :LAST_ERROR_SQLSTATE

-- Shapes that never reach libjwt: empty segments, wrong number of parts,
-- padding, characters outside base64url, impossible segment lengths.
SELECT regress_count('..');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count('.' || split_part(:'ann', '.', 2) || '.' || split_part(:'ann', '.', 3));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(split_part(:'ann', '.', 1) || '..' || split_part(:'ann', '.', 3));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(split_part(:'ann', '.', 1) || '.' || split_part(:'ann', '.', 2) || '.');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(split_part(:'ann', '.', 1) || '.' || split_part(:'ann', '.', 2));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(:'ann' || '.' || split_part(:'ann', '.', 3));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(:'ann' || '=');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(replace(:'ann', '.', '.+'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count('abcde.abcde.abcde');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count('Bearer: ' || :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count('Basic dXNlcjpwYXNz');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count('abcd.abcd.abcd');
\echo sqlstate :LAST_ERROR_SQLSTATE

-- Length: 8192 bytes is screened by libjwt, one more is refused unread, and
-- multi-megabyte tokens never reach it (libjwt would overflow the stack).
SELECT regress_count(repeat('a', 4092) || '.' || repeat('b', 4094) || '.aaaa');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(repeat('a', 4092) || '.' || repeat('b', 4095) || '.aaaa');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(split_part(:'ann', '.', 1) || '.' || repeat('A', 4 * 1024 * 1024) || '.' || split_part(:'ann', '.', 3));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count('Bearer ' || repeat('x', 16 * 1024 * 1024));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT 'backend still up' AS status;

-- Payloads: not an object, not JSON, a claim given twice.
SELECT regress_count(invite_test.sign('[{"user_id": 1}]'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('1'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_test.b64url('{"alg":"HS256","typ":"JWT"}') || '.' || invite_test.b64url('{"user_id":1') AS unsigned \gset
SELECT regress_count(:'unsigned' || '.' || invite_test.b64url(hmac(:'unsigned', 'regress-secret-0123456789-abcdefghij', 'sha256')));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 2, "user_id": 1}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
-- Claims we do not check may be anything.
SELECT regress_count(invite_test.sign('{"user_id": 1, "iat": "yesterday", "role": "web", "x": {"exp": "no"}}'));

-- The user claim: an integer or a string of digits within bigint.
SELECT regress_count(invite_test.sign('{"user_id": "1"}'));
SELECT regress_count(invite_test.sign('{"user_id": "0001"}'));
SELECT regress_count(invite_test.sign('{"sub": "1"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1.5}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1.0}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1e0}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": "one"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": ""}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": "-1"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": " 1"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": true}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": null}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": [1]}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": {"id": 1}}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": "9223372036854775808"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 9223372036854775808}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
-- Within bigint, but nobody: verified, then not a manager.
SELECT regress_count(invite_test.sign('{"user_id": 9223372036854775807}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": "9223372036854775807"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": -1}'));
\echo sqlstate :LAST_ERROR_SQLSTATE

-- Another claim can hold the user id.
SET invite_api.jwt_user_claim = 'sub';
SELECT regress_count(invite_test.sign('{"sub": "1"}'));
SELECT regress_count(invite_test.sign('{"user_id": 1}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_user_claim = '';
\echo sqlstate :LAST_ERROR_SQLSTATE
RESET invite_api.jwt_user_claim;

-- Audience: unchecked when unset; when set, a string equal to it or an
-- array of strings containing it.
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": ["x", 5]}'));
SET invite_api.jwt_audience = 'invite-api';
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": "invite-api"}'));
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": ["web", "invite-api"]}'));
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": "web"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": ["web", "mobile"]}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": []}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": ["invite-api", 5]}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": [["invite-api"]]}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": {"invite-api": true}}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": "INVITE-API"}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT regress_count(invite_test.sign('{"user_id": 1, "aud": null}'));
\echo sqlstate :LAST_ERROR_SQLSTATE
RESET invite_api.jwt_audience;

-- The server's own json_object() still works after libjwt ran in this
-- session (libjwt's jansson must not have bound to it, nor it to jansson).
SELECT json_object('{a,1}');
SELECT json_object('{a,b}', '{1,2}');
SELECT regress_count(:'ann');

DROP FUNCTION regress_count(text);

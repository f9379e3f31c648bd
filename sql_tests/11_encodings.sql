--
-- A token is judged the same in every database encoding: claims are read as
-- the UTF-8 JSON they are, and compared with the settings converted to UTF-8,
-- never converted to the database encoding (LATIN1 has no CJK characters).
-- The same cases run in a LATIN1 database and in this (UTF8) one.
--
-- The cases, as a function created in each database: name, payload (JSON
-- text, signed with the suites' secret), the audience, user claim and token
-- types set while it is verified.  Each gives "accepted" with the page's count, or the
-- SQLSTATE and DETAIL of its error.
SELECT $fn$
CREATE FUNCTION regress_encoding_cases()
RETURNS TABLE (case_name text, outcome text)
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    page jsonb;
    detail text;
BEGIN
    FOR c IN
        SELECT *, 'access' AS token_types FROM (VALUES
            ('CJK escapes in a claim', '{"user_id": 911001, "name": "\u4e2d\u6587"}', '', 'user_id'),
            ('an emoji as a surrogate pair', '{"user_id": 911001, "name": "\ud83d\ude00"}', '', 'user_id'),
            ('CJK escapes in a claim name', '{"user_id": 911001, "\u4e2d": 5}', '', 'user_id'),
            ('the user id as an escaped digit', '{"user_id": "\u0039\u0031\u0031\u0030\u0030\u0031"}', '', 'user_id'),
            ('audience with é, raw', '{"user_id": 911001, "aud": "café"}', 'café', 'user_id'),
            ('audience with é, escaped', '{"user_id": 911001, "aud": "caf\u00e9"}', 'café', 'user_id'),
            ('audience in CJK, another required', '{"user_id": 911001, "aud": "\u4e2d"}', 'café', 'user_id'),
            ('audiences in CJK and with é', '{"user_id": 911001, "aud": ["\u4e2d", "café"]}', 'café', 'user_id'),
            ('user claim named with é, raw', '{"utilisateur_é": 911001}', '', 'utilisateur_é'),
            ('user claim named with é, escaped', '{"utilisateur_\u00e9": 911001}', '', 'utilisateur_é'),
            ('user claim missing, CJK claims', '{"utilisateur": 911001, "\u4e2d": "\u6587"}', '', 'utilisateur_é')
        ) AS v(name, claims, audience, user_claim)
        UNION ALL
        SELECT * FROM (VALUES
            ('token type with è, raw', '{"user_id": 911001, "token_type": "accès"}', '', 'user_id', 'accès, refresh'),
            ('token type with è, escaped', '{"user_id": 911001, "token_type": "acc\u00e8s"}', '', 'user_id', 'accès'),
            ('token type in CJK, not listed', '{"user_id": 911001, "token_type": "\u4e2d"}', '', 'user_id', 'accès')
        ) AS t(name, claims, audience, user_claim, token_types)
    LOOP
        case_name := c.name;
        BEGIN
            PERFORM set_config('invite_api.jwt_audience', c.audience, true),
                    set_config('invite_api.jwt_user_claim', c.user_claim, true),
                    set_config('invite_api.jwt_token_types', c.token_types, true);
            -- exp, then the case's claims (and the platform's token_type
            -- unless the case has its own).
            page := invite_api.event_invites_page(91100, 1, 0, invite_test.sign(
                ('{"exp": 4102444800, '
                 || CASE WHEN c.claims LIKE '%"token_type"%' THEN ''
                         ELSE '"token_type": "access", ' END
                 || substr(c.claims, 2))::json));
            outcome := 'accepted, count ' || (page ->> 'count');
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
            outcome := SQLSTATE || ': ' || detail;
        END;
        RETURN NEXT;
    END LOOP;
END;
$$
$fn$ AS cases_fn \gset

CREATE DATABASE regress_latin1 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'
    TEMPLATE template0;
\c regress_latin1
SHOW server_encoding;
CREATE EXTENSION invite_api;
\set ECHO none
SET client_min_messages = warning;
\i test/helpers/tokens.sql
RESET client_min_messages;
SELECT :'cases_fn' \gexec
\set ECHO all
-- Event 91100, managed by user 911001, with one invite.
INSERT INTO invite_api.users (id, username) VALUES (911001, 'regress-enc-1'), (911002, 'regress-enc-2');
INSERT INTO invite_api.events (id, name) VALUES (91100, 'encodings');
INSERT INTO invite_api.event_managers VALUES (91100, 911001);
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (91100, 911002);
SELECT * FROM regress_encoding_cases();

\c contrib_regression
SHOW server_encoding;
\set ECHO none
SELECT :'cases_fn' \gexec
\set ECHO all
-- Event 91100, managed by user 911001, with one invite.
INSERT INTO invite_api.users (id, username) VALUES (911001, 'regress-enc-1'), (911002, 'regress-enc-2');
INSERT INTO invite_api.events (id, name) VALUES (91100, 'encodings');
INSERT INTO invite_api.event_managers VALUES (91100, 911001);
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (91100, 911002);
SELECT * FROM regress_encoding_cases();
DROP FUNCTION regress_encoding_cases();
DELETE FROM invite_api.events WHERE id = 91100;
DELETE FROM invite_api.users WHERE id IN (911001, 911002);
DROP DATABASE regress_latin1;

--
-- Hostile tokens: thousands of mutations of a few valid tokens, and garbage
-- of every shape and size, each refused with 28000 by the same backend,
-- which stays up.  The tokens are generated here (random() is seeded), so
-- only aggregates are printed.
--
-- A mutation cannot verify unless it changes nothing that counts: blanks
-- around the token and a "Bearer " prefix (any case) are ignored.  Such
-- tokens are counted apart, as accepted no-ops, by a model of that rule in
-- SQL; a token the model calls a no-op must be accepted, any other refused.
--
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
-- Most seeds have no "exp" (10_token_rules tests that rule).
SET invite_api.jwt_require_exp = off;

-- An event of our own, whatever earlier tests left behind.
INSERT INTO invite_api.users (id, username) VALUES (880001, 'hostile-manager'), (880002, 'hostile-guest');
INSERT INTO invite_api.events VALUES (880, 'hostile');
INSERT INTO invite_api.event_managers VALUES (880, 880001);
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (880, 880002);

SELECT pg_backend_pid() AS pid_before, pg_postmaster_start_time() AS started_before \gset

-- What one call gives: "accepted", or the SQLSTATE of its error.
CREATE FUNCTION regress_try(token text) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM invite_api.event_invites_page(880, 1, 0, token);
    RETURN 'accepted';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE;
END;
$$;

-- The token the server verifies: blanks (space, tab) around dropped, then
-- "Bearer" (ASCII letters in any case) followed by blanks, or alone.
CREATE FUNCTION regress_stripped(token text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT CASE WHEN lower(left(t, 6) COLLATE "C") = 'bearer'
                     AND (length(t) = 6 OR substr(t, 7, 1) IN (' ', E'\t'))
                THEN ltrim(substr(t, 7), E' \t') ELSE t END
      FROM btrim(token, E' \t') AS t
$$;

-- The valid tokens mutated below: each algorithm, the platform's issuer's
-- claims, a string user id and an audience array.
CREATE TEMP TABLE seed (name text PRIMARY KEY, token text NOT NULL);
INSERT INTO seed VALUES
    ('hs256', invite_test.sign('{"user_id": 880001}')),
    ('hs384', invite_test.sign('{"user_id": 880001}', alg => 'HS384')),
    ('hs512', invite_test.sign('{"user_id": 880001, "exp": 4102444800}', alg => 'HS512')),
    ('platform', invite_test.sign('{"token_type": "access", "exp": 4102444800, "iat": 1732000000, "jti": "5f0c3e8a9b7d4c2e8f1a6b3c9d0e7f21", "user_id": 880001}')),
    ('string id', invite_test.sign('{"user_id": "880001", "aud": ["web", "mobile"]}'));
SELECT name, length(token), regress_try(token) FROM seed ORDER BY name;

CREATE TEMP TABLE hostile (kind text NOT NULL, token text NOT NULL);
SELECT setseed(0.2024);

-- The base64url alphabet; a character's successor in it (and 'A' for '.').
CREATE FUNCTION regress_b64_next(c text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT substr(a, strpos(a, c) % 64 + 1, 1)
      FROM (VALUES ('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')) v(a)
$$;

-- Cut at every length, from the right and from the left.
INSERT INTO hostile
SELECT 'cut', t FROM seed s, generate_series(0, length(s.token) - 1) n,
       LATERAL (VALUES (left(s.token, n)), (right(s.token, n))) v(t);

-- Each byte changed: to its successor in the alphabet, to '.', to another
-- printable ASCII character, to a non-ASCII character; each byte deleted;
-- a character inserted before each byte.
INSERT INTO hostile
SELECT 'byte changed', overlay(s.token PLACING c FROM i FOR 1)
  FROM seed s, generate_series(1, length(s.token)) i,
       LATERAL (SELECT substr(s.token, i, 1) AS orig,
                       chr(32 + floor(random() * 95)::int) AS ascii,
                       CASE WHEN random() < 0.3 THEN chr(65536 + floor(random() * 1048576)::int)
                            ELSE chr(128 + floor(random() * 55000)::int) END AS other) o,
       LATERAL (VALUES (regress_b64_next(o.orig)),
                       (CASE WHEN o.orig = '.' THEN 'A' ELSE '.' END),
                       (CASE WHEN o.ascii = o.orig THEN '~' ELSE o.ascii END),
                       (o.other)) v(c);
INSERT INTO hostile
SELECT 'byte deleted', overlay(s.token PLACING '' FROM i FOR 1)
  FROM seed s, generate_series(1, length(s.token)) i;
INSERT INTO hostile
SELECT 'byte inserted', overlay(s.token PLACING regress_b64_next(substr(s.token, i, 1)) FROM i FOR 0)
  FROM seed s, generate_series(1, length(s.token)) i;

-- Bits flipped, one or three at a time, at random places (bits 0-6 keep it
-- ASCII; a flip to NUL is left out: text cannot hold it).
CREATE FUNCTION regress_flip(t text, pos int, b int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN (ascii(substr(t, pos, 1)) # (1 << b)) = 0 THEN t
                ELSE overlay(t PLACING chr(ascii(substr(t, pos, 1)) # (1 << b)) FROM pos FOR 1) END
$$;
INSERT INTO hostile
SELECT 'bits flipped', CASE WHEN g % 4 = 0
                            THEN regress_flip(regress_flip(regress_flip(s.token, r.p1, r.b1), r.p2, r.b2), r.p3, r.b3)
                            ELSE regress_flip(s.token, r.p1, r.b1) END
  FROM seed s, generate_series(1, 240) g,
       LATERAL (SELECT 1 + floor(random() * length(s.token))::int AS p1, floor(random() * 7)::int AS b1,
                       1 + floor(random() * length(s.token))::int AS p2, floor(random() * 7)::int AS b2,
                       1 + floor(random() * length(s.token))::int AS p3, floor(random() * 7)::int AS b3,
                       g AS n) r;
DELETE FROM hostile WHERE kind = 'bits flipped' AND token IN (SELECT token FROM seed);

-- Segments reordered, repeated, dropped, joined differently; segments of
-- one valid token with those of another.
INSERT INTO hostile
SELECT 'segments', array_to_string(ARRAY(SELECT split_part(s.token, '.', k) FROM unnest(x.o) k), j)
  FROM seed s,
       unnest(ARRAY['1,3,2', '2,1,3', '2,3,1', '3,1,2', '3,2,1', '1,2', '2,3', '1,3', '1', '2',
                    '3', '1,2,3,3', '1,1,2,3', '1,2,2,3', '1,2,3,1,2,3', '1,1,1', '2,2,2', '3,3,3',
                    '1,2,3,1', '1,2,1', '1,2,3,2', '3,2,1,2,3']) AS order_text,
       LATERAL (SELECT string_to_array(order_text, ',')::int[] AS o) x,
       unnest(ARRAY['.', '..', '', ' . ', '.=', ',', ':']) AS j;
INSERT INTO hostile
SELECT 'segments', concat_ws('.', split_part(a.token, '.', x), split_part(b.token, '.', y), split_part(c.token, '.', z))
  FROM seed a, seed b, seed c, (VALUES (1, 2, 3)) v(x, y, z)
 WHERE NOT (a.name = b.name AND b.name = c.name);

-- Padding with '=', blanks and other white space, inside and around.
INSERT INTO hostile
SELECT 'padding', t
  FROM seed s,
       LATERAL (SELECT split_part(s.token, '.', 1) AS h, split_part(s.token, '.', 2) AS p,
                       split_part(s.token, '.', 3) AS g) x,
       LATERAL (VALUES (s.token || '='), (s.token || '=='), (s.token || '==='), ('=' || s.token),
                       (h || '=.' || p || '.' || g), (h || '.' || p || '==.' || g),
                       (rpad(h, (length(h) + 3) / 4 * 4, '=') || '.' || rpad(p, (length(p) + 3) / 4 * 4, '=')
                            || '.' || rpad(g, (length(g) + 3) / 4 * 4, '=')),
                       (h || ' .' || p || '.' || g), (h || '. ' || p || '.' || g),
                       (h || '.' || p || '.' || g || ' =='), (h || ' . ' || p || ' . ' || g),
                       (' ' || s.token), (s.token || ' '), ('   ' || s.token || '   '),
                       (E'\t' || s.token || E'\t'), (E' \t \t' || s.token || E'\t \t '),
                       (repeat(' ', 5000) || s.token || repeat(E'\t', 5000)),
                       (E'\n' || s.token), (s.token || E'\n'), (s.token || E'\r\n'),
                       (E'\r' || s.token), (E'\f' || s.token), (E'\v' || s.token),
                       (chr(160) || s.token), (s.token || chr(160)), (chr(8203) || s.token),
                       (chr(65279) || s.token), (s.token || chr(12288)),
                       (left(s.token, 20) || ' ' || substr(s.token, 21))) v(t);

-- Multi-megabyte and boundary sizes: valid-shaped tokens of 8 KB on either
-- side of the limit (8192 reaches libjwt), segments grown to megabytes,
-- blanks of megabytes around a valid token.
INSERT INTO hostile
SELECT 'huge', t
  FROM (SELECT n FROM generate_series(13, 24) k, LATERAL (VALUES (1 << k), ((1 << k) - 1), ((1 << k) + 1)) v(n)) sz,
       LATERAL (SELECT repeat('a', (sz.n - 6) / 2) || '.' || repeat('b', sz.n - 6 - (sz.n - 6) / 2) || '.aaaa' AS t) x
 WHERE sz.n <= 8193 OR sz.n IN (65536, 1048576, 16777216);
INSERT INTO hostile
SELECT 'huge', t
  FROM seed s,
       LATERAL (SELECT split_part(s.token, '.', 1) AS h, split_part(s.token, '.', 2) AS p,
                       split_part(s.token, '.', 3) AS g) x,
       LATERAL (VALUES (h || '.' || repeat(p, 4 * 1024 * 1024 / length(p)) || '.' || g),
                       (repeat(h, 3000) || '.' || p || '.' || g),
                       (h || '.' || p || '.' || repeat(g, 1024 * 1024 / length(g))),
                       (repeat(s.token || '.', 2 * 1024 * 1024 / length(s.token)))) v(t)
 WHERE s.name IN ('hs256', 'platform');
INSERT INTO hostile VALUES
    ('huge', 'Bearer ' || repeat('x', 16 * 1024 * 1024)),
    ('huge', repeat('.', 1024 * 1024)),
    ('huge', repeat('é', 1024 * 1024)),
    ('huge', repeat('A', 4 * 1024 * 1024) || '.' || repeat('A', 4 * 1024 * 1024) || '.' || repeat('A', 4 * 1024 * 1024)),
    ('huge', repeat(' ', 3 * 1024 * 1024) || (SELECT token FROM seed WHERE name = 'hs256') || repeat(' ', 3 * 1024 * 1024)),
    ('huge', 'Bearer ' || repeat(E'\t', 3 * 1024 * 1024) || (SELECT token FROM seed WHERE name = 'hs512'));

-- Text that is not a token: random characters of all of Unicode (no NUL,
-- no surrogates), random control and ASCII characters, random base64url
-- with two dots (these reach libjwt), random segments under a valid header.
INSERT INTO hostile
SELECT 'unicode', x.t
  FROM generate_series(1, 400) g,
       LATERAL (SELECT string_agg(CASE WHEN random() < 0.5 THEN chr(1 + floor(random() * 55295)::int)
                                       ELSE chr(57344 + floor(random() * 1056767)::int) END, '') AS t
                  FROM generate_series(1, 1 + (g * 7919) % 300)) x;
INSERT INTO hostile
SELECT 'binary-ish', x.t
  FROM generate_series(1, 400) g,
       LATERAL (SELECT string_agg(chr(1 + floor(random() * 127)::int), '') AS t
                  FROM generate_series(1, 1 + (g * 104729) % 600)) x;
INSERT INTO hostile
SELECT 'random base64url', x.t
  FROM generate_series(1, 600) g,
       LATERAL (SELECT string_agg(CASE WHEN i IN (1 + g % 97, 2 + g % 97 + g % 211) THEN '.'
                                       ELSE substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
                                                   1 + floor(random() * 64)::int, 1) END, '' ORDER BY i) AS t
                  FROM generate_series(1, 3 + g % 97 + g % 211 + (g * 31) % 400) i) x;
INSERT INTO hostile
SELECT 'random base64url', split_part(s.token, '.', 1) || '.' || x.p || '.' || x.g
  FROM seed s, generate_series(1, 60) n,
       LATERAL (SELECT string_agg(substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
                                         1 + floor(random() * 64)::int, 1), '') FILTER (WHERE i <= 2 + n * 3) AS p,
                       string_agg(substr('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
                                         1 + floor(random() * 64)::int, 1), '') FILTER (WHERE i <= 43 + n % 3 * 21) AS g
                  FROM generate_series(1, 200) i) x;

-- Signed with the secret, so past libjwt, but hostile inside: nesting as
-- deep as fits in 8 KB, numbers out of range, NUL escapes, lone
-- surrogates, bytes that are not UTF-8, headers that are not what they say.
CREATE FUNCTION regress_sign_raw(header bytea, payload bytea) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT s || '.' || invite_test.b64url(hmac(s, 'regress-secret-0123456789-abcdefghij', 'sha256'))
      FROM (SELECT invite_test.b64url(header) || '.' || invite_test.b64url(payload) AS s) x
$$;
INSERT INTO hostile
SELECT 'signed hostile', regress_sign_raw(convert_to('{"alg":"HS256","typ":"JWT"}', 'utf8'), convert_to(p, 'utf8'))
  FROM (VALUES (repeat('[', 100) || repeat(']', 100)),
               (repeat('[', 2047) || repeat(']', 2047)),
               (repeat('[', 2049) || repeat(']', 2049)),
               (repeat('{"a":', 1000) || '1' || repeat('}', 1000)),
               ('{"x":' || repeat('[', 2000) || repeat(']', 2000) || '}'),
               ('{"user_id": 880001, "exp": 1e999}'),
               ('{"user_id": 880001, "exp": -1e999}'),
               ('{"user_id": 880001, "nbf": 1e400}'),
               ('{"user_id": 1e999}'),
               ('{"user_id": 880001' || repeat('0', 2000) || '}'),
               ('{"user_id\u0000": 880001}'),
               ('{"user_id": "880001\u0000"}'),
               ('{"user_id": "\ud800"}'),
               ('{"user_id": 880001, "\udc00": 1}'),
               ('{"user_id": 880001, "user_id": 880001}'),
               ('{"user_id": 880001, "exp": "later"}'),
               ('{"user_id": 880001,}'),
               ('{"user_id": 880001} {}'),
               (''),
               ('null')) v(p);
INSERT INTO hostile
SELECT 'signed hostile', regress_sign_raw(h, p)
  FROM (VALUES (convert_to('{"alg":"HS256","typ":"JWT"}', 'utf8'), '\xff7b2275736572'::bytea),
               (convert_to('{"alg":"HS256","typ":"JWT"}', 'utf8'), '\x7b22757365725f6964223a20383830303031207dc0'::bytea),
               (convert_to('{"alg":"HS256","typ":"JWT"}', 'utf8'), '\x7b22757365725f6964223a2038383030303100207d'::bytea),
               ('\xfffe'::bytea, convert_to('{"user_id": 880001}', 'utf8')),
               (convert_to('{"alg":"HS256","alg":"none"}', 'utf8'), convert_to('{"user_id": 880001}', 'utf8')),
               (convert_to('{"alg":"HS256","crit":[]}', 'utf8'), convert_to('{"user_id": 880001}', 'utf8')),
               (convert_to('{"alg":["HS256"]}', 'utf8'), convert_to('{"user_id": 880001}', 'utf8')),
               (convert_to('{"alg":"HS512"}', 'utf8'), convert_to('{"user_id": 880001}', 'utf8')),
               (convert_to('[]', 'utf8'), convert_to('{"user_id": 880001}', 'utf8'))) v(h, p);

-- "Bearer" and other schemes, written every way.
INSERT INTO hostile
SELECT 'bearer', p || s.token || q
  FROM seed s,
       unnest(ARRAY['Bearer ', 'bearer ', 'BEARER ', 'bEaReR ', E'Bearer\t', 'Bearer    ', ' Bearer ',
                    E'\tBEARER\t\t', 'Bearer', 'Bearer:', 'Bearer: ', 'Bearer,', 'Bearer=', 'Bearer.',
                    'Bearer Bearer ', 'Bearer bearer ', 'Bearerr ', 'Beare ', 'Bear ', 'B ', 'Token ',
                    'JWT ', 'Basic ', 'Digest ', 'Authorization: Bearer ', E'Bearer\n', E'Bearer\r\n',
                    'Bearer' || chr(160), 'Ｂｅａｒｅｒ ', 'Веаrer ', 'Bearer ''', 'Bearer "']) AS p,
       unnest(ARRAY['', ' ', '"', '''', ';', E'\n']) AS q;
INSERT INTO hostile VALUES ('bearer', 'Bearer'), ('bearer', 'bearer '), ('bearer', E'Bearer\t\t'),
                           ('bearer', ' '), ('bearer', ''), ('bearer', E'\t');

-- What each got.
CREATE TEMP TABLE outcome AS
SELECT h.kind, length(h.token) AS length, left(h.token, 60) AS sample,
       octet_length(h.token) > length(h.token) AS non_ascii,
       regress_stripped(h.token) IN (SELECT token FROM seed) AS noop,
       regress_try(h.token) AS got
  FROM hostile h;

-- Per kind: how many, how many refused with 28000, how many accepted as
-- the no-ops they are, and anything else.
SELECT kind, count(*) AS tokens,
       count(*) FILTER (WHERE got = '28000') AS refused,
       count(*) FILTER (WHERE got = 'accepted' AND noop) AS noops_accepted,
       count(*) FILTER (WHERE (got = 'accepted') <> noop OR got NOT IN ('accepted', '28000')) AS unexpected
  FROM outcome GROUP BY ROLLUP (kind) ORDER BY kind NULLS LAST;
SELECT count(*) FILTER (WHERE length > 8192) AS over_8k,
       count(*) FILTER (WHERE length >= 1024 * 1024) AS megabytes,
       count(*) FILTER (WHERE non_ascii) AS non_ascii
  FROM outcome;
-- Anything else, with a sample (none when all is well).
SELECT kind, got, noop, length, sample FROM outcome
 WHERE (got = 'accepted') <> noop OR got NOT IN ('accepted', '28000')
 ORDER BY kind, length, sample LIMIT 20;

-- The same backend, the same postmaster: nothing crashed.
SELECT pg_backend_pid() = :pid_before AS same_backend,
       pg_postmaster_start_time() = :'started_before' AS same_postmaster;
SELECT regress_try(token) FROM seed WHERE name = 'hs256';

DROP FUNCTION regress_try(text), regress_stripped(text), regress_b64_next(text),
    regress_flip(text, int, int), regress_sign_raw(bytea, bytea);
DELETE FROM invite_api.events WHERE id = 880;
DELETE FROM invite_api.users WHERE id IN (880001, 880002);

--
-- Fixture shared by the numbered tests: the extension, a token signer, and a
-- small community.  The last numbered test drops all of it.
--
CREATE EXTENSION pgcrypto;
CREATE EXTENSION invite_api;

-- The tables and the function of the contract are there.
SELECT extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'invite_api';
\d invite_api.event_invites
\df invite_api.event_invites_page

-- pg_dump keeps the rows of every table (config dump registration).
SELECT c.relname
  FROM pg_extension e, unnest(e.extconfig) AS t(oid)
  JOIN pg_class c ON c.oid = t.oid
 WHERE e.extname = 'invite_api'
 ORDER BY 1;

-- Sign a JWT the way pgjwt's sign() does: base64url (unpadded) header and
-- payload, HMAC over "header.payload" with pgcrypto.
CREATE FUNCTION regress_b64url(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT translate(rtrim(encode(data, 'base64'), '='), E'+/\n', '-_')
$$;

CREATE FUNCTION regress_sign(payload json,
                             alg text DEFAULT 'HS256',
                             secret text DEFAULT 'regress-secret-0123456789-abcdefghij',
                             header json DEFAULT NULL) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    WITH parts AS (
        SELECT regress_b64url(convert_to(coalesce(header, json_build_object('alg', alg, 'typ', 'JWT'))::text, 'utf8'))
               || '.' || regress_b64url(convert_to(payload::text, 'utf8')) AS signed
    )
    SELECT signed || '.' || regress_b64url(hmac(signed, secret,
               CASE alg WHEN 'HS384' THEN 'sha384' WHEN 'HS512' THEN 'sha512' ELSE 'sha256' END))
      FROM parts
$$;

-- Seconds since the epoch, fractional (as pgjwt writes "exp" on PG 15).
CREATE FUNCTION regress_epoch(offset_seconds numeric DEFAULT 0) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT extract(epoch FROM now()) + offset_seconds
$$;

-- What must hold, as rows that break it (none when all is well): each
-- event's count is its number of invites; its runs add up to it; each run
-- holds exactly the keys from its first key up to the next run's; every
-- event with runs starts with the (-infinity) run; runs stay within bounds.
CREATE FUNCTION regress_position_faults() RETURNS TABLE (event_id bigint, fault text)
LANGUAGE sql AS $$
    WITH truth AS (
        SELECT i.event_id, count(*) AS invites FROM invite_api.event_invites i GROUP BY 1
    ), runs AS (
        SELECT r.*, lead(ROW(r.first_at, r.first_user)) OVER w AS next_key,
               row_number() OVER w AS n
          FROM invite_api.invite_runs r
        WINDOW w AS (PARTITION BY r.event_id ORDER BY r.first_at, r.first_user)
    )
    SELECT coalesce(t.event_id, c.event_id), 'count ' || coalesce(c.invites, 0) || ' <> ' || coalesce(t.invites, 0)
      FROM truth t FULL JOIN invite_api.invite_counts c USING (event_id)
     WHERE coalesce(c.invites, 0) <> coalesce(t.invites, 0)
    UNION ALL
    SELECT c.event_id, 'runs add up to ' || coalesce(sum(r.invites), 0)
      FROM invite_api.invite_counts c LEFT JOIN invite_api.invite_runs r USING (event_id)
     GROUP BY c.event_id, c.invites HAVING coalesce(sum(r.invites), 0) <> c.invites
    UNION ALL
    SELECT r.event_id, 'run ' || r.first_at || ' holds ' || r.invites || ' but has ' ||
           (SELECT count(*) FROM invite_api.event_invites i
             WHERE i.event_id = r.event_id
               AND ROW(i.invited_at, i.user_id) >= ROW(r.first_at, r.first_user)
               AND (r.next_key IS NULL OR ROW(i.invited_at, i.user_id) < r.next_key))
      FROM runs r
     WHERE r.invites <> (SELECT count(*) FROM invite_api.event_invites i
                          WHERE i.event_id = r.event_id
                            AND ROW(i.invited_at, i.user_id) >= ROW(r.first_at, r.first_user)
                            AND (r.next_key IS NULL OR ROW(i.invited_at, i.user_id) < r.next_key))
    UNION ALL
    SELECT r.event_id, 'first run starts at ' || r.first_at
      FROM runs r WHERE r.n = 1 AND (r.first_at, r.first_user) <> ('-infinity', -9223372036854775808)
    UNION ALL
    SELECT r.event_id, 'run of ' || r.invites || ' invites'
      FROM runs r
     WHERE r.invites > 2 * invite_api.invite_run_size()
        OR (r.n > 1 AND r.invites < invite_api.invite_run_size() / 4)
$$;

-- The rows of pages that differ from the plain ORDER BY/LIMIT/OFFSET ground
-- truth (none when all is well).
CREATE FUNCTION regress_page_faults(p_event bigint, p_limit int, p_offsets int[])
RETURNS TABLE ("offset" int, fault text)
LANGUAGE sql AS $$
    SELECT o, 'got ' || got::text || ' want ' || want::text
      FROM unnest(p_offsets) AS o,
           LATERAL (SELECT coalesce(jsonb_agg(r -> 'id'), '[]') AS got
                      FROM jsonb_array_elements(invite_api.event_invites_page(p_event, p_limit, o,
                               regress_sign('{"user_id": 1}')) -> 'results') AS r) g,
           LATERAL (SELECT coalesce(jsonb_agg(to_jsonb(user_id) ORDER BY invited_at, user_id), '[]') AS want
                      FROM (SELECT user_id, invited_at FROM invite_api.event_invites
                             WHERE event_id = p_event ORDER BY invited_at, user_id
                             LIMIT p_limit OFFSET o) t) w
     WHERE got <> want
$$;

-- The community: user 1 manages events 10 and 11, user 2 manages event 12,
-- user 3000000000 (beyond int4) manages event 20.
INSERT INTO invite_api.users (id, username, real_name, ext_id, avatar) VALUES
    (1, 'ann', 'Ann Lee', 70, 'https://img.example.com/ann.png'),
    (2, 'bob', 'Bob Roe', NULL, NULL),
    (3, 'cy', 'Cy Twombly', 33, NULL),
    (4, 'dee', 'Dee Dee', NULL, 'https://img.example.com/dee.png'),
    (5, 'eve', 'Eve "Quotes" O''Neil', 55, 'https://img.example.com/eve.png?size=2&x=y'),
    (6, 'fay', '', 66, NULL),
    (7, 'gus', 'Gus ☃ Ünicode', 77, NULL),
    (3000000000, 'big', 'Big Id', 3000000001, NULL);
INSERT INTO invite_api.users (id, username) VALUES (8, 'hal');

INSERT INTO invite_api.events (id, name) VALUES
    (10, 'party'), (11, 'empty'), (12, 'other'), (20, 'big ids');
INSERT INTO invite_api.event_managers (event_id, user_id) VALUES
    (10, 1), (11, 1), (12, 2), (20, 3000000000);

-- Event 10: seven invites; users 4, 2 and 6 share one instant (ties are
-- ordered by user id), and the order is not the id order.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at) VALUES
    (10, 7, 1, '2024-03-01 10:00:00+00'),
    (10, 4, 1, '2024-03-01 11:00:00+00'),
    (10, 2, 1, '2024-03-01 11:00:00+00'),
    (10, 6, 1, '2024-03-01 11:00:00+00'),
    (10, 1, NULL, '2024-03-02 09:00:00+00'),
    (10, 5, 1, '2024-03-03 08:00:00+00'),
    (10, 3, 1, '2024-03-04 07:00:00+00'),
    (12, 1, 2, '2024-03-01 00:00:00+00'),
    (20, 3000000000, NULL, '2024-03-01 00:00:00+00');

-- The ground truth a page must match.
SELECT user_id FROM invite_api.event_invites WHERE event_id = 10
 ORDER BY invited_at, user_id;

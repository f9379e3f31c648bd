--
-- Fixture shared by the numbered tests: the extension, the token signer and
-- checks of test/helpers/, and a small community.  The last numbered test
-- drops all of it.
--
CREATE EXTENSION invite_api;

-- The tables and the function of the contract are there.
SELECT extversion, extrelocatable, extnamespace::regnamespace
  FROM pg_extension WHERE extname = 'invite_api';
\d invite_api.event_invites
\df invite_api.event_invites_page

-- Every table, function and trigger of the extension says what it is for
-- (\dt+, \df+ and \dx+ show it): none without a description.
SELECT pg_describe_object(d.classid, d.objid, 0) AS undescribed
  FROM pg_depend d
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'invite_api'
 WHERE d.deptype = 'e' AND d.classid <> 'pg_type'::regclass
   AND obj_description(d.objid, (SELECT c.relname FROM pg_class c WHERE c.oid = d.classid)) IS NULL
 ORDER BY 1;

-- pg_dump keeps the rows of every table (config dump registration).
SELECT c.relname
  FROM pg_extension e, unnest(e.extconfig) AS t(oid)
  JOIN pg_class c ON c.oid = t.oid
 WHERE e.extname = 'invite_api'
 ORDER BY 1;

-- Seconds since the epoch, fractional (as pgjwt writes "exp" on PG 15).
CREATE FUNCTION regress_epoch(offset_seconds numeric DEFAULT 0) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT extract(epoch FROM now()) + offset_seconds
$$;

-- The suites' token signer and checks (test/helpers/, schema
-- "invite_test"), not echoed here.
\set ECHO none
SET client_min_messages = warning;
\i test/helpers/tokens.sql
\i test/helpers/checks.sql
RESET client_min_messages;
\set ECHO all

-- Rows that break the count and the runs (none when all is well): each
-- event's count is its number of invites, its runs add up to it, each run
-- holds exactly the keys from its first key up to the next run's, the first
-- run starts at (-infinity), and runs stay within their size bounds.
CREATE FUNCTION regress_position_faults() RETURNS TABLE (event_id bigint, fault text)
LANGUAGE sql AS $$
    SELECT * FROM invite_test.position_faults()
    UNION ALL
    SELECT * FROM invite_test.run_size_faults()
$$;

-- Pages that differ from the plain ORDER BY/LIMIT/OFFSET ground truth, as
-- user 1 sees them (none when all is well).
CREATE FUNCTION regress_page_faults(p_event bigint, p_limit int, p_offsets int[])
RETURNS TABLE ("offset" int, fault text)
LANGUAGE sql AS $$
    SELECT * FROM invite_test.page_faults(p_event, p_limit, p_offsets,
                                          invite_test.token(1))
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

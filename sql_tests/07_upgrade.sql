--
-- ALTER EXTENSION invite_api UPDATE from every shipped version keeps the
-- data and the answers.  Starts from a fresh 1.0 (the fixture goes; the
-- teardown drops what this leaves).
--
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SELECT invite_test.token(1) AS ann \gset

SELECT source, target, path FROM pg_extension_update_paths('invite_api')
 WHERE path IS NOT NULL ORDER BY 1, 2;

DROP EXTENSION invite_api;
CREATE EXTENSION invite_api VERSION '1.0';

-- Version 1.0's function, served by this library's 1.0 entry point.
INSERT INTO invite_api.users (id, username)
SELECT g, 'u' || g FROM generate_series(1, 4000) AS g;
INSERT INTO invite_api.events VALUES (1, 'one'), (2, 'two'), (3, 'none');
INSERT INTO invite_api.event_managers VALUES (1, 1), (2, 1), (3, 1);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 1, g, timestamptz '2025-01-01' + (g % 97) * interval '1 hour'
  FROM generate_series(1, 3500) AS g;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 2, g, timestamptz '2025-01-01' FROM generate_series(1, 10) AS g;

CREATE TEMP TABLE pages_before AS
SELECT e, o, invite_api.event_invites_page(e, 25, o, :'ann') AS page
  FROM (VALUES (1), (2), (3)) AS ev(e), generate_series(0, 3600, 150) AS o;
SELECT * FROM regress_page_faults(1, 25, ARRAY(SELECT generate_series(0, 3600, 150)));

ALTER EXTENSION invite_api UPDATE TO '1.1';
SELECT extversion FROM pg_extension WHERE extname = 'invite_api';

-- The rows are all there, counted and placed; the answers are the same.
-- (The test helpers check 1.2's bookkeeping: 1.1's is judged by its pages.)
SELECT (SELECT count(*) FROM invite_api.users) AS users,
       (SELECT count(*) FROM invite_api.event_invites) AS invites,
       (SELECT sum(invites) FROM invite_api.invite_counts) AS counted;
SELECT b.e, b.o
  FROM pages_before b
 WHERE b.page IS DISTINCT FROM invite_api.event_invites_page(b.e, 25, b.o, :'ann');
SELECT count(*) AS pages_compared FROM pages_before;

-- And they stay right as the invites change.
DELETE FROM invite_api.event_invites WHERE event_id = 1 AND user_id % 4 = 0;
INSERT INTO invite_api.event_invites (event_id, user_id) SELECT 2, g FROM generate_series(11, 400) AS g;
SELECT * FROM regress_page_faults(1, 25, ARRAY(SELECT generate_series(0, 3000, 150)));
SELECT * FROM regress_page_faults(2, 25, ARRAY(SELECT generate_series(0, 400, 50)));

-- The bookkeeping is the extension's: it goes with it.
SELECT pg_describe_object(classid, objid, 0) AS member
  FROM pg_depend
 WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'invite_api')
   AND deptype = 'e' AND classid = 'pg_class'::regclass
 ORDER BY 1;

-- 1.1 -> 1.2: the new bookkeeping and the write side.  Until the update, a
-- 1.1 database has no write functions and serves its pages with this
-- library; after it, the rows and the answers are the same, the bookkeeping
-- is 1.2's, exact, and the functions are there.
SELECT to_regprocedure('invite_api.event_invite_users(bigint, bigint[], text)') AS invite,
       to_regprocedure('invite_api.event_uninvite_users(bigint, bigint[], text)') AS uninvite;
CREATE TEMP TABLE pages_1_1 AS
SELECT e, o, invite_api.event_invites_page(e, 25, o, :'ann') AS page
  FROM (VALUES (1), (2), (3)) AS ev(e), generate_series(0, 3600, 150) AS o;
SELECT md5(array_agg(t ORDER BY t.name)::text) AS digests_1_1 FROM invite_test.table_digests() t \gset

ALTER EXTENSION invite_api UPDATE TO '1.2';
SELECT extversion FROM pg_extension WHERE extname = 'invite_api';
SELECT md5(array_agg(t ORDER BY t.name)::text) = :'digests_1_1' AS same_rows FROM invite_test.table_digests() t;
SELECT * FROM regress_position_faults();
SELECT b.e, b.o
  FROM pages_1_1 b
 WHERE b.page IS DISTINCT FROM invite_api.event_invites_page(b.e, 25, b.o, :'ann');
SELECT count(*) AS pages_compared FROM pages_1_1;
SELECT p.oid::regprocedure, p.prosecdef, p.proconfig,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_execute
  FROM pg_proc p
 WHERE p.oid IN (to_regprocedure('invite_api.event_invite_users(bigint, bigint[], text)'),
                 to_regprocedure('invite_api.event_uninvite_users(bigint, bigint[], text)'))
 ORDER BY 1;
-- They write, and the count and pages follow.
SELECT invite_api.event_invite_users(3, ARRAY(SELECT generate_series(1, 1000)), :'ann') AS created;
SELECT invite_api.event_uninvite_users(1, ARRAY(SELECT generate_series(1, 3500, 7)), :'ann') AS removed;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(1, 25, ARRAY(SELECT generate_series(0, 2700, 150)));
SELECT * FROM regress_page_faults(3, 25, ARRAY(SELECT generate_series(0, 1000, 75)));

-- 1.0 -> 1.2 in one step (ALTER EXTENSION ... UPDATE to the default
-- version): the same rows, the same answers, the functions there.
DROP EXTENSION invite_api;
CREATE EXTENSION invite_api VERSION '1.0';
INSERT INTO invite_api.users (id, username)
SELECT g, 'u' || g FROM generate_series(1, 4000) AS g;
INSERT INTO invite_api.events VALUES (1, 'one'), (2, 'two'), (3, 'none');
INSERT INTO invite_api.event_managers VALUES (1, 1), (2, 1), (3, 1);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 1, g, timestamptz '2025-01-01' + (g % 97) * interval '1 hour'
  FROM generate_series(1, 3500) AS g;
TRUNCATE pages_before;
INSERT INTO pages_before
SELECT e, o, invite_api.event_invites_page(e, 25, o, :'ann')
  FROM (VALUES (1), (2), (3)) AS ev(e), generate_series(0, 3600, 150) AS o;
SELECT md5(array_agg(t ORDER BY t.name)::text) AS digests_1_0 FROM invite_test.table_digests() t \gset

ALTER EXTENSION invite_api UPDATE;
SELECT extversion FROM pg_extension WHERE extname = 'invite_api';
SELECT md5(array_agg(t ORDER BY t.name)::text) = :'digests_1_0' AS same_rows FROM invite_test.table_digests() t;
SELECT * FROM regress_position_faults();
SELECT b.e, b.o
  FROM pages_before b
 WHERE b.page IS DISTINCT FROM invite_api.event_invites_page(b.e, 25, b.o, :'ann');
SELECT invite_api.event_invite_users(2, '{1, 2, 3}', :'ann') AS created,
       invite_api.event_uninvite_users(1, '{1, 2, 3}', :'ann') AS removed;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(1, 25, ARRAY(SELECT generate_series(0, 3600, 150)));
SELECT * FROM regress_page_faults(2, 25, ARRAY[0]);

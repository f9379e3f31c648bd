--
-- The bookkeeping beside the invites (1.2): counts, runs of invites, runs of
-- runs and pending changes.  After every kind of write, every page matches
-- the plain ORDER BY ... LIMIT ... OFFSET ground truth and the bookkeeping
-- is exact (invite_test.position_faults()).  Runs of 16 invites, so that
-- small events already have two and three levels.
--
SELECT invite_test.token(1) AS ann \gset
SET invite_api.run_size = 16;

-- The levels, runs and invites of an event's bookkeeping.
CREATE FUNCTION regress_shape(p_event bigint)
RETURNS TABLE (level smallint, runs bigint, invites numeric)
LANGUAGE sql AS $$
    SELECT r.level, count(*), sum(r.invites) FROM invite_api.invite_runs r
     WHERE r.event_id = p_event GROUP BY r.level ORDER BY r.level
$$;

-- Event 30: 5,000 invitees in one statement, in an order unrelated to their
-- ids, with ties (five users share each instant).
INSERT INTO invite_api.users (id, username)
SELECT 100000 + g, 'u' || g FROM generate_series(1, 40000) AS g;
INSERT INTO invite_api.events VALUES (30, 'big');
INSERT INTO invite_api.event_managers VALUES (30, 1);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 30, 100000 + g, timestamptz '2025-01-01' + ((g * 7919) % 1000) * interval '1 minute'
  FROM generate_series(1, 5000) AS g;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_shape(30);
SELECT height FROM invite_api.invite_counts WHERE event_id = 30;
-- A bulk statement's changes are folded when it commits; what is left
-- pending are the fixture's few single invites (a statement that changes a
-- few keys of an event logs them one by one, folded once 32 are pending).
SELECT count(*) AS pending FROM invite_api.invite_changes;
SELECT count(*) AS pending FROM invite_api.invite_changes WHERE event_id = 30;

-- Pages at the start, around the direct-skip threshold (256), run edges, the
-- middle and the end, against the ground truth.
SELECT * FROM regress_page_faults(30, 20, ARRAY[0, 1, 19, 20, 255, 256, 257, 300, 511, 512,
    1000, 1001, 2499, 2500, 2501, 4000, 4979, 4980, 4990, 4999, 5000, 7000]);
SELECT * FROM regress_page_faults(30, 100, ARRAY(SELECT generate_series(0, 5000, 97)));
SELECT invite_api.event_invites_page(30, 3, 4998, :'ann') - 'results';

-- Single invites at the end (the usual case), at the start, in the middle.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 30, 100000 + g, timestamptz '2026-01-01' + g * interval '1 second'
  FROM generate_series(5001, 5050) AS g;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
    VALUES (30, 105051, '2000-01-01'), (30, 105052, '2025-01-01 08:00');
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(30, 20, ARRAY[0, 1, 2500, 5030, 5040]);

-- Invites one statement at a time, all over the event: each is logged as the
-- one key it changed and left pending - pages add them in - until 32 of the
-- event's are, when a commit folds them all.
SELECT format('INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)'
              ' VALUES (30, %s, %L)', 100000 + g,
              timestamptz '2025-01-01' + ((g * 7919) % 1000) * interval '1 minute' + interval '1 s')
  FROM generate_series(5060, 5079) AS g \gexec
SELECT count(*) AS pending FROM invite_api.invite_changes WHERE event_id = 30;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(30, 20, ARRAY[255, 256, 300, 1000, 2500, 4000, 5000, 5071]);
SELECT format('DELETE FROM invite_api.event_invites WHERE event_id = 30 AND user_id = %s', 100000 + g)
  FROM generate_series(5070, 5084) AS g \gexec
SELECT count(*) < 32 AS folded FROM invite_api.invite_changes WHERE event_id = 30;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(30, 20, ARRAY[255, 256, 300, 1000, 2500, 4000, 5000, 5061]);

-- Many invites into one run: it splits, and the level above splits too.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 30, 100000 + g, timestamptz '2025-01-01 00:30'
  FROM generate_series(5100, 6399) AS g;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_shape(30);
SELECT * FROM regress_page_faults(30, 50, ARRAY(SELECT generate_series(0, 6500, 211)));

-- Delete most of the middle: runs merge into the runs before them.
DELETE FROM invite_api.event_invites
 WHERE event_id = 30 AND user_id IN (SELECT user_id FROM invite_api.event_invites
                                      WHERE event_id = 30 ORDER BY invited_at, user_id
                                      OFFSET 1500 LIMIT 3000);
SELECT * FROM regress_position_faults();
SELECT * FROM regress_shape(30);
SELECT * FROM regress_page_faults(30, 50, ARRAY(SELECT generate_series(0, 3500, 173)));

-- Move invites in time (UPDATE of the key), and change what is not the key:
-- that logs nothing.
UPDATE invite_api.event_invites SET invited_at = invited_at - interval '1 year'
 WHERE event_id = 30 AND user_id % 10 = 3;
BEGIN;
UPDATE invite_api.event_invites SET invited_by = 1 WHERE event_id = 30;
SELECT count(*) AS logged FROM invite_api.invite_changes;
COMMIT;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(30, 50, ARRAY(SELECT generate_series(0, 3500, 173)));

-- Move invites to another event, delete users (their invites cascade), and
-- roll back a big delete, also to a savepoint.
INSERT INTO invite_api.events VALUES (31, 'second');
INSERT INTO invite_api.event_managers VALUES (31, 1);
UPDATE invite_api.event_invites SET event_id = 31 WHERE event_id = 30 AND user_id % 3 = 0;
DELETE FROM invite_api.users WHERE id BETWEEN 102000 AND 102500;
BEGIN;
DELETE FROM invite_api.event_invites WHERE event_id = 30;
SELECT invite_api.event_invites_page(30, 1, 0, :'ann');
ROLLBACK;
BEGIN;
INSERT INTO invite_api.event_invites (event_id, user_id)
SELECT 31, 100000 + g FROM generate_series(7000, 7100) AS g;
SAVEPOINT s;
DELETE FROM invite_api.event_invites WHERE event_id = 31;
SELECT invite_api.event_invites_page(31, 1, 0, :'ann') -> 'count' AS count_in_savepoint;
ROLLBACK TO s;
SELECT * FROM regress_page_faults(31, 50, ARRAY(SELECT generate_series(0, 2000, 151)));
COMMIT;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(30, 50, ARRAY(SELECT generate_series(0, 3000, 151)));
SELECT * FROM regress_page_faults(31, 50, ARRAY(SELECT generate_series(0, 2000, 151)));
INSERT INTO invite_api.users (id, username)
SELECT 100000 + g, 'u' || g FROM generate_series(2000, 2500) AS g;

-- Deleting an event takes its count, runs and changes along.
DELETE FROM invite_api.events WHERE id = 31;
SELECT (SELECT count(*) FROM invite_api.invite_counts WHERE event_id = 31) AS counts,
       (SELECT count(*) FROM invite_api.invite_runs WHERE event_id = 31) AS runs,
       (SELECT count(*) FROM invite_api.invite_changes WHERE event_id = 31) AS changes;
SELECT * FROM regress_position_faults();

-- Three levels: 40,000 invites; then most of them go and the height drops.
INSERT INTO invite_api.events VALUES (34, 'three levels');
INSERT INTO invite_api.event_managers VALUES (34, 1);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 34, 100000 + g, timestamptz '2025-03-01' + (g % 5000) * interval '1 second'
  FROM generate_series(1, 40000) AS g;
SELECT * FROM regress_shape(34);
SELECT height FROM invite_api.invite_counts WHERE event_id = 34;
SELECT * FROM regress_position_faults();
SELECT * FROM invite_test.run_size_faults();
SELECT * FROM regress_page_faults(34, 20, ARRAY[0, 255, 256, 511, 512, 16383, 16384, 20000,
    32767, 32768, 39979, 39980, 39999, 40000]);
SELECT * FROM regress_page_faults(34, 100, ARRAY(SELECT generate_series(0, 40000, 1999)));
DELETE FROM invite_api.event_invites WHERE event_id = 34 AND user_id > 100300;
SELECT * FROM regress_shape(34);
SELECT height FROM invite_api.invite_counts WHERE event_id = 34;
SELECT * FROM regress_position_faults();
SELECT * FROM invite_test.run_size_faults();
SELECT * FROM regress_page_faults(34, 20, ARRAY(SELECT generate_series(0, 310, 7)));
DELETE FROM invite_api.events WHERE id = 34;

-- Emptying an event leaves no bookkeeping behind: no count, no runs.
BEGIN;
DELETE FROM invite_api.event_invites WHERE event_id = 30;
SELECT invite_api.event_invites_page(30, 5, 0, :'ann');
COMMIT;
SELECT invites, height FROM invite_api.invite_counts WHERE event_id = 30;
SELECT * FROM regress_shape(30);
SELECT * FROM regress_position_faults();

-- REPEATABLE READ and SERIALIZABLE writers log each key they change and
-- fold nothing: their pages add the changes in, in their own transaction
-- and in others, until a READ COMMITTED transaction folds them.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 30, 100000 + g, timestamptz '2025-01-01' + g * interval '1 minute'
  FROM generate_series(1, 3000) AS g;
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 30, 100000 + g, timestamptz '2025-01-01' + (g - 3000) * interval '1 minute' + interval '1 s'
  FROM generate_series(3001, 3300) AS g;
DELETE FROM invite_api.event_invites WHERE event_id = 30 AND user_id BETWEEN 101000 AND 101100;
SELECT count(*) AS pending, count(*) FILTER (WHERE (first_at, first_user) = (last_at, last_user)) AS of_one_key
  FROM invite_api.invite_changes;
SELECT * FROM regress_page_faults(30, 25, ARRAY(SELECT generate_series(0, 3300, 61)));
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
UPDATE invite_api.event_invites SET invited_at = invited_at + interval '1 year'
 WHERE event_id = 30 AND user_id % 17 = 0;
COMMIT;
SELECT count(*) AS pending FROM invite_api.invite_changes;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(30, 25, ARRAY(SELECT generate_series(0, 3300, 61)));
-- Folding needs READ COMMITTED.
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT invite_api.fold_invite_changes();
ROLLBACK;
-- The next READ COMMITTED write of the event folds them all.
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (30, 109999);
SELECT count(*) AS pending FROM invite_api.invite_changes;
SELECT * FROM regress_position_faults();
SELECT * FROM invite_test.run_size_faults();
SELECT * FROM regress_page_faults(30, 25, ARRAY(SELECT generate_series(0, 3300, 61)));
-- fold_invite_changes() folds what no such write follows.
BEGIN ISOLATION LEVEL REPEATABLE READ;
DELETE FROM invite_api.event_invites WHERE event_id = 30 AND user_id % 11 = 0;
COMMIT;
SELECT invite_api.fold_invite_changes() AS folded;
SELECT count(*) AS pending FROM invite_api.invite_changes;
SELECT * FROM regress_position_faults();

-- SET CONSTRAINTS ALL IMMEDIATE fires the fold inside the trigger that logs
-- the change, while the statement is not over: it waits for a later fold,
-- and pages stay right meanwhile.
BEGIN;
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 30, 100000 + g, timestamptz '2025-01-01 12:00' FROM generate_series(8000, 8400) AS g;
COMMIT;
SELECT count(*) > 0 AS left_pending FROM invite_api.invite_changes;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(30, 25, ARRAY(SELECT generate_series(0, 3700, 61)));
SELECT invite_api.fold_invite_changes() > 0 AS folded;
SELECT * FROM regress_position_faults();
SELECT * FROM invite_test.run_size_faults();

-- rebuild_invite_positions() gives the same answers from the invites alone.
CREATE TEMP TABLE pages_before AS
SELECT o, invite_api.event_invites_page(30, 25, o, :'ann') AS page
  FROM generate_series(0, 3800, 50) AS o;
SELECT invite_api.rebuild_invite_positions();
SELECT * FROM regress_position_faults();
SELECT * FROM invite_test.run_size_faults();
SELECT count(*) AS pages, count(*) FILTER (WHERE page <> invite_api.event_invites_page(30, 25, o, :'ann')) AS differ
  FROM pages_before;
DROP TABLE pages_before;

-- Under session_replication_role = replica (as a logical-replication
-- subscriber's apply worker runs) the row trigger for replicas logs the
-- writes instead of the statement triggers.
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (11, 8), (11, 7);
DELETE FROM invite_api.event_invites WHERE event_id = 30 AND user_id % 5 = 0;
COMMIT;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(11, 5, ARRAY[0]);
SELECT * FROM regress_page_faults(30, 25, ARRAY(SELECT generate_series(0, 3300, 61)));
-- A replica's changes are folded at commit even when the savepoint that
-- logged the first of them was rolled back.
BEGIN;
SET LOCAL session_replication_role = replica;
SAVEPOINT first_change;
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (11, 5);
ROLLBACK TO SAVEPOINT first_change;
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (11, 4);
COMMIT;
SELECT count(*) AS pending FROM invite_api.invite_changes;
SELECT * FROM regress_page_faults(11, 5, ARRAY[0]);
DELETE FROM invite_api.event_invites WHERE event_id = 11 AND user_id = 4;

-- Writes with the triggers disabled go uncounted: once the triggers are
-- disabled, the function refuses every event's pages, counted ones
-- included, until the rebuild.
ALTER TABLE invite_api.event_invites DISABLE TRIGGER event_invites_inserted;
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (11, 6);
ALTER TABLE invite_api.event_invites ENABLE TRIGGER event_invites_inserted;
SELECT invite_api.event_invites_page(11, 5, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invites_page(30, 5, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.rebuild_invite_positions();
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(11, 5, ARRAY[0]);
-- ENABLE TRIGGER ALL, as pg_restore --disable-triggers ends, makes the
-- triggers for replicas fire for every session too, and the TRUNCATE and
-- fold triggers miss replicas: refused as well, until the rebuild.
ALTER TABLE invite_api.event_invites ENABLE TRIGGER ALL;
SELECT invite_api.event_invites_page(11, 5, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.rebuild_invite_positions();
SELECT tgname, tgenabled FROM pg_trigger
 WHERE tgrelid IN ('invite_api.event_invites'::regclass, 'invite_api.invite_changes'::regclass)
   AND NOT tgisinternal ORDER BY 1;
-- A DISABLE rolled back changes nothing.
BEGIN;
ALTER TABLE invite_api.event_invites DISABLE TRIGGER ALL;
ROLLBACK;
SELECT invite_api.event_invites_page(11, 5, 0, :'ann') -> 'count' AS count;
DELETE FROM invite_api.event_invites WHERE event_id = 11;

-- Rows of the bookkeeping that arrive by logical replication (a publication
-- FOR ALL TABLES also publishes them) are not applied over a subscriber's
-- own: the apply worker writes them as a replica, outside any trigger.
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO invite_api.invite_counts VALUES (10, 999, 0);
UPDATE invite_api.invite_runs SET invites = 999 WHERE event_id = 30;
DELETE FROM invite_api.invite_runs WHERE event_id = 30;
INSERT INTO invite_api.invite_changes (event_id, first_at, first_user, last_at, last_user, delta)
    VALUES (30, 'infinity', 1, 'infinity', 1, 5);
COMMIT;
SELECT * FROM regress_position_faults();

-- TRUNCATE empties the bookkeeping too.
BEGIN;
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (11, 8);
TRUNCATE invite_api.event_invites;
SELECT (SELECT count(*) FROM invite_api.invite_counts) AS counts,
       (SELECT count(*) FROM invite_api.invite_runs) AS runs,
       (SELECT count(*) FROM invite_api.invite_changes) AS changes;
SELECT invite_api.event_invites_page(10, 5, 0, :'ann');
ROLLBACK;

-- A role that may write invites needs no right on the bookkeeping, and
-- cannot call its functions.
CREATE ROLE regress_invite_loader;
GRANT USAGE ON SCHEMA invite_api TO regress_invite_loader;
GRANT SELECT, INSERT, DELETE ON invite_api.event_invites TO regress_invite_loader;
SET ROLE regress_invite_loader;
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (11, 8);
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (11, 7);
COMMIT;
DELETE FROM invite_api.event_invites WHERE event_id = 11;
SELECT invite_api.rebuild_invite_positions();
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.fold_invite_changes();
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT * FROM invite_api.invite_counts;
\echo sqlstate :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP OWNED BY regress_invite_loader;
DROP ROLE regress_invite_loader;
SELECT invite_api.fold_invite_changes();
SELECT * FROM regress_position_faults();

DELETE FROM invite_api.events WHERE id = 30;
DELETE FROM invite_api.users WHERE id > 100000;
DROP FUNCTION regress_shape(bigint);
RESET invite_api.run_size;

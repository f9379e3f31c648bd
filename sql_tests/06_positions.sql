--
-- The count and the runs kept beside the invites (1.1): every page of a big
-- event matches the plain ORDER BY ... LIMIT ... OFFSET ground truth, and the
-- bookkeeping stays exact through every kind of write.
--
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SELECT invite_test.token(1) AS ann \gset

-- Event 30: 5,000 invitees in one statement, in an order unrelated to their
-- ids, with runs of ties (five users share each instant).
INSERT INTO invite_api.users (id, username)
SELECT 100000 + g, 'u' || g FROM generate_series(1, 7000) AS g;
INSERT INTO invite_api.events VALUES (30, 'big');
INSERT INTO invite_api.event_managers VALUES (30, 1);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 30, 100000 + g, timestamptz '2025-01-01' + ((g * 7919) % 1000) * interval '1 minute'
  FROM generate_series(1, 5000) AS g;

SELECT * FROM regress_position_faults();
SELECT count(*) AS runs, sum(invites) AS invites FROM invite_api.invite_runs WHERE event_id = 30;

-- Pages from the first run, the middle, the last run, around run edges,
-- read from either end, against the ground truth.
SELECT * FROM regress_page_faults(30, 20, ARRAY[0, 1, 19, 20, 980, 999, 1000, 1001, 1990,
    2000, 2499, 2500, 2501, 3000, 3999, 4000, 4500, 4979, 4980, 4990, 4999, 5000, 7000]);
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

-- Grow the first run past twice the run size with inserts in its range: it
-- splits.
SELECT count(*) AS runs FROM invite_api.invite_runs WHERE event_id = 30;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 30, 100000 + g, timestamptz '2025-01-01 00:30'
  FROM generate_series(5100, 6399) AS g;
SELECT * FROM regress_position_faults();
SELECT count(*) AS runs FROM invite_api.invite_runs WHERE event_id = 30;
SELECT * FROM regress_page_faults(30, 50, ARRAY(SELECT generate_series(0, 6000, 211)));

-- Delete most of a run: it merges into the one before.
DELETE FROM invite_api.event_invites
 WHERE event_id = 30 AND user_id IN (SELECT user_id FROM invite_api.event_invites
                                      WHERE event_id = 30 ORDER BY invited_at, user_id
                                      OFFSET 1500 LIMIT 1400);
SELECT * FROM regress_position_faults();
SELECT count(*) AS runs FROM invite_api.invite_runs WHERE event_id = 30;
SELECT * FROM regress_page_faults(30, 50, ARRAY(SELECT generate_series(0, 5000, 173)));

-- Move invites in time (UPDATE of the key) and change what is not the key.
UPDATE invite_api.event_invites SET invited_at = invited_at - interval '1 year'
 WHERE event_id = 30 AND user_id % 10 = 3;
UPDATE invite_api.event_invites SET invited_by = 1 WHERE event_id = 30;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(30, 50, ARRAY(SELECT generate_series(0, 5000, 173)));

-- Move invites to another event, delete users (their invites cascade), and
-- roll back a big delete.
INSERT INTO invite_api.events VALUES (31, 'second');
INSERT INTO invite_api.event_managers VALUES (31, 1);
UPDATE invite_api.event_invites SET event_id = 31 WHERE event_id = 30 AND user_id % 3 = 0;
DELETE FROM invite_api.users WHERE id BETWEEN 102000 AND 102500;
BEGIN;
DELETE FROM invite_api.event_invites WHERE event_id = 30;
SELECT invite_api.event_invites_page(30, 1, 0, :'ann');
ROLLBACK;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(30, 50, ARRAY(SELECT generate_series(0, 4000, 151)));
SELECT * FROM regress_page_faults(31, 50, ARRAY(SELECT generate_series(0, 2000, 151)));

-- Deleting an event takes its count and runs along.
DELETE FROM invite_api.events WHERE id = 31;
SELECT count(*) FROM invite_api.invite_counts WHERE event_id = 31;
SELECT count(*) FROM invite_api.invite_runs WHERE event_id = 31;
SELECT * FROM regress_position_faults();

-- Emptying an event leaves a zero count and an empty first run.
BEGIN;
DELETE FROM invite_api.event_invites WHERE event_id = 30;
SELECT invites FROM invite_api.invite_counts WHERE event_id = 30;
SELECT invite_api.event_invites_page(30, 5, 0, :'ann');
SELECT * FROM regress_position_faults();
ROLLBACK;

-- rebuild_invite_positions() recomputes the same thing from the invites.
SELECT invite_api.rebuild_invite_positions();
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(30, 50, ARRAY(SELECT generate_series(0, 4000, 151)));

-- Invites loaded with triggers off leave the bookkeeping behind: a page
-- that cannot be found is an error, not a silently empty page, and the
-- rebuild repairs it.
BEGIN;
SET LOCAL session_replication_role = replica;
DELETE FROM invite_api.event_invites WHERE event_id = 30;
RESET session_replication_role;
SELECT invite_api.event_invites_page(30, 5, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN;
SET LOCAL session_replication_role = replica;
DELETE FROM invite_api.event_invites WHERE event_id = 30;
SET LOCAL session_replication_role = origin;
SELECT invite_api.rebuild_invite_positions();
SELECT invite_api.event_invites_page(30, 5, 0, :'ann');
ROLLBACK;

-- An event counted as empty whose invites were written with triggers off is
-- refused too, not served as empty.
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (11, 8);
SET LOCAL session_replication_role = origin;
SELECT invite_api.event_invites_page(11, 5, 0, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK;

-- A split leaves no small remainder: 2,001 invites make runs of 1,000 and
-- 1,001, and 1,999 stay one run.
INSERT INTO invite_api.events VALUES (32, 'split'), (33, 'no split');
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 32, 103000 + g, timestamptz '2025-06-01' + g * interval '1 s'
  FROM generate_series(1, 2001) AS g;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 33, 103000 + g, timestamptz '2025-06-01' + g * interval '1 s'
  FROM generate_series(1, 1999) AS g;
SELECT event_id, invites FROM invite_api.invite_runs WHERE event_id IN (32, 33)
 ORDER BY event_id, first_at, first_user;
SELECT * FROM regress_position_faults();
DELETE FROM invite_api.events WHERE id IN (32, 33);

-- TRUNCATE empties the bookkeeping too.
BEGIN;
TRUNCATE invite_api.event_invites;
SELECT (SELECT count(*) FROM invite_api.invite_counts) AS counts,
       (SELECT count(*) FROM invite_api.invite_runs) AS runs;
SELECT invite_api.event_invites_page(10, 5, 0, :'ann');
ROLLBACK;

-- A role that may write invites needs no right on the bookkeeping, and
-- cannot call its functions.
CREATE ROLE regress_invite_loader;
GRANT USAGE ON SCHEMA invite_api TO regress_invite_loader;
GRANT SELECT, INSERT, DELETE ON invite_api.event_invites TO regress_invite_loader;
SET ROLE regress_invite_loader;
INSERT INTO invite_api.event_invites (event_id, user_id) VALUES (11, 8);
DELETE FROM invite_api.event_invites WHERE event_id = 11;
SELECT invite_api.rebuild_invite_positions();
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT * FROM invite_api.invite_counts;
\echo sqlstate :LAST_ERROR_SQLSTATE
RESET ROLE;
DROP OWNED BY regress_invite_loader;
DROP ROLE regress_invite_loader;
SELECT * FROM regress_position_faults();

DELETE FROM invite_api.events WHERE id = 30;
DELETE FROM invite_api.users WHERE id > 100000;

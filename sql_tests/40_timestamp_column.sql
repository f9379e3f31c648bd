--
-- The owner may change the type of event_invites.invited_at (contract,
-- section 3: the function may then refuse, never crash).  With it a
-- timestamp without time zone, the bookkeeping's SQL compares it with the
-- runs' keys (timestamptz) through the cast of the session's TimeZone.  A
-- statement whose changed keys are placed among their runs in C
-- (placed_keys() in src/invite_changes.c: more than 8 keys of an event,
-- spanning several runs, no more runs than keys) reads the keys' times as
-- raw timestamptz values instead: outside UTC they are hours off, the
-- changes are logged against the wrong runs, and the counts and pages go
-- wrong without an error.  Expected: the same positions as the SQL gives
-- (none wrong), or a clear error; never a wrong page.
--
-- Users 4000001-4003000 and event 4001, managed by user 4000000: 3,000
-- invites a minute apart (runs of 512).  Everything is rolled back.
--
SELECT invite_test.token(4000000) AS tok \gset
SET TimeZone = 'America/New_York';
BEGIN;
INSERT INTO invite_api.users (id, username)
SELECT 4000000 + g, 'naive-' || g FROM generate_series(0, 3000) AS g;
INSERT INTO invite_api.events VALUES (4001, 'timestamp column');
INSERT INTO invite_api.event_managers VALUES (4001, 4000000);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 4001, 4000000 + g, 4000000, timestamptz '2025-01-01 00:00+00' + g * interval '1 minute'
  FROM generate_series(1, 3000) AS g;
SELECT invite_api.fold_invite_changes() >= 0 AS folded;
SELECT count(*) AS runs FROM invite_api.invite_runs WHERE event_id = 4001 AND level = 0;

ALTER TABLE invite_api.event_invites ALTER invited_at TYPE timestamp;
SELECT count(*) AS faults FROM invite_test.position_faults();

-- 8 keys: logged key by key in SQL.
DELETE FROM invite_api.event_invites WHERE event_id = 4001 AND user_id BETWEEN 4000500 AND 4000507;
SELECT count(*) AS faults FROM invite_test.position_faults();
-- 600 keys in two runs: placed in C.
DELETE FROM invite_api.event_invites WHERE event_id = 4001 AND user_id BETWEEN 4000400 AND 4001000;
SELECT count(*) AS faults FROM invite_test.position_faults();
SELECT invite_test.check_pages(4001, 7, invite_test.probe_offsets(4001, 7), :'tok');
-- The same through the uninvite.
SELECT invite_api.event_uninvite_users(4001, ARRAY(SELECT 4000000 + g FROM generate_series(1400, 1800) AS g), :'tok') AS removed;
SELECT count(*) AS faults FROM invite_test.position_faults();
SELECT invite_test.check_pages(4001, 7, invite_test.probe_offsets(4001, 7), :'tok');
ROLLBACK;
RESET TimeZone;
SELECT count(*) AS faults FROM invite_test.position_faults();

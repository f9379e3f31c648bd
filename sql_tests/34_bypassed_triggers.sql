--
-- Writes that skip the triggers (issue 8).  Under session_replication_role
-- = replica, which is how a logical-replication subscriber applies changes,
-- the row trigger for replicas keeps the bookkeeping and every page is
-- right (1.1 answered an event counted at 5 given 3 more invites with count
-- 5 and 8 results).  With the
-- triggers disabled (ALTER TABLE ... DISABLE TRIGGER, as pg_restore
-- --disable-triggers does), every page of a changed event is refused with
-- XX001 until invite_api.rebuild_invite_positions(), ordinary writes in
-- between still succeed, and the rebuild makes every page right.
--
-- Users 7040001-7043000 and events 7110-7116, managed by user 7040000.
--
SELECT invite_test.token(7040000) AS tok \gset
INSERT INTO invite_api.users (id, username)
SELECT 7040000 + g, 'i8t-' || g FROM generate_series(0, 3000) AS g;
INSERT INTO invite_api.events
SELECT e, 'bypass ' || e FROM generate_series(7110, 7116) AS e;
INSERT INTO invite_api.event_managers SELECT e, 7040000 FROM generate_series(7110, 7116) AS e;

-- The triggers' states, to put back at the end whatever they are.
CREATE TEMP TABLE trigger_states AS
SELECT tgname, tgenabled FROM pg_trigger
 WHERE tgrelid = 'invite_api.event_invites'::regclass AND NOT tgisinternal;

-- Right, or refused with XX001: true when no page is wrong and no other
-- error comes.
CREATE FUNCTION pg_temp.right_or_refused(p_event bigint, p_offsets int[], p_token text)
RETURNS boolean
LANGUAGE sql AS $$
    SELECT bool_and(outcome = 'right' OR outcome LIKE 'error XX001:%')
      FROM invite_test.page_outcomes(p_event, 100, p_offsets, p_token)
$$;
-- The distinct outcomes, without the messages: 'right', 'wrong' or
-- 'error SQLSTATE'.
CREATE FUNCTION pg_temp.outcomes(p_event bigint, p_offsets int[], p_token text)
RETURNS text
LANGUAGE sql AS $$
    SELECT string_agg(DISTINCT split_part(outcome, ':', 1), ', ')
      FROM invite_test.page_outcomes(p_event, 100, p_offsets, p_token)
$$;

-- Event 7110, counted at 5, gets 3 more invites with the replica role.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7110, 7040000 + g, timestamptz '2025-01-01 00:00+00' + g * interval '1 s'
  FROM generate_series(1, 5) AS g;
SELECT (invite_api.event_invites_page(7110, 100, 0, :'tok') -> 'count') AS count_before;
SET session_replication_role = replica;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7110, 7040000 + g, timestamptz '2025-01-01 00:00+00' + g * interval '1 s'
  FROM generate_series(6, 8) AS g;
RESET session_replication_role;
SELECT invite_test.check_pages(7110, 100, '{0, 1, 5, 7, 8, 100}', :'tok');

-- Replica-role writes of every kind on a bigger counted event (2,000
-- invites): an insert in the middle, a delete at the start, a move in time,
-- a move to another event, all read back in the same transaction and after.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7111, 7040000 + g, timestamptz '2025-01-01 00:00+00' + g * interval '1 minute'
  FROM generate_series(1, 2000) AS g;
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7111, 7040000 + g, timestamptz '2025-01-01 00:00+00' + (g - 1500) * interval '1 minute' + interval '1 s'
  FROM generate_series(2001, 2400) AS g;
DELETE FROM invite_api.event_invites WHERE event_id = 7111 AND user_id <= 7040300;
UPDATE invite_api.event_invites SET invited_at = invited_at + interval '1 year'
 WHERE event_id = 7111 AND user_id BETWEEN 7040301 AND 7040700;
UPDATE invite_api.event_invites SET event_id = 7112
 WHERE event_id = 7111 AND user_id BETWEEN 7041001 AND 7041200;
SELECT invite_test.check_pages(7111, 100, invite_test.probe_offsets(7111, 100), :'tok');
SELECT invite_test.check_pages(7112, 100, invite_test.probe_offsets(7112, 100), :'tok');
COMMIT;
SELECT invite_test.check_pages(7111, 100, invite_test.probe_offsets(7111, 100), :'tok');
SELECT invite_test.check_pages(7112, 100, invite_test.probe_offsets(7112, 100), :'tok');
SELECT * FROM invite_test.position_faults();

-- The rebuild makes every page right, whatever happened before.
SELECT invite_api.rebuild_invite_positions();
SELECT * FROM invite_test.position_faults();
SELECT e, invite_test.check_pages(e, 100, invite_test.probe_offsets(e, 100), :'tok')
  FROM generate_series(7110, 7112) AS e;

-- Triggers disabled, 3 invites added to event 7113 (counted at 2,500),
-- triggers enabled again: every page of 7113 is refused; another event is
-- right or refused too (the extension need not know which events such a
-- write touched), never wrong.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7113, 7040000 + g, timestamptz '2025-01-01 00:00+00' + g * interval '1 minute'
  FROM generate_series(1, 2500) AS g;
ALTER TABLE invite_api.event_invites DISABLE TRIGGER USER;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7113, 7040000 + g, timestamptz '2025-01-01 00:00+00' + (g - 1500) * interval '1 minute' + interval '1 s'
  FROM generate_series(2501, 2503) AS g;
ALTER TABLE invite_api.event_invites ENABLE TRIGGER USER;
SELECT pg_temp.outcomes(7113, invite_test.probe_offsets(7113, 100), :'tok');
SELECT pg_temp.right_or_refused(7111, invite_test.probe_offsets(7111, 100), :'tok');

-- Ordinary writes to it meanwhile succeed (one row each: an insert, a
-- delete, a move); its pages stay refused, or are right.
CREATE TEMP TABLE write_failures (sqlstate text, message text);
DO $$
BEGIN
    FOR g IN 2601..2650 LOOP
        BEGIN
            INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
            VALUES (7113, 7040000 + g, timestamptz '2024-06-01 00:00+00' + g * interval '1 s');
            DELETE FROM invite_api.event_invites WHERE event_id = 7113 AND user_id = 7040000 + g - 2600;
            UPDATE invite_api.event_invites SET invited_at = 'infinity'
             WHERE event_id = 7113 AND user_id = 7040000 + g - 2500;
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO write_failures VALUES (SQLSTATE, SQLERRM);
        END;
    END LOOP;
END;
$$;
SELECT sqlstate, count(*), min(message) FROM write_failures GROUP BY 1 ORDER BY 1;
SELECT pg_temp.right_or_refused(7113, invite_test.probe_offsets(7113, 100), :'tok');
SELECT invite_api.rebuild_invite_positions();
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7113, 100, invite_test.probe_offsets(7113, 100), :'tok');

-- Ordinary writes that take away more invites than the stale counts hold
-- succeed too: once the runs cannot be trusted, no fold may drive one below
-- zero and fail the write with 23514 (a run's CHECK).  Event 7115, counted
-- at 5, gets 20 more invites with the triggers disabled and then loses all
-- 25 in one ordinary DELETE; event 7116, never counted, gets 30 with the
-- triggers disabled and then loses 10, one transaction with a savepoint.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7115, 7040000 + g, timestamptz '2025-01-01 00:00+00' + g * interval '1 s'
  FROM generate_series(1, 5) AS g;
ALTER TABLE invite_api.event_invites DISABLE TRIGGER USER;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7115, 7040000 + g, timestamptz '2025-01-01 00:00+00' + g * interval '1 s'
  FROM generate_series(6, 25) AS g;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7116, 7040000 + g, timestamptz '2025-01-01 00:00+00' + g * interval '1 s'
  FROM generate_series(1, 30) AS g;
ALTER TABLE invite_api.event_invites ENABLE TRIGGER USER;
DELETE FROM invite_api.event_invites WHERE event_id = 7115;
BEGIN;
SAVEPOINT before_delete;
DELETE FROM invite_api.event_invites WHERE event_id = 7116 AND user_id <= 7040010;
RELEASE SAVEPOINT before_delete;
COMMIT;
SELECT e, pg_temp.outcomes(e, '{0, 5, 20, 25}', :'tok') FROM generate_series(7115, 7116) AS e;
SELECT invite_api.rebuild_invite_positions();
SELECT * FROM invite_test.position_faults();
SELECT e, invite_test.check_pages(e, 10, '{0, 5, 19, 20, 25}', :'tok') FROM generate_series(7115, 7116) AS e;

-- A delete and a move in time with the triggers disabled: right or refused.
ALTER TABLE invite_api.event_invites DISABLE TRIGGER USER;
DELETE FROM invite_api.event_invites WHERE event_id = 7113 AND user_id % 10 = 0;
ALTER TABLE invite_api.event_invites ENABLE TRIGGER USER;
SELECT pg_temp.right_or_refused(7113, invite_test.probe_offsets(7113, 100), :'tok');
SELECT invite_api.rebuild_invite_positions();
ALTER TABLE invite_api.event_invites DISABLE TRIGGER USER;
UPDATE invite_api.event_invites SET invited_at = invited_at + interval '1 year'
 WHERE event_id = 7113 AND user_id % 10 = 1;
ALTER TABLE invite_api.event_invites ENABLE TRIGGER USER;
SELECT pg_temp.right_or_refused(7113, invite_test.probe_offsets(7113, 100), :'tok');
SELECT invite_api.rebuild_invite_positions();
SELECT invite_test.check_pages(7113, 100, invite_test.probe_offsets(7113, 100), :'tok');

-- As pg_restore --disable-triggers does it: DISABLE TRIGGER ALL, load,
-- ENABLE TRIGGER ALL, then the rebuild (which enables each trigger as it
-- must be).  Replica-role writes after that are right.
ALTER TABLE invite_api.event_invites DISABLE TRIGGER ALL;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7114, 7040000 + g, timestamptz '2025-01-01 00:00+00' + (g % 10) * interval '1 minute'
  FROM generate_series(1, 1500) AS g;
ALTER TABLE invite_api.event_invites ENABLE TRIGGER ALL;
SELECT pg_temp.outcomes(7114, invite_test.probe_offsets(7114, 100), :'tok');
SELECT invite_api.rebuild_invite_positions();
SELECT invite_test.check_pages(7114, 100, invite_test.probe_offsets(7114, 100), :'tok');
SET session_replication_role = replica;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7114, 7040000 + g, timestamptz '2025-01-01 00:00+00' FROM generate_series(1501, 1600) AS g;
RESET session_replication_role;
SELECT invite_test.check_pages(7114, 100, invite_test.probe_offsets(7114, 100), :'tok');
SELECT * FROM invite_test.position_faults();

-- Put the triggers back as they were, and check they are.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM trigger_states ORDER BY tgname LOOP
        EXECUTE format('ALTER TABLE invite_api.event_invites %s TRIGGER %I',
                       CASE t.tgenabled WHEN 'O' THEN 'ENABLE' WHEN 'A' THEN 'ENABLE ALWAYS'
                                        WHEN 'R' THEN 'ENABLE REPLICA' ELSE 'DISABLE' END,
                       t.tgname);
    END LOOP;
END;
$$;
SELECT count(*) AS triggers_changed
  FROM trigger_states s
  LEFT JOIN pg_trigger t ON t.tgrelid = 'invite_api.event_invites'::regclass AND t.tgname = s.tgname
 WHERE t.tgenabled IS DISTINCT FROM s.tgenabled;
SELECT invite_api.rebuild_invite_positions();
SELECT * FROM invite_test.position_faults();

DROP TABLE trigger_states, write_failures;
DELETE FROM invite_api.events WHERE id BETWEEN 7110 AND 7116;
DELETE FROM invite_api.users WHERE id BETWEEN 7040000 AND 7043000;
SELECT * FROM invite_test.position_faults();

--
-- A write call takes its turn on the event (take_event_turn()), which also
-- creates the event's count row and first run when it has none.  Whether
-- the event had a first run was asked of invite_runs by event and level;
-- PL/pgSQL's generic plan of that, made once a session has called it five
-- times, guesses a good part of the table for any event and reads
-- invite_runs sequentially until it meets the event's runs.  Every write
-- call then read the runs of other events, all of them for a new event:
-- 1.1 ms a call beside 22,000 runs, more the more events a database has.
-- Expected: the turn reads invite_runs only through its primary key, on
-- every call (pg_stat_xact_user_tables counts the call's sequential
-- scans; the fold of a single invite waits, so the call is all that runs).
--
-- Users 4200000-4206000, events 4201 (6,000 invites in runs of 8, analyzed)
-- and 4211-4218 (new, one invite each), managed by user 4200000.
--
SELECT invite_test.token(4200000) AS tok \gset
INSERT INTO invite_api.users (id, username)
SELECT 4200000 + g, 'turn-' || g FROM generate_series(0, 6000) AS g;
INSERT INTO invite_api.events VALUES (4201, 'many runs');
INSERT INTO invite_api.events SELECT 4210 + g, 'new ' || g FROM generate_series(1, 8) AS g;
INSERT INTO invite_api.event_managers SELECT e.id, 4200000 FROM invite_api.events e
 WHERE e.id = 4201 OR e.id BETWEEN 4211 AND 4218;
SET invite_api.run_size = 8;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 4201, 4200000 + g, 4200000, timestamptz '2025-01-01 00:00+00' + g * interval '1 minute'
  FROM generate_series(1, 6000) AS g;
RESET invite_api.run_size;
ANALYZE invite_api.invite_runs;
SELECT count(*) > 500 AS "many runs" FROM invite_api.invite_runs WHERE event_id = 4201;

-- One invite call into a new event, and the sequential scans of
-- invite_runs in its transaction.
CREATE FUNCTION regress_turn_seq_scans(p_event bigint, p_user bigint, p_token text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    scans_before bigint;
BEGIN
    SELECT coalesce(s.seq_scan, 0) INTO scans_before
      FROM pg_stat_xact_user_tables s WHERE s.relid = 'invite_api.invite_runs'::regclass;
    PERFORM invite_api.event_invite_users(p_event, ARRAY[p_user], p_token);
    RETURN (SELECT coalesce(s.seq_scan, 0) - scans_before
              FROM pg_stat_xact_user_tables s WHERE s.relid = 'invite_api.invite_runs'::regclass);
END
$$;

-- Eight calls in one session: the turn's plans are generic from the sixth.
SELECT e.id AS event, regress_turn_seq_scans(e.id, 4200000 + e.id - 4210, :'tok') AS seq_scans
  FROM invite_api.events e WHERE e.id BETWEEN 4211 AND 4218 ORDER BY e.id;

-- Each new event has its count and first run, and the pages are right.
SELECT count(*) AS "first runs"
  FROM invite_api.invite_runs r, invite_api.first_run_key() k
 WHERE r.event_id BETWEEN 4211 AND 4218 AND r.level = 0
   AND r.first_at = k.first_at AND r.first_user = k.first_user;
SELECT invite_api.fold_invite_changes() >= 0 AS folded;
SELECT count(*) AS faults FROM invite_test.position_faults();
SELECT invite_test.check_pages(4216, 5, ARRAY[0], :'tok');

DROP FUNCTION regress_turn_seq_scans(bigint, bigint, text);
DELETE FROM invite_api.events WHERE id = 4201 OR id BETWEEN 4211 AND 4218;
DELETE FROM invite_api.users WHERE id BETWEEN 4200000 AND 4206000;

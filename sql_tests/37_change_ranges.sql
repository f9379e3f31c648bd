--
-- The range a statement logs for each run it changed stays within the run.
-- A statement that changes many keys of an event logs one change per run
-- of invites it changed, with a range of keys that holds every key it
-- changed there.  Where the changed keys share their time with the next
-- run's first key (one call's invites all have the call's time), a range
-- of that time from the lowest to the highest user id would reach into the
-- next run, and the fold would count every run it reaches again, from the
-- invites, instead of adding the change: the range ends just before the
-- next run's first key instead.  Each change still holds every key the
-- statement changed in its run; the page and the count stay exact.
--
-- Users 3700001-3703000 and event 3701, managed by user 3700000: 2,000
-- invites at one time (runs of 512: from users 1, 513 and 1025 on).
--
SELECT invite_test.token(3700000) AS tok \gset
INSERT INTO invite_api.users (id, username)
SELECT 3700000 + g, 'ranges-' || g FROM generate_series(0, 3000) AS g;
INSERT INTO invite_api.events VALUES (3701, 'one time'), (3702, 'elsewhere');
INSERT INTO invite_api.event_managers VALUES (3701, 3700000), (3702, 3700000);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 3701, 3700000 + g, 3700000, timestamptz '2025-06-01 12:00+00'
  FROM generate_series(1, 2000) AS g;
SELECT level, CASE WHEN first_user > 3700000 THEN first_user - 3700000 END AS first_user,
       next_user - 3700000 AS next_user, invites
  FROM invite_api.invite_runs WHERE event_id = 3701 ORDER BY level, first_at, first_user;

-- The changes of the event not folded yet: how many reach into the next
-- run, and how many of the keys of users p_keys (3700000 + p_keys, at
-- 2025-06-01 12:00 + p_keys * p_step) no change holds.
CREATE FUNCTION pg_temp.logged(p_keys bigint[], p_event bigint DEFAULT 3701,
                               p_step interval DEFAULT '0',
                               OUT changes bigint, OUT delta numeric,
                               OUT reaching bigint, OUT uncovered bigint)
LANGUAGE sql AS $$
    SELECT count(*), sum(ch.delta),
           count(*) FILTER (WHERE r.next_at IS NOT NULL
                              AND (ch.last_at, ch.last_user) >= (r.next_at, r.next_user)),
           (SELECT count(*) FROM unnest(p_keys) AS k(u)
             WHERE NOT EXISTS (
                   SELECT FROM invite_api.invite_changes c
                    WHERE c.event_id = p_event
                      AND (c.first_at, c.first_user) <= (timestamptz '2025-06-01 12:00+00' + k.u * p_step, 3700000 + k.u)
                      AND (timestamptz '2025-06-01 12:00+00' + k.u * p_step, 3700000 + k.u) <= (c.last_at, c.last_user)))
      FROM invite_api.invite_changes ch
      CROSS JOIN LATERAL (
            SELECT r.next_at, r.next_user FROM invite_api.invite_runs r
             WHERE r.event_id = ch.event_id AND r.level = 0
               AND (r.first_at, r.first_user) <= (ch.first_at, ch.first_user)
             ORDER BY r.first_at DESC, r.first_user DESC
             LIMIT 1) r
     WHERE ch.event_id = p_event;
$$;

-- A DELETE across the three runs, as the uninvite's: one change per run,
-- none reaching into the next, every deleted key held.
BEGIN;
DELETE FROM invite_api.event_invites
 WHERE event_id = 3701 AND user_id BETWEEN 3700100 AND 3701500;
SELECT * FROM pg_temp.logged(ARRAY(SELECT generate_series(100, 1500)::bigint));
COMMIT;
SELECT (invite_api.event_invites_page(3701, 5, 590, :'tok'))->'count' AS count;
SELECT count(*) AS faults FROM invite_test.position_faults();

-- An UPDATE moving invites of two runs to another event, and an uninvite
-- of users in all three: the same.
BEGIN;
UPDATE invite_api.event_invites SET event_id = 3702
 WHERE event_id = 3701 AND (user_id BETWEEN 3700050 AND 3700059 OR user_id BETWEEN 3701510 AND 3701520);
SELECT * FROM pg_temp.logged(ARRAY(SELECT generate_series(50, 59) UNION ALL SELECT generate_series(1510, 1520))::bigint[]);
ROLLBACK;
BEGIN;
SELECT invite_api.event_uninvite_users(3701, ARRAY[3700001, 3700002, 3700003, 3700004, 3700005,
                                                   3700006, 3700007, 3700008, 3700009, 3701990],
                                       :'tok') AS removed;
SELECT * FROM pg_temp.logged('{1, 2, 3, 4, 5, 6, 7, 8, 9, 1990}');
COMMIT;
SELECT (invite_api.event_invites_page(3701, 3, 0, :'tok'))->'count' AS count,
       jsonb_path_query_array(invite_api.event_invites_page(3701, 3, 0, :'tok'), '$.results[*].id') AS first_three;
SELECT count(*) AS faults FROM invite_test.position_faults();

-- Event 3703: 12,000 invites a second apart (23 runs).  Nine invites at
-- both ends, which more runs than nine lie between, and nine in two
-- neighbouring runs: one change per run either way.
INSERT INTO invite_api.events VALUES (3703, 'many runs');
INSERT INTO invite_api.users (id, username)
SELECT 3700000 + g, 'ranges-' || g FROM generate_series(3001, 12000) AS g;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 3703, 3700000 + g, 3700000, timestamptz '2025-06-01 12:00+00' + g * interval '1 second'
  FROM generate_series(1, 12000) AS g;
SELECT count(*) AS runs FROM invite_api.invite_runs WHERE event_id = 3703 AND level = 0;
BEGIN;
DELETE FROM invite_api.event_invites
 WHERE event_id = 3703 AND user_id IN (3700001, 3700002, 3700003, 3700004, 3700005,
                                       3711996, 3711997, 3711998, 3711999);
SELECT * FROM pg_temp.logged('{1, 2, 3, 4, 5, 11996, 11997, 11998, 11999}', 3703, '1 second');
ROLLBACK;
BEGIN;
DELETE FROM invite_api.event_invites
 WHERE event_id = 3703 AND user_id BETWEEN 3700508 AND 3700516;
SELECT * FROM pg_temp.logged('{508, 509, 510, 511, 512, 513, 514, 515, 516}', 3703, '1 second');
COMMIT;
SELECT count(*) AS faults FROM invite_test.position_faults();

DELETE FROM invite_api.events WHERE id IN (3701, 3702, 3703);
DELETE FROM invite_api.users WHERE id BETWEEN 3700000 AND 3712000;

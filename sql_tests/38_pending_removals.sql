--
-- An uninvite's removals wait to be folded, as a few keys' changes do.  The
-- uninvite's DELETE of many invites logs one change per run it changed;
-- the runs only shrink, so pages stay as fast with the change pending, and
-- it is folded with the event's next fold: that of a statement that adds
-- invites or that a client ran (either folds at commit), or once the event
-- has 32 changes pending (the page adds them to the runs it reads).  Every
-- page is right meanwhile, and the runs are balanced once folded.  Under
-- REPEATABLE READ changes are logged key by key, as always.
--
-- Users 3800001-3804000 and event 3801, managed by user 3800000: 3,000
-- invites a minute apart, in runs of 512.
--
SELECT invite_test.token(3800000) AS tok \gset
INSERT INTO invite_api.users (id, username)
SELECT 3800000 + g, 'pending-' || g FROM generate_series(0, 4000) AS g;
INSERT INTO invite_api.events VALUES (3801, 'removals');
INSERT INTO invite_api.event_managers VALUES (3801, 3800000);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 3801, 3800000 + g, 3800000, timestamptz '2025-01-01 00:00+00' + g * interval '1 minute'
  FROM generate_series(1, 3000) AS g;

-- The event's pending changes, folded count and runs, and whether its
-- pages (at offsets where wrong positions show) and bookkeeping are right.
CREATE FUNCTION pg_temp.state(OUT pending bigint, OUT pending_delta numeric,
                              OUT folded integer, OUT runs bigint, OUT right_pages text)
LANGUAGE sql AS $$
    SELECT (SELECT count(*) FROM invite_api.invite_changes WHERE event_id = 3801),
           (SELECT coalesce(sum(delta), 0) FROM invite_api.invite_changes WHERE event_id = 3801),
           (SELECT invites FROM invite_api.invite_counts WHERE event_id = 3801),
           (SELECT count(*) FROM invite_api.invite_runs WHERE event_id = 3801 AND level = 0),
           invite_test.check_pages(3801, 7, invite_test.probe_offsets(3801, 7), invite_test.token(3800000))
             || ', ' || (SELECT count(*) FROM invite_test.position_faults()) || ' position faults';
$$;
SELECT * FROM pg_temp.state();

-- An uninvite of 600 users across two runs: pending, the page right.
SELECT invite_api.event_uninvite_users(3801, ARRAY(SELECT 3800000 + g FROM generate_series(100, 699) AS g), :'tok') AS removed;
SELECT * FROM pg_temp.state();
-- An invite of 10 users folds it: nothing pending, runs balanced.
SELECT invite_api.event_invite_users(3801, ARRAY(SELECT 3803000 + g FROM generate_series(1, 10) AS g), :'tok') AS created;
SELECT * FROM pg_temp.state();
SELECT * FROM invite_test.run_size_faults() WHERE event_id = 3801;
-- 512 more uninvited, then a client's DELETE of 9 invites: the DELETE
-- folds at commit, the uninvite's change with it.
SELECT invite_api.event_uninvite_users(3801, ARRAY(SELECT 3800000 + g FROM generate_series(1025, 1536) AS g), :'tok') AS removed;
SELECT * FROM pg_temp.state();
DELETE FROM invite_api.event_invites WHERE event_id = 3801 AND user_id BETWEEN 3802001 AND 3802009;
SELECT * FROM pg_temp.state();
SELECT * FROM invite_test.run_size_faults() WHERE event_id = 3801;

-- Uninvites of 9 users in three runs each, one call at a time: folded
-- once 32 changes are pending, never more pending than 32 and one call's.
CREATE TEMP TABLE pending_seen (step int, pending bigint);
DO $$
BEGIN
    FOR s IN 1 .. 15 LOOP
        PERFORM invite_api.event_uninvite_users(
                    3801, ARRAY(SELECT 3800000 + b + s * 3 + k
                                  FROM unnest(ARRAY[1, 1600, 2600]) AS b, generate_series(0, 2) AS k),
                    invite_test.token(3800000));
        COMMIT;
        INSERT INTO pending_seen
        SELECT s, count(*) FROM invite_api.invite_changes WHERE event_id = 3801;
        COMMIT;
    END LOOP;
END;
$$;
SELECT array_agg(pending ORDER BY step) AS pending_after_each FROM pending_seen;
SELECT * FROM pg_temp.state();

-- Under REPEATABLE READ a removal is logged key by key, as before.
BEGIN ISOLATION LEVEL REPEATABLE READ;
DELETE FROM invite_api.event_invites WHERE event_id = 3801 AND user_id BETWEEN 3802901 AND 3802950;
COMMIT;
SELECT * FROM pg_temp.state();
SELECT invite_api.fold_invite_changes() > 0 AS folded;
SELECT * FROM pg_temp.state();
SELECT * FROM invite_test.run_size_faults() WHERE event_id = 3801;

DELETE FROM invite_api.events WHERE id = 3801;
DELETE FROM invite_api.users WHERE id BETWEEN 3800000 AND 3804000;

--
-- Ordinary writes never fail because of the bookkeeping (issue 8: once a
-- position was wrong, a single-row DELETE could fail with 23514).  After
-- the statements of 30-32 that fire several triggers, every invite is
-- deleted, or moved, one row per statement, and none of those statements
-- may fail.
--
-- Users 7030001-7036000 and events 7100-7101, managed by user 7030000.
--
SELECT invite_test.token(7030000) AS tok \gset
INSERT INTO invite_api.users (id, username)
SELECT 7030000 + g, 'i8w-' || g FROM generate_series(0, 6000) AS g;
INSERT INTO invite_api.events VALUES (7100, 'cte, then one by one'), (7101, 'upsert, then one by one');
INSERT INTO invite_api.event_managers VALUES (7100, 7030000), (7101, 7030000);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT e, 7030000 + g, 7030000, timestamptz '2024-01-01 00:00+00' + g * interval '1 minute'
  FROM generate_series(1001, 3500) AS g, (VALUES (7100), (7101)) AS ev(e);

-- The failures of each loop below, by SQLSTATE.
CREATE TEMP TABLE write_failures (step text, sqlstate text, message text);

-- Event 7100: the writable CTE of 32_writable_cte, then each invite
-- deleted by its own single-row DELETE, in page order.
WITH ins AS (
    INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
    SELECT 7100, 7030000 + g, 7030000, timestamptz '2025-01-01 00:00+00' + g * interval '1 minute'
      FROM generate_series(5001, 5600) AS g
    RETURNING 1)
DELETE FROM invite_api.event_invites
 WHERE event_id = 7100 AND user_id BETWEEN 7032901 AND 7033500
   AND (SELECT count(*) FROM ins) > 0;
DO $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT user_id FROM invite_api.event_invites WHERE event_id = 7100
              ORDER BY invited_at, user_id LOOP
        BEGIN
            DELETE FROM invite_api.event_invites WHERE event_id = 7100 AND user_id = k.user_id;
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO write_failures VALUES ('delete 7100', SQLSTATE, SQLERRM);
        END;
    END LOOP;
END;
$$;
SELECT step, sqlstate, count(*), min(message) FROM write_failures GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS invites_left FROM invite_api.event_invites WHERE event_id = 7100;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7100, 20, '{0, 1, 256, 1500}', :'tok');

-- Event 7101: the upsert of 30_upsert, then the first 1,500 invites moved
-- to the end one UPDATE at a time, then every invite deleted one at a time
-- from the end.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7101, 7030000 + u, 7030000, timestamptz '2026-01-01 00:00+00'
  FROM (SELECT generate_series(1, 100) UNION ALL SELECT generate_series(1001, 2600)) AS s(u)
    ON CONFLICT (event_id, user_id)
    DO UPDATE SET invited_at = excluded.invited_at, invited_by = excluded.invited_by;
DO $$
DECLARE
    k record;
    n int := 0;
BEGIN
    FOR k IN SELECT user_id FROM invite_api.event_invites WHERE event_id = 7101
              ORDER BY invited_at, user_id LIMIT 1500 LOOP
        n := n + 1;
        BEGIN
            UPDATE invite_api.event_invites
               SET invited_at = timestamptz '2027-01-01 00:00+00' + n * interval '1 s'
             WHERE event_id = 7101 AND user_id = k.user_id;
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO write_failures VALUES ('move 7101', SQLSTATE, SQLERRM);
        END;
    END LOOP;
END;
$$;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7101, 20, invite_test.probe_offsets(7101, 20), :'tok');
DO $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT user_id FROM invite_api.event_invites WHERE event_id = 7101
              ORDER BY invited_at DESC, user_id DESC LOOP
        BEGIN
            DELETE FROM invite_api.event_invites WHERE event_id = 7101 AND user_id = k.user_id;
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO write_failures VALUES ('delete 7101', SQLSTATE, SQLERRM);
        END;
    END LOOP;
END;
$$;
SELECT step, sqlstate, count(*), min(message) FROM write_failures GROUP BY 1, 2 ORDER BY 1, 2;
SELECT count(*) AS invites_left FROM invite_api.event_invites WHERE event_id = 7101;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7101, 20, '{0, 1, 256, 1500}', :'tok');

DROP TABLE write_failures;
DELETE FROM invite_api.events WHERE id IN (7100, 7101);
DELETE FROM invite_api.users WHERE id BETWEEN 7030000 AND 7036000;
SELECT * FROM invite_test.position_faults();

--
-- INSERT ... ON CONFLICT DO UPDATE fires two statement triggers, UPDATE and
-- then INSERT, and each of them already sees the final table: the count and
-- every page must still be those of count(*) and ORDER BY ... OFFSET (issue
-- 8).  Pages are checked whole (count, next, previous, every field) at the
-- offsets of invite_test.probe_offsets(), and all positions are walked.
--
-- Users 7000001-7004000 and events 7070-7072, managed by user 7000000.
--
SELECT invite_test.token(7000000) AS tok \gset
INSERT INTO invite_api.users (id, username, real_name, ext_id, avatar)
SELECT 7000000 + g, 'i8u-' || g, 'User ' || g, CASE WHEN g % 3 <> 0 THEN g END,
       CASE WHEN g % 2 = 0 THEN 'https://img.example.com/' || g END
  FROM generate_series(0, 4000) AS g;
INSERT INTO invite_api.events VALUES (7070, 'upsert'), (7071, 'moved to'), (7072, 'into the start');
INSERT INTO invite_api.event_managers VALUES (7070, 7000000), (7071, 7000000), (7072, 7000000);

-- The case as found: 2,500 invites (users 1001-3500, one a minute in the
-- past), then one upsert of users 1-100 (new) and 1001-2600 (already
-- invited, moved to now).
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7070, 7000000 + g, 7000000, timestamptz '2024-01-01 00:00+00' + g * interval '1 minute'
  FROM generate_series(1001, 3500) AS g;
SELECT * FROM invite_test.position_faults();
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by)
SELECT 7070, 7000000 + u, 7000000
  FROM (SELECT generate_series(1, 100) UNION ALL SELECT generate_series(1001, 2600)) AS s(u)
    ON CONFLICT (event_id, user_id)
    DO UPDATE SET invited_at = excluded.invited_at, invited_by = excluded.invited_by;
SELECT count(*) AS invites FROM invite_api.event_invites WHERE event_id = 7070;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7070, 20, invite_test.probe_offsets(7070, 20), :'tok');
SELECT invite_test.check_pages(7070, 100, ARRAY(SELECT generate_series(0, 2600, 100)), :'tok');

-- The other way: 1,200 invites from the end and 300 new users moved to
-- before everything, where the first positions are (fixed instants, ties
-- broken by user id).
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7070, u, 7000000, timestamptz '2020-01-01 00:00+00' + (u % 7) * interval '1 second'
  FROM (SELECT user_id FROM invite_api.event_invites WHERE event_id = 7070
         ORDER BY invited_at DESC, user_id DESC LIMIT 1200) AS far(u)
 UNION ALL
SELECT 7070, 7000000 + g, 7000000, timestamptz '2020-01-01 00:00+00' + (g % 7) * interval '1 second'
  FROM generate_series(101, 400) AS g
    ON CONFLICT (event_id, user_id)
    DO UPDATE SET invited_at = excluded.invited_at, invited_by = excluded.invited_by;
SELECT count(*) AS invites FROM invite_api.event_invites WHERE event_id = 7070;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7070, 20, invite_test.probe_offsets(7070, 20), :'tok');
SELECT invite_test.check_pages(7070, 100, ARRAY(SELECT generate_series(0, 3000, 100)), :'tok');

-- DO UPDATE of event_id: the invites that conflict move to event 7071 (it
-- has none of those users yet), the others are new in 7070; a WHERE on the
-- update leaves some where they are.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7071, 7000000 + g, 7000000, timestamptz '2025-06-01 00:00+00' + g * interval '1 second'
  FROM generate_series(3501, 4000) AS g;
INSERT INTO invite_api.event_invites AS i (event_id, user_id, invited_by, invited_at)
SELECT 7070, 7000000 + g, 7000000, timestamptz '2025-06-01 00:00+00'
  FROM generate_series(401, 2200) AS g
    ON CONFLICT (event_id, user_id)
    DO UPDATE SET event_id = 7071, invited_at = i.invited_at + interval '1 year'
    WHERE i.user_id % 4 <> 0;
SELECT event_id, count(*) AS invites FROM invite_api.event_invites
 WHERE event_id IN (7070, 7071) GROUP BY 1 ORDER BY 1;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7070, 20, invite_test.probe_offsets(7070, 20), :'tok');
SELECT invite_test.check_pages(7071, 20, invite_test.probe_offsets(7071, 20), :'tok');

-- Many events in one upsert, with ties on '-infinity' and 'infinity'.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7072, 7000000 + g, NULL, timestamptz '2025-01-01 00:00+00' + (g % 50) * interval '1 hour'
  FROM generate_series(1, 2500) AS g;
INSERT INTO invite_api.event_invites AS i (event_id, user_id, invited_by, invited_at)
SELECT e, 7000000 + g, 7000000,
       CASE g % 3 WHEN 0 THEN timestamptz '-infinity' WHEN 1 THEN timestamptz 'infinity'
                  ELSE timestamptz '2024-12-31 00:00+00' END
  FROM generate_series(1500, 3300) AS g, (VALUES (7070), (7071), (7072)) AS ev(e)
    ON CONFLICT (event_id, user_id)
    DO UPDATE SET invited_at = excluded.invited_at, invited_by = excluded.invited_by;
SELECT event_id, count(*) AS invites FROM invite_api.event_invites
 WHERE event_id BETWEEN 7070 AND 7072 GROUP BY 1 ORDER BY 1;
SELECT * FROM invite_test.position_faults();
SELECT e, invite_test.check_pages(e, 20, invite_test.probe_offsets(e, 20), :'tok')
  FROM generate_series(7070, 7072) AS e;

-- Every position, once per event.
SELECT e, invite_test.check_pages(e, 100, ARRAY(SELECT generate_series(0, 4000, 100)), :'tok')
  FROM generate_series(7070, 7072) AS e;

DELETE FROM invite_api.events WHERE id BETWEEN 7070 AND 7072;
DELETE FROM invite_api.users WHERE id BETWEEN 7000000 AND 7004000;
SELECT * FROM invite_test.position_faults();

--
-- MERGE fires a statement trigger for each kind of action it has (UPDATE,
-- DELETE, INSERT), one after another, each seeing the final table: the
-- count and every page must still be those of count(*) and ORDER BY ...
-- OFFSET (issue 8).
--
-- Users 7010001-7014000 and events 7080-7082, managed by user 7010000.
--
SELECT invite_test.token(7010000) AS tok \gset
INSERT INTO invite_api.users (id, username, real_name, ext_id, avatar)
SELECT 7010000 + g, 'i8m-' || g, 'User ' || g, CASE WHEN g % 3 <> 0 THEN g END,
       CASE WHEN g % 2 = 0 THEN 'https://img.example.com/' || g END
  FROM generate_series(0, 4000) AS g;
INSERT INTO invite_api.events VALUES (7080, 'merge'), (7081, 'merge too'), (7082, 'merge moves');
INSERT INTO invite_api.event_managers VALUES (7080, 7010000), (7081, 7010000), (7082, 7010000);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7080, 7010000 + g, 7010000, timestamptz '2024-01-01 00:00+00' + g * interval '1 minute'
  FROM generate_series(1001, 3500) AS g;

-- The upsert of 30_upsert as a MERGE: users 1001-2600 (invited) move to
-- the end, users 1-100 (not invited) are new there.
MERGE INTO invite_api.event_invites AS i
USING (SELECT 7080 AS event_id, 7010000 + u AS user_id
         FROM (SELECT generate_series(1, 100) UNION ALL SELECT generate_series(1001, 2600)) AS s(u)) AS s
   ON i.event_id = s.event_id AND i.user_id = s.user_id
 WHEN MATCHED THEN
      UPDATE SET invited_at = timestamptz '2026-01-01 00:00+00', invited_by = 7010000
 WHEN NOT MATCHED THEN
      INSERT (event_id, user_id, invited_by, invited_at)
      VALUES (s.event_id, s.user_id, 7010000, timestamptz '2026-01-01 00:00+00');
SELECT count(*) AS invites FROM invite_api.event_invites WHERE event_id = 7080;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7080, 20, invite_test.probe_offsets(7080, 20), :'tok');
SELECT invite_test.check_pages(7080, 100, ARRAY(SELECT generate_series(0, 2600, 100)), :'tok');

-- All three actions in one MERGE: some matched rows deleted, others moved
-- to the start, new users inserted at the start among them.
MERGE INTO invite_api.event_invites AS i
USING (SELECT 7080 AS event_id, 7010000 + g AS user_id FROM generate_series(50, 3000) AS g) AS s
   ON i.event_id = s.event_id AND i.user_id = s.user_id
 WHEN MATCHED AND i.user_id % 5 = 0 THEN
      DELETE
 WHEN MATCHED THEN
      UPDATE SET invited_at = timestamptz '2020-01-01 00:00+00' + (i.user_id % 10) * interval '1 s'
 WHEN NOT MATCHED AND s.user_id % 2 = 0 THEN
      INSERT (event_id, user_id, invited_by, invited_at)
      VALUES (s.event_id, s.user_id, NULL, timestamptz '2020-01-01 00:00+00' + (s.user_id % 10) * interval '1 s');
SELECT count(*) AS invites FROM invite_api.event_invites WHERE event_id = 7080;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7080, 20, invite_test.probe_offsets(7080, 20), :'tok');
SELECT invite_test.check_pages(7080, 100, ARRAY(SELECT generate_series(0, 3000, 100)), :'tok');

-- A MERGE over two events that moves invites between them (UPDATE of
-- event_id) and inserts into both.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7081, 7010000 + g, 7010000, timestamptz '2025-03-01 00:00+00' + (g % 100) * interval '1 minute'
  FROM generate_series(1, 2200) AS g;
MERGE INTO invite_api.event_invites AS i
USING (SELECT e AS event_id, 7010000 + g AS user_id
         FROM generate_series(1, 4000) AS g, (VALUES (7081), (7082)) AS ev(e)
        WHERE g % 3 <> 1) AS s
   ON i.event_id = s.event_id AND i.user_id = s.user_id
 WHEN MATCHED AND i.event_id = 7081 AND i.user_id <= 7011500 THEN
      UPDATE SET event_id = 7082, invited_at = '-infinity'
 WHEN NOT MATCHED AND s.user_id > 7011500 THEN
      INSERT (event_id, user_id, invited_by, invited_at)
      VALUES (s.event_id, s.user_id, 7010000, timestamptz 'infinity');
SELECT event_id, count(*) AS invites FROM invite_api.event_invites
 WHERE event_id BETWEEN 7080 AND 7082 GROUP BY 1 ORDER BY 1;
SELECT * FROM invite_test.position_faults();
SELECT e, invite_test.check_pages(e, 20, invite_test.probe_offsets(e, 20), :'tok')
  FROM generate_series(7080, 7082) AS e;
SELECT e, invite_test.check_pages(e, 100, ARRAY(SELECT generate_series(0, 5000, 100)), :'tok')
  FROM generate_series(7080, 7082) AS e;

DELETE FROM invite_api.events WHERE id BETWEEN 7080 AND 7082;
DELETE FROM invite_api.users WHERE id BETWEEN 7010000 AND 7014000;
SELECT * FROM invite_test.position_faults();

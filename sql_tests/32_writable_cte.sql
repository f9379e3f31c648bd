--
-- A writable CTE runs several writes in one statement; their statement
-- triggers fire one after another at its end, each seeing the final table:
-- the count and every page must still be those of count(*) and ORDER BY
-- ... OFFSET (issue 8).
--
-- Users 7020001-7026000 and events 7090-7093, managed by user 7020000.
--
SELECT invite_test.token(7020000) AS tok \gset
INSERT INTO invite_api.users (id, username, real_name, ext_id, avatar)
SELECT 7020000 + g, 'i8c-' || g, 'User ' || g, CASE WHEN g % 3 <> 0 THEN g END,
       CASE WHEN g % 2 = 0 THEN 'https://img.example.com/' || g END
  FROM generate_series(0, 6000) AS g;
INSERT INTO invite_api.events VALUES (7090, 'cte'), (7091, 'cte moves'), (7092, 'cte to'), (7093, 'cte three');
INSERT INTO invite_api.event_managers
SELECT e, 7020000 FROM generate_series(7090, 7093) AS e;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7090, 7020000 + g, 7020000, timestamptz '2024-01-01 00:00+00' + g * interval '1 minute'
  FROM generate_series(1001, 3500) AS g;

-- The case as found: the INSERT lands 600 new invites at the end, where
-- the DELETE removes the last 600; the count stays 2,500.
WITH ins AS (
    INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
    SELECT 7090, 7020000 + g, 7020000, timestamptz '2025-01-01 00:00+00' + g * interval '1 minute'
      FROM generate_series(5001, 5600) AS g
    RETURNING 1)
DELETE FROM invite_api.event_invites
 WHERE event_id = 7090 AND user_id BETWEEN 7022901 AND 7023500
   AND (SELECT count(*) FROM ins) > 0;
SELECT count(*) AS invites FROM invite_api.event_invites WHERE event_id = 7090;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7090, 20, invite_test.probe_offsets(7090, 20), :'tok');
-- The page at offset 1,500 is the 1,501st invite of the ground truth.
SELECT (SELECT jsonb_agg(r -> 'id') FROM jsonb_array_elements(
            invite_api.event_invites_page(7090, 3, 1500, :'tok') -> 'results') AS r) AS page_ids,
       (SELECT jsonb_agg(user_id ORDER BY invited_at, user_id)
          FROM (SELECT user_id, invited_at FROM invite_api.event_invites WHERE event_id = 7090
                 ORDER BY invited_at, user_id OFFSET 1500 LIMIT 3) AS t) AS truth_ids;

-- The same the other way round: the DELETE in the CTE, the INSERT in the
-- main statement, landing at the start where the DELETE removes.
WITH del AS (
    DELETE FROM invite_api.event_invites
     WHERE event_id = 7090 AND user_id IN (SELECT user_id FROM invite_api.event_invites
                                            WHERE event_id = 7090
                                            ORDER BY invited_at, user_id LIMIT 700)
    RETURNING user_id)
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7090, 7020000 + g, 7020000, timestamptz '2023-06-01 00:00+00' + (g % 13) * interval '1 s'
  FROM generate_series(3501, 4900) AS g
 WHERE (SELECT count(*) FROM del) > 0;
SELECT count(*) AS invites FROM invite_api.event_invites WHERE event_id = 7090;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7090, 20, invite_test.probe_offsets(7090, 20), :'tok');

-- UPDATE, INSERT and DELETE in one statement, over one event.
WITH upd AS (
    UPDATE invite_api.event_invites SET invited_at = timestamptz '2030-01-01 00:00+00'
     WHERE event_id = 7090 AND user_id % 3 = 0
    RETURNING 1),
ins AS (
    INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
    SELECT 7090, 7020000 + g, NULL, timestamptz '2030-01-01 00:00+00'
      FROM generate_series(1, 1000) AS g
    RETURNING 1)
DELETE FROM invite_api.event_invites
 WHERE event_id = 7090 AND user_id % 7 = 0
   AND (SELECT count(*) FROM upd) + (SELECT count(*) FROM ins) > 0;
SELECT count(*) AS invites FROM invite_api.event_invites WHERE event_id = 7090;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7090, 20, invite_test.probe_offsets(7090, 20), :'tok');

-- A move between events spelt as DELETE ... RETURNING feeding an INSERT,
-- and a three-event CTE.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7091, 7020000 + g, 7020000, timestamptz '2025-01-01 00:00+00' + (g % 300) * interval '1 minute'
  FROM generate_series(1, 3000) AS g;
WITH moved AS (
    DELETE FROM invite_api.event_invites
     WHERE event_id = 7091 AND user_id % 2 = 0
    RETURNING user_id, invited_by, invited_at)
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 7092, user_id, invited_by, invited_at FROM moved;
WITH a AS (
    INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
    SELECT 7093, 7020000 + g, 7020000, '-infinity' FROM generate_series(1, 2100) AS g
    RETURNING 1),
b AS (
    UPDATE invite_api.event_invites SET invited_at = 'infinity'
     WHERE event_id = 7092 AND user_id % 4 = 0
    RETURNING 1)
DELETE FROM invite_api.event_invites
 WHERE event_id = 7091 AND user_id % 3 = 0
   AND (SELECT count(*) FROM a) + (SELECT count(*) FROM b) > 0;
SELECT event_id, count(*) AS invites FROM invite_api.event_invites
 WHERE event_id BETWEEN 7090 AND 7093 GROUP BY 1 ORDER BY 1;
SELECT * FROM invite_test.position_faults();
SELECT e, invite_test.check_pages(e, 20, invite_test.probe_offsets(e, 20), :'tok')
  FROM generate_series(7090, 7093) AS e;
SELECT e, invite_test.check_pages(e, 100, ARRAY(SELECT generate_series(0, 4000, 100)), :'tok')
  FROM generate_series(7090, 7093) AS e;

DELETE FROM invite_api.events WHERE id BETWEEN 7090 AND 7093;
DELETE FROM invite_api.users WHERE id BETWEEN 7020000 AND 7026000;
SELECT * FROM invite_test.position_faults();

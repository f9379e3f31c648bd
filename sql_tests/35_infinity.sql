--
-- Invites at '-infinity' and 'infinity' (issue 8: positions that start at
-- '-infinity' were never merged, so an event shrunk from 2,500 invites to 10
-- kept empty positions for good).  Pages stay right, and the bookkeeping of
-- an event shrunk to 10 invites is no larger than that of an event that
-- only ever had the same 10 (invite_test.bookkeeping_rows() counts the rows
-- the extension keeps beside the contract's tables, whatever they are).
--
-- Users 7050001-7053000 and events 7120-7125, managed by user 7050000.
--
SELECT invite_test.token(7050000) AS tok \gset
SELECT invite_test.bookkeeping_rows() AS rows_at_start \gset
INSERT INTO invite_api.users (id, username)
SELECT 7050000 + g, 'i8i-' || g FROM generate_series(0, 3000) AS g;
INSERT INTO invite_api.events
SELECT e, 'infinity ' || e FROM generate_series(7120, 7125) AS e;
INSERT INTO invite_api.event_managers SELECT e, 7050000 FROM generate_series(7120, 7125) AS e;

-- What 10 invites cost: event 7120 gets the 10 invites that 7121, 7122 and
-- 7123 will keep (users 1-5 and 2996-3000, at '-infinity').
SELECT invite_test.bookkeeping_rows() AS rows_before \gset
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7120, 7050000 + g, '-infinity'
  FROM generate_series(1, 3000) AS g WHERE g <= 5 OR g > 2995;
SELECT invite_test.bookkeeping_rows() - :rows_before AS ten_invites_cost \gset

-- 7121: 3,000 invites at '-infinity' (ties, ordered by user id), all but
-- the first five and the last five deleted in one statement.
SELECT invite_test.bookkeeping_rows() AS rows_before \gset
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7121, 7050000 + g, '-infinity' FROM generate_series(1, 3000) AS g;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7121, 20, invite_test.probe_offsets(7121, 20), :'tok');
DELETE FROM invite_api.event_invites WHERE event_id = 7121 AND user_id BETWEEN 7050006 AND 7052995;
SELECT count(*) AS invites FROM invite_api.event_invites WHERE event_id = 7121;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7121, 3, '{0, 1, 2, 3, 7, 8, 9, 10, 11, 256}', :'tok');
SELECT invite_test.bookkeeping_rows() - :rows_before <= :ten_invites_cost AS no_larger_than_needed;

-- 7122: the same, deleted in slices of 100 statements, from the end.
SELECT invite_test.bookkeeping_rows() AS rows_before \gset
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7122, 7050000 + g, '-infinity' FROM generate_series(1, 3000) AS g;
DO $$
BEGIN
    FOR k IN REVERSE 29..0 LOOP
        DELETE FROM invite_api.event_invites
         WHERE event_id = 7122 AND user_id BETWEEN 7050000 + greatest(6, k * 100 + 1)
                                                AND 7050000 + least(2995, k * 100 + 100);
    END LOOP;
END;
$$;
SELECT count(*) AS invites FROM invite_api.event_invites WHERE event_id = 7122;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7122, 3, '{0, 1, 2, 3, 7, 8, 9, 10, 11, 256}', :'tok');
SELECT invite_test.bookkeeping_rows() - :rows_before <= :ten_invites_cost AS no_larger_than_needed;

-- 7123: moved there from 'infinity' by an UPDATE of event_id and
-- invited_at, then shrunk the same way.
SELECT invite_test.bookkeeping_rows() AS rows_before \gset
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7124, 7050000 + g, 'infinity' FROM generate_series(1, 3000) AS g;
SELECT invite_test.check_pages(7124, 20, invite_test.probe_offsets(7124, 20), :'tok');
UPDATE invite_api.event_invites SET event_id = 7123, invited_at = '-infinity' WHERE event_id = 7124;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7123, 20, invite_test.probe_offsets(7123, 20), :'tok');
DELETE FROM invite_api.event_invites WHERE event_id = 7123 AND user_id BETWEEN 7050006 AND 7052995;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7123, 3, '{0, 1, 2, 3, 7, 8, 9, 10, 11, 256}', :'tok');
SELECT invite_test.bookkeeping_rows() - :rows_before <= :ten_invites_cost AS no_larger_than_needed;

-- Both infinities and finite times in one event, grown and shrunk again.
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7125, 7050000 + g,
       CASE g % 3 WHEN 0 THEN timestamptz '-infinity' WHEN 1 THEN timestamptz 'infinity'
                  ELSE timestamptz '2025-01-01 00:00+00' + g * interval '1 s' END
  FROM generate_series(1, 3000) AS g;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7125, 20, invite_test.probe_offsets(7125, 20), :'tok');
DELETE FROM invite_api.event_invites WHERE event_id = 7125 AND user_id % 50 <> 0;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7125, 7, ARRAY(SELECT generate_series(0, 61)), :'tok');
INSERT INTO invite_api.event_invites (event_id, user_id, invited_at)
SELECT 7125, 7050000 + g, '-infinity' FROM generate_series(1, 3000) AS g WHERE g % 50 <> 0;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.check_pages(7125, 20, invite_test.probe_offsets(7125, 20), :'tok');

-- Deleting the events leaves nothing of them behind.
DELETE FROM invite_api.events WHERE id BETWEEN 7120 AND 7125;
DELETE FROM invite_api.users WHERE id BETWEEN 7050000 AND 7053000;
SELECT * FROM invite_test.position_faults();
SELECT invite_test.bookkeeping_rows() = :rows_at_start AS nothing_left;

--
-- An uninvite reads the listed users' invites to the event and no others
-- also where the average event is small.  Knowing neither the event nor
-- the list, the planner takes the event for one of average size and the
-- list for one of 10 users; with many small events (2,000 of 4 invites)
-- beside a big one (4,000), the statistics up to date, an event of average
-- size holds 6 invites, reading them all looks cheaper than 10 descents of
-- the primary key, and the big event is read whole, the list a filter.
--
-- Users 2400000-2424000, events 2401 and 2410001-2412000, managed by user
-- 2400000.  Fewer than 30,000 rows: ANALYZE reads them all, so the
-- statistics are the same on every run.  pg_stat_xact_user_tables counts
-- what the call read of event_invites in its transaction.
--
SELECT invite_test.token(2400000) AS tok \gset
INSERT INTO invite_api.users (id, username)
SELECT 2400000 + g, 'plans-' || g FROM generate_series(0, 24000) AS g;
ALTER TABLE invite_api.event_invites SET (autovacuum_enabled = off);

-- regress_uninvite_reads() is 23_uninvite_reads's: one call, and whether
-- it read no more than the listed users' invites to the event.

-- Many small events and a big one.
INSERT INTO invite_api.events SELECT 2410000 + g, 'small ' || g FROM generate_series(1, 2000) AS g;
INSERT INTO invite_api.events VALUES (2401, 'big');
INSERT INTO invite_api.event_managers SELECT id, 2400000 FROM invite_api.events
 WHERE id = 2401 OR id BETWEEN 2410001 AND 2412000;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 2410000 + e, 2404000 + (e * 4 + k) % 20000, 2400000, '2025-01-01'::timestamptz + k * interval '1 s'
  FROM generate_series(1, 2000) AS e, generate_series(1, 4) AS k;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 2401, 2400000 + g, 2400000, '2025-01-01'::timestamptz + g * interval '1 s'
  FROM generate_series(1, 4000) AS g;
ANALYZE invite_api.event_invites;
-- 3 invited users and one who is not, seven calls (a generic plan after
-- five): each reads 3 invites.
SELECT n AS call, r.*
  FROM generate_series(1, 7) AS n,
       LATERAL regress_uninvite_reads(2401, ARRAY[2400000 + n, 2401000 + n, 2403990 + n, 2420000 + n],
                                     :'tok') AS r;
SELECT (SELECT count(*) FROM invite_api.event_invites WHERE event_id = 2401) AS invites_2401;
SELECT * FROM regress_position_faults();

ALTER TABLE invite_api.event_invites RESET (autovacuum_enabled);
DELETE FROM invite_api.events WHERE id = 2401 OR id BETWEEN 2410001 AND 2412000;
DELETE FROM invite_api.users WHERE id BETWEEN 2400000 AND 2424000;
DROP FUNCTION regress_uninvite_reads(bigint, bigint[], text);

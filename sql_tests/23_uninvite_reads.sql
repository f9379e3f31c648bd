--
-- An uninvite reads the invites of the listed users and no others: one
-- index probe per user, whatever the statistics know of the event.  Until
-- the next ANALYZE a new event is not in them, a custom plan estimates it
-- at one row, and "event_id = $1 AND user_id = ANY ($2)" was planned as a
-- read of the whole event through event_invites_page_idx: removing 3
-- users from an event of 6,000 read the 6,000: the whole event, whatever
-- its size.
--
-- Users 2300000-2306100 and events 2301 (analyzed) and 2302 (new since),
-- managed by user 2300000 (and 2302 by user 1, whose pages the checks read).  pg_stat_xact_user_tables counts what the call
-- read of event_invites in its transaction (the fold of so few changes
-- waits for more, so the call's DELETE is all that reads it).
--
SELECT invite_test.token(2300000) AS tok \gset
INSERT INTO invite_api.users (id, username)
SELECT 2300000 + g, 'reads-' || g FROM generate_series(0, 6100) AS g;
INSERT INTO invite_api.events VALUES (2301, 'analyzed'), (2302, 'new');
INSERT INTO invite_api.event_managers VALUES (2301, 2300000), (2302, 2300000), (2302, 1);
-- No autovacuum may analyze the table meanwhile.
ALTER TABLE invite_api.event_invites SET (autovacuum_enabled = off);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 2301, 2300000 + g, 2300000, '2025-01-01'::timestamptz + g * interval '1 second'
  FROM generate_series(1, 3000) AS g;
ANALYZE invite_api.event_invites;
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 2302, 2300000 + g, 2300000, '2025-01-01'::timestamptz + g * interval '1 second'
  FROM generate_series(1, 6000) AS g;
SELECT count(*) AS "event 2302 in the statistics"
  FROM pg_stats s
 WHERE s.schemaname = 'invite_api' AND s.tablename = 'event_invites' AND s.attname = 'event_id'
   AND '2302' = ANY (s.most_common_vals::text::text[]);

-- One uninvite call, and what it read of event_invites (rows of sequential
-- scans, rows fetched through indexes) against the listed users' invites to
-- the event: each found by its key, and nothing else read.
CREATE FUNCTION regress_uninvite_reads(p_event bigint, p_users bigint[], p_token text,
                                       OUT removed int, OUT seq_rows bigint,
                                       OUT reads_only_listed boolean)
LANGUAGE plpgsql AS $$
DECLARE
    listed bigint := (SELECT count(*) FROM invite_api.event_invites i
                       WHERE i.event_id = p_event AND i.user_id = ANY (p_users));
    seq_before bigint;
    index_before bigint;
    index_rows bigint;
BEGIN
    SELECT coalesce(t.seq_tup_read, 0), coalesce(t.idx_tup_fetch, 0) INTO seq_before, index_before
      FROM pg_stat_xact_user_tables t WHERE t.relid = 'invite_api.event_invites'::regclass;
    removed := invite_api.event_uninvite_users(p_event, p_users, p_token);
    SELECT coalesce(t.seq_tup_read, 0) - seq_before, coalesce(t.idx_tup_fetch, 0) - index_before
      INTO seq_rows, index_rows
      FROM pg_stat_xact_user_tables t WHERE t.relid = 'invite_api.event_invites'::regclass;
    reads_only_listed := seq_rows = 0 AND index_rows BETWEEN removed AND listed;
    IF NOT reads_only_listed THEN
        RAISE WARNING 'read % rows through indexes, for % invites of the listed users to the event', index_rows, listed;
    END IF;
END;
$$;

-- 3 invited users and one who is not.  Seven calls, so that the plan cache
-- may settle on a generic plan (after five): every call reads the same.
SELECT n AS call, r.*
  FROM generate_series(1, 7) AS n,
       LATERAL regress_uninvite_reads(2302, ARRAY[2300000 + n, 2303000 + n, 2305990 + n, 2306000 + n],
                                      :'tok') AS r;
-- 1,000 users: 900 of the 6,000 and 100 not invited.
SELECT r.*
  FROM regress_uninvite_reads(2302, ARRAY(SELECT 2301000 + g FROM generate_series(1, 900) AS g)
                                    || ARRAY(SELECT 2306000 + g FROM generate_series(1, 100) AS g),
                              :'tok') AS r;
-- The same in the analyzed event.
SELECT n AS call, r.*
  FROM generate_series(1, 7) AS n,
       LATERAL regress_uninvite_reads(2301, ARRAY[2300100 + n, 2302000 + n], :'tok') AS r;

-- The count, the runs and the pages are still right.
SELECT (SELECT count(*) FROM invite_api.event_invites WHERE event_id = 2302) AS invites_2302,
       (SELECT count(*) FROM invite_api.event_invites WHERE event_id = 2301) AS invites_2301;
SELECT * FROM regress_position_faults();
SELECT * FROM regress_page_faults(2302, 20, ARRAY[0, 1, 255, 256, 257, 2000, 4900, 4980, 5000]);

ALTER TABLE invite_api.event_invites RESET (autovacuum_enabled);
DELETE FROM invite_api.events WHERE id IN (2301, 2302);
DELETE FROM invite_api.users WHERE id BETWEEN 2300000 AND 2306100;
-- regress_uninvite_reads() stays for 24_uninvite_plans, which drops it.

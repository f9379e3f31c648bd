--
-- Inviting and uninviting: what a call writes and returns, and the pages
-- that follow it.  Starts from a fresh extension at the default version (the
-- tests before this one leave other data behind); 21_ and 22_ continue on
-- this fixture, and the last of them drops what it adds.
--
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SET client_min_messages = warning;
DROP EXTENSION invite_api;
CREATE EXTENSION invite_api;
RESET client_min_messages;
SELECT extversion FROM pg_extension WHERE extname = 'invite_api';

-- The two functions, as the contract declares them: VOLATILE, SECURITY
-- DEFINER under a pinned search_path, not callable by PUBLIC.
SELECT p.oid::regprocedure AS function, pg_get_function_arguments(p.oid) AS arguments,
       p.prorettype::regtype AS returns, p.provolatile AS volatility,
       p.prosecdef AS security_definer, p.proconfig AS config, p.proisstrict AS strict,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_execute
  FROM pg_proc p
 WHERE p.oid IN ('invite_api.event_invite_users'::regproc, 'invite_api.event_uninvite_users'::regproc,
                 'invite_api.event_invites_page'::regproc)
 ORDER BY p.proname;
SELECT p.proname, obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p
 WHERE p.oid IN ('invite_api.event_invite_users'::regproc, 'invite_api.event_uninvite_users'::regproc,
                 'invite_api.event_invites_page'::regproc)
 ORDER BY p.proname;

-- The community: users 1..5000; event 1 without invites, event 2 with 2500
-- (in an order unrelated to the ids, three to an instant), both managed by
-- user 1 (invite_test.load_community).  User 2 manages event 2 too; user 3
-- manages event 3, which has one invite; user 5000000000 (beyond int4)
-- exists.
SELECT invite_test.load_community(5000, ARRAY[0, 2500]);
INSERT INTO invite_api.event_managers VALUES (2, 2);
INSERT INTO invite_api.users (id, username) VALUES (5000000000, 'big');
INSERT INTO invite_api.events VALUES (3, 'third');
INSERT INTO invite_api.event_managers VALUES (3, 3);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
VALUES (3, 4, 3, '2025-06-01 00:00:00+00');
SELECT invite_test.token(1) AS ann \gset
SELECT invite_test.token(2) AS bob \gset
SELECT invite_test.token(3) AS cy \gset

-- After every write below: the count and runs are right, and the pages of
-- the event (limit 7, every p_step offsets and one past the end) are the
-- ground truth.  No rows when all is well.
CREATE FUNCTION regress_write_faults(p_event bigint, p_step int DEFAULT 1)
RETURNS SETOF text
LANGUAGE sql AS $$
    SELECT 'event ' || event_id || ': ' || fault FROM regress_position_faults()
    UNION ALL
    SELECT 'offset ' || "offset" || ': ' || fault
      FROM regress_page_faults(p_event, 7, ARRAY(
               SELECT generate_series(0, (SELECT count(*)::int + 7 FROM invite_api.event_invites i
                                           WHERE i.event_id = p_event), p_step)))
$$;

-- The page's user ids, in page order.
CREATE FUNCTION regress_page_ids(p_event bigint, p_limit int, p_offset int, p_token text)
RETURNS bigint[]
LANGUAGE sql AS $$
    SELECT array_agg((r ->> 'id')::bigint ORDER BY n)
      FROM jsonb_array_elements(invite_api.event_invites_page(p_event, p_limit, p_offset, p_token) -> 'results')
           WITH ORDINALITY AS r(r, n)
$$;

--
-- Inviting.
--
-- A user listed twice counts once; every row has the token's user as
-- inviter and one invited_at, the statement's start.
SELECT invite_api.event_invite_users(1, '{5, 3, 5, 4, 3, 5000000000}', :'ann') AS created,
       statement_timestamp() AS first_call \gset
SELECT :created AS created;
SELECT user_id, invited_by, invited_at = :'first_call' AS at_first_call
  FROM invite_api.event_invites WHERE event_id = 1 ORDER BY user_id;
SELECT * FROM regress_write_faults(1);

-- Already invited users keep their invitation (time and inviter); only the
-- new ones count, and are invited by the caller (bob manages event 2, not
-- event 1).
SELECT invite_api.event_invite_users(1, '{4, 6, 3, 6}', :'ann') AS created,
       statement_timestamp() AS second_call \gset
SELECT :created AS created;
SELECT invite_api.event_invite_users(2, '{1, 2}', :'bob') AS created;
SELECT user_id, invited_by,
       CASE invited_at WHEN :'first_call' THEN 'first call' WHEN :'second_call' THEN 'second call' END AS invited
  FROM invite_api.event_invites WHERE event_id = 1 ORDER BY user_id;
SELECT user_id, invited_by, invited_at > '2025-02-01' AS invited_now
  FROM invite_api.event_invites WHERE event_id = 2 AND user_id IN (1, 2, 3) ORDER BY user_id;

-- Nothing new: 0, nothing changes.
SELECT invite_api.event_invite_users(1, '{3, 4, 5, 6}', :'ann') AS created;
SELECT count(*) FROM invite_api.event_invites WHERE event_id = 1;

-- Pages: a call's users share its instant and are ordered by id among
-- themselves; a later call pages after an earlier one.
SELECT regress_page_ids(1, 10, 0, :'ann');
SELECT invite_api.event_invites_page(1, 2, 3, :'ann') - 'results';
SELECT * FROM regress_write_faults(1);

-- Two calls in one transaction: the second pages after the first (each has
-- its statement's instant, both after the transaction's start).
BEGIN;
SELECT invite_api.event_invite_users(1, '{12, 11}', :'ann');
SELECT invite_api.event_invite_users(1, '{10, 9}', :'ann');
SELECT regress_page_ids(1, 10, 5, :'ann');
SELECT count(DISTINCT invited_at) AS instants, bool_and(invited_at >= now()) AS after_start
  FROM invite_api.event_invites WHERE event_id = 1 AND user_id IN (9, 10, 11, 12);
SELECT * FROM regress_write_faults(1);
COMMIT;

-- A batch of 1000 users (max_batch's default), listed in no order, of
-- whom some were invited already: the new ones land at the end of the large
-- event, ordered by id, and the invites before them keep their places.
-- Then the count and the pages agree with the ground truth.
SELECT count(*) AS before_batch FROM invite_api.event_invites WHERE event_id = 2 \gset
SELECT regress_page_ids(2, 5, :before_batch - 5, :'ann') AS last_before \gset
SELECT invite_api.event_invite_users(2, ARRAY(SELECT g FROM generate_series(1, 5000) g
                                               ORDER BY (g * 7919) % 5000 LIMIT 1000), :'ann') AS created,
       statement_timestamp() AS batch_at \gset
SELECT :created AS created,
       (SELECT count(*) FROM invite_api.event_invites WHERE event_id = 2 AND invited_at = :'batch_at') AS at_batch,
       (invite_api.event_invites_page(2, 1, 0, :'ann') -> 'count')::int - :before_batch AS count_grew_by;
SELECT regress_page_ids(2, 5, :before_batch - 5, :'ann') = :'last_before' AS same_before;
SELECT (SELECT array_agg(a.id ORDER BY o, a.n)
          FROM generate_series(:before_batch, :before_batch + 1000, 100) AS o,
               unnest(regress_page_ids(2, 100, o, :'ann')) WITH ORDINALITY AS a(id, n))
       = (SELECT array_agg(user_id ORDER BY user_id) FROM invite_api.event_invites
           WHERE event_id = 2 AND invited_at = :'batch_at') AS batch_paged_by_id;
SELECT count(*) AS faults FROM regress_write_faults(2, 37);

--
-- Uninviting.
--
-- Invited users are removed, users not invited passed over, repeats count
-- once.
SELECT invite_api.event_uninvite_users(1, '{4, 4, 7, 6, 8, 4}', :'ann') AS removed;
SELECT array_agg(user_id ORDER BY user_id) FROM invite_api.event_invites WHERE event_id = 1;
SELECT * FROM regress_write_faults(1);
-- Nobody of the list invited: 0.
SELECT invite_api.event_uninvite_users(1, '{4, 7, 8}', :'ann') AS removed;
-- Only the event's invites: user 4's invite of event 3 stays.
SELECT event_id, user_id FROM invite_api.event_invites WHERE user_id = 4 ORDER BY 1;

-- Removing every other invite of the large event, in two calls of up to
-- 1000: the count, runs and pages follow.
CREATE TEMP TABLE doomed AS
SELECT user_id, row_number() OVER (ORDER BY invited_at, user_id) AS n
  FROM invite_api.event_invites WHERE event_id = 2;
SELECT invite_api.event_uninvite_users(2, ARRAY(SELECT user_id FROM doomed WHERE n % 2 = 0 AND n <= 2000),
                                       :'ann') AS removed;
SELECT invite_api.event_uninvite_users(2, ARRAY(SELECT user_id FROM doomed WHERE n % 2 = 0 AND n > 2000),
                                       :'ann') AS removed;
SELECT (invite_api.event_invites_page(2, 1, 0, :'ann') -> 'count')::int
       = (SELECT count(*) FILTER (WHERE n % 2 = 1) FROM doomed) AS count_is_the_rest;
SELECT count(*) AS faults FROM regress_write_faults(2, 37);
DROP TABLE doomed;

-- Every invite of an event removed, then invited again.
SELECT invite_api.event_uninvite_users(1, ARRAY(SELECT user_id FROM invite_api.event_invites
                                                 WHERE event_id = 1), :'ann') AS removed;
SELECT invite_api.event_invites_page(1, 5, 0, :'ann');
SELECT * FROM regress_write_faults(1);
SELECT invite_api.event_invite_users(1, '{2}', :'ann') AS created;
SELECT * FROM regress_write_faults(1);

--
-- All or nothing.
--
-- One unknown user in the list: an error, and nothing is written.
SELECT invite_api.event_invite_users(1, '{20, 21, 999999}', :'ann');
SELECT invite_api.event_uninvite_users(1, '{2, 999999}', :'ann');
SELECT array_agg(user_id ORDER BY user_id) FROM invite_api.event_invites WHERE event_id = 1;

-- A call rolled back, or in a savepoint rolled back, leaves nothing.
BEGIN;
SELECT invite_api.event_invite_users(1, '{20, 21}', :'ann');
ROLLBACK;
BEGIN;
SAVEPOINT s;
SELECT invite_api.event_uninvite_users(1, '{2}', :'ann');
SELECT invite_api.event_invite_users(1, '{22}', :'ann');
ROLLBACK TO SAVEPOINT s;
SELECT invite_api.event_invite_users(1, '{23}', :'ann');
COMMIT;
SELECT array_agg(user_id ORDER BY user_id) FROM invite_api.event_invites WHERE event_id = 1;
SELECT * FROM regress_write_faults(1);

-- In the same transaction, the page after a call shows the new set.
BEGIN;
SELECT invite_api.event_invite_users(1, '{30, 31}', :'ann');
SELECT regress_page_ids(1, 10, 0, :'ann');
SELECT invite_api.event_uninvite_users(1, '{2, 30}', :'ann');
SELECT regress_page_ids(1, 10, 0, :'ann');
SELECT * FROM regress_write_faults(1);
COMMIT;

--
-- Read-only transactions (as PostgREST opens for GET, and every
-- transaction on a standby): PostgreSQL's own 25006, nothing written.
--
SELECT md5(array_agg(t ORDER BY t.name)::text) AS before FROM invite_test.table_digests() t \gset
BEGIN TRANSACTION READ ONLY;
SELECT invite_api.event_invite_users(1, '{40}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK;
BEGIN TRANSACTION READ ONLY;
SELECT invite_api.event_uninvite_users(1, '{23}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK;
SET default_transaction_read_only = on;
SELECT invite_api.event_invite_users(1, '{40}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
-- (A page is still served there.)
SELECT invite_api.event_invites_page(1, 1, 0, :'ann') -> 'count' AS count;
RESET default_transaction_read_only;
SELECT md5(array_agg(t ORDER BY t.name)::text) = :'before' AS nothing_written
  FROM invite_test.table_digests() t;

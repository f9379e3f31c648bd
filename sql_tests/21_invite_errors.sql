--
-- Inviting and uninviting: each error, the order of the checks, and
-- invite_api.max_batch (on 20_invite_users' fixture: user 1 manages events
-- 1 and 2, user 3 manages event 3; users 1..5000 exist).  No error writes
-- anything: checked at the end.
--
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
SELECT invite_test.token(1) AS ann \gset
SELECT invite_test.token(3) AS cy \gset
SELECT md5(array_agg(t ORDER BY t.name)::text) AS before FROM invite_test.table_digests() t \gset

--
-- Each error, once for each function.
--
-- The token (as the page's): none, refused, no usable key.
SELECT invite_api.event_invite_users(1, '{40}');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, '{40}', NULL);
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(1, '{40}', :'ann' || 'x');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, '{40}', invite_test.token(1, '-1 hour'));
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_secret = '';
SELECT invite_api.event_invite_users(1, '{40}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, '{40}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
-- A Bearer token is accepted as the page accepts it.
SELECT invite_api.event_uninvite_users(1, '{40}', 'bearer ' || :'ann') AS removed;

-- NULL arguments: 22004.
SELECT invite_api.event_invite_users(NULL, '{40}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, NULL, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE

-- The list: empty, with a null, not a list, too long: 22023.
SELECT invite_api.event_invite_users(1, '{}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, '{}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(1, '{40, NULL, 41}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, ARRAY[NULL]::bigint[], :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(1, '{{40, 41}, {42, 43}}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(1, ARRAY(SELECT generate_series(1, 1001)), :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, ARRAY(SELECT generate_series(1, 1001)), :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
-- (Lower bounds other than 1 are still a list.)
SELECT invite_api.event_invite_users(1, '[0:1]={40,41}', :'ann') AS created;
SELECT invite_api.event_uninvite_users(1, '[-5:-4]={41,40}', :'ann') AS removed;

-- No such event: P0002.  Not a manager: 42501.
SELECT invite_api.event_invite_users(9000000000, '{40}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(-1, '{40}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(3, '{40}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, '{40}', :'cy');
\echo sqlstate :LAST_ERROR_SQLSTATE
-- A manager of another event only, or a user that does not exist at all.
SELECT invite_api.event_uninvite_users(3, '{4}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(1, '{40}', invite_test.token(777777));
\echo sqlstate :LAST_ERROR_SQLSTATE

-- Users that do not exist: 22023, the DETAIL naming the lowest ids (five
-- at most) and how many more there are.
SELECT invite_api.event_invite_users(1, '{40, 0, 41}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, '{40, -7, 9223372036854775807, 41, -7}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(1, '{6006, 6005, 40, 6004, 6003, 6002, 6001}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(1, ARRAY(SELECT generate_series(4001, 5900)::bigint ORDER BY 1 DESC LIMIT 1000), :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE

--
-- The order of the checks: token, NULL arguments, the list, the event, the
-- manager, a read-only transaction, the users.  Each pair below has both
-- faults; the first is reported.
--
-- A bad token beats a NULL list and a missing event, and so does no key.
SELECT invite_api.event_invite_users(NULL, NULL, 'garbage');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(9000000000, '{}', NULL);
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_secret = '';
SELECT invite_api.event_invite_users(NULL, NULL, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.jwt_secret = 'regress-secret-0123456789-abcdefghij';
-- A NULL event beats a NULL or empty list; a NULL list beats a missing event.
SELECT invite_api.event_invite_users(NULL, NULL, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(NULL, '{}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(9000000000, NULL, :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
-- A bad list beats a missing event and a non-manager.
SELECT invite_api.event_invite_users(9000000000, '{}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(3, '{4, NULL}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(3, ARRAY(SELECT generate_series(1, 1001)), :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
-- Within the list: a null is reported before the list's size.
SET invite_api.max_batch = 2;
SELECT invite_api.event_invite_users(1, '{40, 41, 42, NULL}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
RESET invite_api.max_batch;
-- A missing event beats unknown users; a non-manager beats unknown users.
SELECT invite_api.event_invite_users(9000000000, '{999999}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_invite_users(3, '{999999}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, '{4, 999999}', :'cy');
\echo sqlstate :LAST_ERROR_SQLSTATE
-- In a read-only transaction, the checks up to the manager's still come
-- first; then 25006, whatever the list (the users are checked with locks,
-- which a read-only transaction cannot take).
BEGIN TRANSACTION READ ONLY;
SAVEPOINT s;
SELECT invite_api.event_invite_users(1, '{40}', NULL);
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
SELECT invite_api.event_invite_users(1, '{}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
SELECT invite_api.event_invite_users(9000000000, '{40}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
SELECT invite_api.event_invite_users(3, '{40}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
SELECT invite_api.event_uninvite_users(1, '{999999}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK TO SAVEPOINT s;
SELECT invite_api.event_uninvite_users(1, '{23}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK;

--
-- invite_api.max_batch: the most distinct users of one call.
--
SELECT name, setting, boot_val, min_val, max_val, context, vartype, short_desc
  FROM pg_settings WHERE name = 'invite_api.max_batch';
-- At the default (1000), 1000 distinct users pass, 1001 do not; repeats
-- count once, however long the list.
SELECT invite_api.event_invite_users(1, ARRAY(SELECT generate_series(1001, 2000)), :'ann') AS created;
SELECT invite_api.event_invite_users(1, ARRAY(SELECT 1001 + g % 1000 FROM generate_series(1, 50000) g), :'ann') AS created;
SELECT invite_api.event_uninvite_users(1, ARRAY(SELECT generate_series(1001, 2001)), :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, ARRAY(SELECT 1001 + g % 1000 FROM generate_series(1, 50000) g), :'ann') AS removed;
-- Any role may lower or raise it, within 1 .. 10000.
CREATE ROLE regress_invite_batcher;
SET ROLE regress_invite_batcher;
SET invite_api.max_batch = 3;
SHOW invite_api.max_batch;
RESET ROLE;
SELECT invite_api.event_invite_users(1, '{40, 41, 42}', :'ann') AS created;
SELECT invite_api.event_invite_users(1, '{40, 41, 42, 43}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, '{42, 41, 40, 40, 41, 42}', :'ann') AS removed;
SET invite_api.max_batch = 1;
SELECT invite_api.event_invite_users(1, '{40, 40}', :'ann') AS created;
SELECT invite_api.event_uninvite_users(1, '{40, 41}', :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SELECT invite_api.event_uninvite_users(1, '{40}', :'ann') AS removed;
SET invite_api.max_batch = 10000;
SELECT invite_api.event_uninvite_users(1, ARRAY(SELECT generate_series(1, 10000)), :'ann');
\echo sqlstate :LAST_ERROR_SQLSTATE
SET invite_api.max_batch = 0;
SET invite_api.max_batch = 10001;
SET invite_api.max_batch = 'many';
RESET invite_api.max_batch;
SHOW invite_api.max_batch;
DROP ROLE regress_invite_batcher;

-- The errors wrote nothing, and what the calls that passed wrote was
-- undone: the tables are as they were.
SELECT md5(array_agg(t ORDER BY t.name)::text) = :'before' AS nothing_written
  FROM invite_test.table_digests() t;
SELECT * FROM regress_write_faults(1);

--
-- A page past the first SKIP_WITHOUT_RUNS (256) positions reads the
-- event's runs straight from invite_api.invite_runs' primary key
-- (src/run_scan.c), by the columns' types and the key's order.  The owner
-- may change the table (contract, section 3: the function may then refuse,
-- never crash): a page that would read it is then refused with 55000, and
-- pages that do not read it are still served.  Expected: each change
-- refused, and every page right again once the table is as it was.
--
-- Users 4100001-4103000 and event 4101, managed by user 4100000: 3,000
-- invites a minute apart (runs of 512).  Each change is rolled back.
--
SELECT invite_test.token(4100000) AS tok \gset
INSERT INTO invite_api.users (id, username)
SELECT 4100000 + g, 'runs-' || g FROM generate_series(0, 3000) AS g;
INSERT INTO invite_api.events VALUES (4101, 'altered runs');
INSERT INTO invite_api.event_managers VALUES (4101, 4100000);
INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
SELECT 4101, 4100000 + g, 4100000, timestamptz '2025-01-01 00:00+00' + g * interval '1 minute'
  FROM generate_series(1, 3000) AS g;
SELECT count(*) AS runs FROM invite_api.invite_runs WHERE event_id = 4101 AND level = 0;
SELECT invite_test.check_pages(4101, 7, invite_test.probe_offsets(4101, 7), :'tok');

-- A column of another type.
BEGIN;
ALTER TABLE invite_api.invite_runs ALTER invites TYPE integer;
SELECT jsonb_array_length(invite_api.event_invites_page(4101, 5, 100, :'tok') -> 'results') AS served;
SAVEPOINT refused;
SELECT invite_api.event_invites_page(4101, 5, 1000, :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK TO refused;
SELECT invite_api.event_invites_page(4101, 5, 2995, :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK;

-- A column renamed: refused; one of its name added at the end of the
-- table: read by its name.
BEGIN;
ALTER TABLE invite_api.invite_runs RENAME next_user TO old_next_user;
SAVEPOINT refused;
SELECT invite_api.event_invites_page(4101, 5, 1000, :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK TO refused;
ALTER TABLE invite_api.invite_runs ADD next_user bigint;
UPDATE invite_api.invite_runs SET next_user = old_next_user;
ALTER TABLE invite_api.invite_runs DROP old_next_user;
SELECT invite_test.check_pages(4101, 7, invite_test.probe_offsets(4101, 7), :'tok');
ROLLBACK;

-- A primary key of another order, and none.
BEGIN;
ALTER TABLE invite_api.invite_runs DROP CONSTRAINT invite_runs_pkey,
    ADD PRIMARY KEY (event_id, level, first_user, first_at);
SAVEPOINT refused;
SELECT invite_api.event_invites_page(4101, 5, 1000, :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK TO refused;
ALTER TABLE invite_api.invite_runs DROP CONSTRAINT invite_runs_pkey;
SELECT invite_api.event_invites_page(4101, 5, 1000, :'tok');
\echo sqlstate :LAST_ERROR_SQLSTATE
ROLLBACK;

-- As it was: every page right.
SELECT invite_test.check_pages(4101, 7, invite_test.probe_offsets(4101, 7), :'tok');
SELECT count(*) AS faults FROM invite_test.position_faults();
DELETE FROM invite_api.events WHERE id = 4101;
DELETE FROM invite_api.users WHERE id BETWEEN 4100000 AND 4103000;

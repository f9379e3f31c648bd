-- The benchmark's data, loaded through the contract's tables with the
-- extension installed, so that whatever the installed version does on
-- insert (triggers, bookkeeping) runs as it would for any loader.
--
--   psql -v users=10000000 -v sizes=100,10000,1000000,10000000 \
--        -v mult=6180339 -v manager=1 -f bench/load.sql
--
-- users:   users 1..users.
-- sizes:   one event per size, ids 1, 2, 3, ... in the order given, each with
--          that many invites of distinct users, scattered, so that the page
--          order is not the id order.  invited_at grows by 5 seconds a step
--          and one step in three is shared by two invites (ties broken by
--          user id).
-- mult:    a number prime to users.  Step s (0, 1, ...) of event e invites
--          user ((s + e * 1000003) * mult) % users + 1: no user twice in an
--          event, and the steps past an event's size name users it has not
--          invited (the benchmark invites those later).
-- manager: the user who manages every event (and invites everyone).
--
-- Each event's invites are one INSERT ... SELECT into the extension's table,
-- whose triggers build its bookkeeping, and the same one into
-- bench_plain.event_invites, the plain implementation's table
-- (bench/plain.sql).  Both run as an ordinary session would, foreign keys
-- checked: under session_replication_role = replica the extension would log
-- the invites row by row, as it does for a logical-replication subscriber's
-- apply worker, and the load would measure that path instead.  Then
-- everything is vacuumed and analyzed.  The data is the same on every run.
--
-- Prints one line "load|phase|seconds" per phase (psql -At).
\set ON_ERROR_STOP on

-- Each phase's start and end; every statement commits on its own.
CREATE TEMP TABLE load_phases (
    n           serial,
    phase       text NOT NULL,
    started     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished    timestamptz
);

INSERT INTO load_phases (phase) VALUES ('users');

INSERT INTO invite_api.users (id, username, real_name, ext_id, avatar)
SELECT u,
       'user' || u,
       'Real Name ' || u,
       CASE WHEN u % 3 <> 0 THEN u * 10 END,
       CASE WHEN u % 2 = 0 THEN 'https://cdn.example.com/avatars/' || u || '.png' END
  FROM pg_catalog.generate_series(1, :users) u;

INSERT INTO invite_api.events (id, name)
SELECT s.event, 'event with ' || s.size || ' invites'
  FROM pg_catalog.unnest(pg_catalog.string_to_array(:'sizes', ',')::integer[])
       WITH ORDINALITY s(size, event);

INSERT INTO invite_api.event_managers (event_id, user_id)
SELECT e.id, :manager FROM invite_api.events e;

UPDATE load_phases SET finished = pg_catalog.clock_timestamp() WHERE finished IS NULL;

-- One set-based statement per event and table, each in page order (as
-- invites arrive) and a transaction of its own: its time includes the
-- commit, where the extension folds what its triggers logged.
SELECT pg_catalog.format('INSERT INTO load_phases (phase) VALUES (%L)', t.name || ' ' || s.size),
       pg_catalog.format(
           'INSERT INTO %s (event_id, user_id, invited_by, invited_at)'
           ' SELECT %s, ((s + %s * 1000003) * %s::bigint) %% %s + 1, %s,'
           '        timestamptz ''2024-01-01 00:00:00+00'' + ((s + 1) * 2 / 3) * interval ''5 seconds'''
           '   FROM pg_catalog.generate_series(0, %s - 1) s',
           t.tab, s.event, s.event, :mult, :users, :manager, s.size),
       'UPDATE load_phases SET finished = pg_catalog.clock_timestamp() WHERE finished IS NULL'
  FROM pg_catalog.unnest(pg_catalog.string_to_array(:'sizes', ',')::integer[])
       WITH ORDINALITY s(size, event),
       (VALUES (1, 'invite_api.event_invites', 'extension'),
               (2, 'bench_plain.event_invites', 'plain')) t(n, tab, name)
 ORDER BY t.n, s.event
\gexec

INSERT INTO load_phases (phase) VALUES ('vacuum');
VACUUM ANALYZE;
UPDATE load_phases SET finished = pg_catalog.clock_timestamp() WHERE finished IS NULL;

SELECT 'load', phase, round(extract(epoch FROM finished - started)::numeric, 1)
  FROM load_phases ORDER BY n;

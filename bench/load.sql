-- The benchmark's data, loaded through the contract's tables with the
-- extension installed, so that whatever the installed version does on
-- insert (triggers, bookkeeping) runs as it would for any loader.
--
--   psql -v users=1000000 -v sizes=100,10000,1000000 -v manager=1 -f bench/load.sql
--
-- users:   users 1..users.
-- sizes:   one event per size, ids 1, 2, 3, ... in the order given, each with
--          that many invites of distinct users, drawn at random, so that the
--          page order is not the id order.  invited_at grows by 5 seconds a
--          step and one step in three is shared by two invites (ties broken
--          by user id).
-- manager: the user who manages every event (and invites everyone).
--
-- Then the invites are copied into bench_plain.event_invites, the plain
-- implementation's table (bench/plain.sql), and everything is vacuumed and
-- analyzed.  random() is seeded: every run loads the same data.
\set ON_ERROR_STOP on

SELECT pg_catalog.setseed(0.5);

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

-- One set-based statement per event, each in page order (as invites arrive).
SELECT pg_catalog.format(
           'INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)'
           ' SELECT %s, p.user_id, %s,'
           '        timestamptz ''2024-01-01 00:00:00+00'' + (p.step * 2 / 3) * interval ''5 seconds'''
           '   FROM (SELECT u AS user_id, row_number() OVER (ORDER BY pg_catalog.random()) AS step'
           '           FROM pg_catalog.generate_series(1, %s) u) p'
           '  WHERE p.step <= %s'
           '  ORDER BY p.step',
           s.event, :manager, :users, s.size)
  FROM pg_catalog.unnest(pg_catalog.string_to_array(:'sizes', ',')::integer[])
       WITH ORDINALITY s(size, event)
 ORDER BY s.event
\gexec

INSERT INTO bench_plain.event_invites (event_id, user_id, invited_by, invited_at)
SELECT i.event_id, i.user_id, i.invited_by, i.invited_at
  FROM invite_api.event_invites i
 ORDER BY i.event_id, i.invited_at, i.user_id;

VACUUM ANALYZE;

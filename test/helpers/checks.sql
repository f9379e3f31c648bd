-- What the test suites check and compare, in schema "invite_test" of the
-- database under test (beside the token signer of tokens.sql):
--
--   load_community(users, sizes)      a deterministic community to test on
--   position_faults()                 rows that break the count and the runs
--   run_size_faults()                 runs outside their size bounds
--   page_faults(event, limit, offsets, token)
--                                     pages that differ from ORDER BY/OFFSET
--   check_page(event, limit, offset, token)
--                                     raises when the page is wrong
--   require(condition, what)          raises "what" unless the condition holds
--   page_digests(manager, token, limit, step)
--                                     one digest of many pages per event
--   table_digests()                   rows and a digest of each contract table
--   backend_memory()                  this backend's RSS and memory contexts
--
--   psql -v ON_ERROR_STOP=1 -f test/helpers/tokens.sql -f test/helpers/checks.sql
--
-- Plain SQL (no psql commands); needs invite_api 1.2 or later (the count and
-- the runs); idempotent.
CREATE SCHEMA IF NOT EXISTS invite_test;

-- Users 1..p_users (some without ext_id or avatar, some with non-ASCII
-- names) and one event per size, ids 1, 2, ... managed by user 1, each with
-- that many invites of distinct users in an order unrelated to their ids,
-- with ties (three invites share each instant).  random() is seeded: the
-- same arguments load the same rows.
CREATE OR REPLACE FUNCTION invite_test.load_community(p_users int, p_sizes int[])
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    size int;
    ev int := 0;
BEGIN
    PERFORM setseed(0.31);
    INSERT INTO invite_api.users (id, username, real_name, ext_id, avatar)
    SELECT u, 'user' || u,
           CASE u % 5 WHEN 0 THEN '' WHEN 1 THEN 'Zoë ☃ ' || u ELSE 'Real Name ' || u END,
           CASE WHEN u % 3 <> 0 THEN u * 10 END,
           CASE WHEN u % 2 = 0 THEN 'https://cdn.example.com/a/' || u || '.png' END
      FROM generate_series(1, p_users) u;
    FOREACH size IN ARRAY p_sizes LOOP
        ev := ev + 1;
        INSERT INTO invite_api.events (id, name) VALUES (ev, 'event of ' || size);
        INSERT INTO invite_api.event_managers (event_id, user_id) VALUES (ev, 1);
        INSERT INTO invite_api.event_invites (event_id, user_id, invited_by, invited_at)
        SELECT ev, p.u, 1, timestamptz '2025-01-01 00:00:00+00' + (p.step / 3) * interval '1 minute'
          FROM (SELECT u, row_number() OVER (ORDER BY random()) AS step
                  FROM generate_series(2, p_users) u) p
         WHERE p.step <= size;
    END LOOP;
END;
$$;

-- What the answers depend on, as rows that break it (none when all is
-- well), for the bookkeeping of invite_api 1.2 (sql/invite_api--1.1--1.2.sql):
--   * each event's count plus its pending changes is its number of invites;
--   * at every level 0 .. height of a counted event, the runs chain from the
--     first run key through next_at/next_user to a last run with no next;
--   * a run of invites holds what event_invites has in its range, less the
--     pending changes that fall in it (not checked for an event with a
--     pending change spanning two runs: that one is counted again when
--     folded);
--   * a run of runs starts where a run of the level below starts, and holds
--     the invites of the runs of that level in its range;
--   * the count is the sum of the top level, pending changes belong to
--     existing events, and the runs are trusted.
CREATE OR REPLACE FUNCTION invite_test.position_faults() RETURNS TABLE (event_id bigint, fault text)
LANGUAGE sql STABLE AS $$
    WITH truth AS (
        SELECT i.event_id, count(*) AS invites FROM ONLY invite_api.event_invites i GROUP BY 1
    ), pending AS (
        SELECT ch.event_id, sum(ch.delta) AS delta FROM invite_api.invite_changes ch GROUP BY 1
    ), chain AS (
        SELECT r.*, lead(ROW(r.first_at, r.first_user)) OVER w AS following,
               row_number() OVER w AS n
          FROM invite_api.invite_runs r
        WINDOW w AS (PARTITION BY r.event_id, r.level ORDER BY r.first_at, r.first_user)
    ), straddled AS (
        SELECT DISTINCT ch.event_id
          FROM invite_api.invite_changes ch
          JOIN chain r ON r.event_id = ch.event_id AND r.level = 0
           AND ROW(r.first_at, r.first_user) <= ROW(ch.first_at, ch.first_user)
           AND (r.next_at IS NULL OR ROW(r.next_at, r.next_user) > ROW(ch.first_at, ch.first_user))
         WHERE r.next_at IS NOT NULL AND ROW(ch.last_at, ch.last_user) >= ROW(r.next_at, r.next_user)
    )
    SELECT coalesce(t.event_id, c.event_id, p.event_id),
           'count ' || coalesce(c.invites, 0) || ' + pending ' || coalesce(p.delta, 0)
           || ' <> ' || coalesce(t.invites, 0)
      FROM truth t
      FULL JOIN invite_api.invite_counts c USING (event_id)
      FULL JOIN pending p USING (event_id)
     WHERE coalesce(c.invites, 0) + coalesce(p.delta, 0) <> coalesce(t.invites, 0)
    UNION ALL
    SELECT c.event_id, 'level ' || l || ' has no runs'
      FROM invite_api.invite_counts c, generate_series(0, c.height) l
     WHERE NOT EXISTS (SELECT FROM invite_api.invite_runs r WHERE r.event_id = c.event_id AND r.level = l)
    UNION ALL
    SELECT r.event_id, 'level ' || r.level || ' above the height ' || c.height
      FROM invite_api.invite_runs r JOIN invite_api.invite_counts c USING (event_id)
     WHERE r.level > c.height
    UNION ALL
    SELECT r.event_id, 'runs without a count'
      FROM invite_api.invite_runs r
     WHERE NOT EXISTS (SELECT FROM invite_api.invite_counts c WHERE c.event_id = r.event_id)
    UNION ALL
    SELECT r.event_id, 'level ' || r.level || ' starts at ' || r.first_at || ', ' || r.first_user
      FROM chain r, invite_api.first_run_key() k
     WHERE r.n = 1 AND ROW(r.first_at, r.first_user) <> ROW(k.first_at, k.first_user)
    UNION ALL
    SELECT r.event_id, 'level ' || r.level || ' run at ' || r.first_at || ' links to '
           || coalesce(r.next_at::text, 'no next') || ' but the next run is '
           || coalesce(r.following::text, 'none')
      FROM chain r
     WHERE CASE WHEN r.next_at IS NULL THEN r.following IS NOT NULL
                ELSE r.following IS NULL OR ROW(r.next_at, r.next_user) <> r.following END
    UNION ALL
    SELECT r.event_id, 'run at ' || r.first_at || ', ' || r.first_user || ' holds ' || r.invites
           || ' but has ' || h.held || ' less pending ' || h.pending
      FROM chain r
      CROSS JOIN LATERAL (
            SELECT (SELECT count(*) FROM ONLY invite_api.event_invites i
                     WHERE i.event_id = r.event_id
                       AND ROW(i.invited_at, i.user_id) >= ROW(r.first_at, r.first_user)
                       AND (r.next_at IS NULL
                            OR ROW(i.invited_at, i.user_id) < ROW(r.next_at, r.next_user))) AS held,
                   coalesce((SELECT sum(ch.delta) FROM invite_api.invite_changes ch
                              WHERE ch.event_id = r.event_id
                                AND ROW(ch.first_at, ch.first_user) >= ROW(r.first_at, r.first_user)
                                AND (r.next_at IS NULL
                                     OR ROW(ch.first_at, ch.first_user) < ROW(r.next_at, r.next_user))),
                            0) AS pending) h
     WHERE r.level = 0 AND r.invites <> h.held - h.pending
       AND r.event_id NOT IN (SELECT s.event_id FROM straddled s)
    UNION ALL
    SELECT r.event_id, 'level ' || r.level || ' run at ' || r.first_at || ' starts at no run below'
      FROM invite_api.invite_runs r
     WHERE r.level > 0
       AND NOT EXISTS (SELECT FROM invite_api.invite_runs b
                        WHERE b.event_id = r.event_id AND b.level = r.level - 1
                          AND b.first_at = r.first_at AND b.first_user = r.first_user)
    UNION ALL
    SELECT r.event_id, 'level ' || r.level || ' run at ' || r.first_at || ' holds ' || r.invites
           || ' but its runs below hold ' || coalesce(b.invites, 0)
      FROM invite_api.invite_runs r
      CROSS JOIN LATERAL (
            SELECT sum(b.invites) AS invites FROM invite_api.invite_runs b
             WHERE b.event_id = r.event_id AND b.level = r.level - 1
               AND ROW(b.first_at, b.first_user) >= ROW(r.first_at, r.first_user)
               AND (r.next_at IS NULL OR ROW(b.first_at, b.first_user) < ROW(r.next_at, r.next_user))) b
     WHERE r.level > 0 AND r.invites <> coalesce(b.invites, 0)
    UNION ALL
    SELECT c.event_id, 'count ' || c.invites || ' but the top level holds ' || coalesce(t.invites, 0)
      FROM invite_api.invite_counts c
      CROSS JOIN LATERAL (SELECT sum(r.invites) AS invites FROM invite_api.invite_runs r
                           WHERE r.event_id = c.event_id AND r.level = c.height) t
     WHERE c.invites <> coalesce(t.invites, 0)
    UNION ALL
    SELECT ch.event_id, 'pending change of a missing event'
      FROM invite_api.invite_changes ch
     WHERE NOT EXISTS (SELECT FROM invite_api.events e WHERE e.id = ch.event_id)
    UNION ALL
    SELECT NULL, 'positions not trusted: ' || coalesce(s.reason, '')
      FROM invite_api.invite_positions_state s WHERE NOT s.trusted
$$;

-- Runs outside their sizes: runs of invites above twice run_size() or,
-- except an event's first, below a quarter of it; runs of runs with more
-- than twice run_fanout() runs below them or, except the first, fewer than
-- a quarter; a top level wider than twice run_fanout().  These cost speed,
-- not correctness (position_faults() is about what the answers depend on),
-- and hold once the changes are folded.
CREATE OR REPLACE FUNCTION invite_test.run_size_faults() RETURNS TABLE (event_id bigint, fault text)
LANGUAGE sql STABLE AS $$
    WITH runs AS (
        SELECT r.*, row_number() OVER (PARTITION BY r.event_id, r.level ORDER BY r.first_at, r.first_user) AS n,
               (SELECT count(*) FROM invite_api.invite_runs b
                 WHERE r.level > 0 AND b.event_id = r.event_id AND b.level = r.level - 1
                   AND ROW(b.first_at, b.first_user) >= ROW(r.first_at, r.first_user)
                   AND (r.next_at IS NULL OR ROW(b.first_at, b.first_user) < ROW(r.next_at, r.next_user))) AS below
          FROM invite_api.invite_runs r
    )
    SELECT r.event_id, CASE WHEN r.invites > 2 * invite_api.run_size() THEN 'too big' ELSE 'too small' END
                       || ': run at ' || r.first_at || ' of ' || r.invites || ' invites'
      FROM runs r
     WHERE r.level = 0
       AND (r.invites > 2 * invite_api.run_size() OR (r.n > 1 AND r.invites < invite_api.run_size() / 4))
    UNION ALL
    SELECT r.event_id, CASE WHEN r.below > 2 * invite_api.run_fanout() THEN 'too big' ELSE 'too small' END
                       || ': level ' || r.level || ' run at ' || r.first_at || ' of ' || r.below || ' runs'
      FROM runs r
     WHERE r.level > 0
       AND (r.below > 2 * invite_api.run_fanout() OR (r.n > 1 AND r.below < invite_api.run_fanout() / 4))
    UNION ALL
    SELECT c.event_id, 'too big: top level ' || c.height || ' of ' || count(*) || ' runs'
      FROM invite_api.invite_counts c JOIN invite_api.invite_runs r
        ON r.event_id = c.event_id AND r.level = c.height
     GROUP BY c.event_id, c.height HAVING count(*) > 2 * invite_api.run_fanout()
$$;

-- Pages that differ from the ground truth read in the same snapshot: the
-- count, and every field of every result (none when all is well).
CREATE OR REPLACE FUNCTION invite_test.page_faults(p_event bigint, p_limit int, p_offsets int[], p_token text)
RETURNS TABLE ("offset" int, fault text)
LANGUAGE sql STABLE AS $$
    SELECT o, 'got ' || left(got::text, 300) || ' want ' || left(want::text, 300)
      FROM unnest(p_offsets) AS o,
           LATERAL (SELECT invite_api.event_invites_page(p_event, p_limit, o, p_token) AS page) p,
           LATERAL (SELECT jsonb_build_object('count', p.page -> 'count', 'results', p.page -> 'results') AS got) g,
           LATERAL (SELECT jsonb_build_object(
                        'count', (SELECT count(*) FROM invite_api.event_invites i WHERE i.event_id = p_event),
                        'results', coalesce(jsonb_agg(jsonb_build_object(
                                        'id', u.id, 'username', u.username, 'real_name', u.real_name,
                                        'ext_id', u.ext_id, 'avatar', u.avatar)
                                    ORDER BY t.invited_at, t.user_id), '[]')) AS want
                      FROM (SELECT i.user_id, i.invited_at FROM invite_api.event_invites i
                             WHERE i.event_id = p_event ORDER BY i.invited_at, i.user_id
                             LIMIT p_limit OFFSET o) t
                      JOIN invite_api.users u ON u.id = t.user_id) w
     WHERE got <> want
$$;

-- For a load generator: an error, which it counts, when a page is wrong.
CREATE OR REPLACE FUNCTION invite_test.check_page(p_event bigint, p_limit int, p_offset int, p_token text)
RETURNS void
LANGUAGE plpgsql STABLE AS $$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT * FROM invite_test.page_faults(p_event, p_limit, ARRAY[p_offset], p_token) LOOP
        RAISE EXCEPTION 'wrong page of event % at offset %', p_event, p_offset
            USING DETAIL = f.fault;
    END LOOP;
END;
$$;

-- For a load generator: an error, which it counts, when a condition fails.
CREATE OR REPLACE FUNCTION invite_test.require(p_ok boolean, p_what text)
RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF p_ok IS NOT TRUE THEN
        RAISE EXCEPTION 'requirement failed: %', p_what;
    END IF;
END;
$$;

-- Per event managed by p_manager: how many pages (offsets 0, step, 2 step,
-- ... up to one page past the end) and an md5 of all of them, as returned.
-- Equal digests in two databases: the same answers.
CREATE OR REPLACE FUNCTION invite_test.page_digests(p_manager bigint, p_token text, p_limit int, p_step int)
RETURNS TABLE (event_id bigint, pages bigint, digest text)
LANGUAGE sql STABLE AS $$
    SELECT e.id, count(*), md5(string_agg(invite_api.event_invites_page(e.id, p_limit, o, p_token)::text,
                                          E'\n' ORDER BY o))
      FROM invite_api.events e
      JOIN invite_api.event_managers m ON m.event_id = e.id AND m.user_id = p_manager
      CROSS JOIN LATERAL generate_series(0,
               (SELECT count(*) FROM invite_api.event_invites i WHERE i.event_id = e.id)::int + p_limit,
               p_step) AS o
     GROUP BY e.id
     ORDER BY e.id
$$;

-- The rows of the four tables of the contract: count and md5, in key order.
CREATE OR REPLACE FUNCTION invite_test.table_digests() RETURNS TABLE (name text, rows bigint, digest text)
LANGUAGE sql STABLE AS $$
    SELECT 'users', count(*), md5(string_agg(t::text, E'\n' ORDER BY t.id)) FROM invite_api.users t
    UNION ALL
    SELECT 'events', count(*), md5(string_agg(t::text, E'\n' ORDER BY t.id)) FROM invite_api.events t
    UNION ALL
    SELECT 'event_managers', count(*), md5(string_agg(t::text, E'\n' ORDER BY t.event_id, t.user_id))
      FROM invite_api.event_managers t
    UNION ALL
    SELECT 'event_invites', count(*), md5(string_agg(t::text, E'\n' ORDER BY t.event_id, t.user_id))
      FROM invite_api.event_invites t
$$;

-- This backend's resident memory (kB, from /proc: all of it, and the
-- anonymous part, which leaves out shared buffers) and the bytes held by
-- its memory contexts.  Reading /proc takes a superuser.
CREATE OR REPLACE FUNCTION invite_test.backend_memory(OUT pid int, OUT vm_rss_kb bigint,
                                                      OUT rss_anon_kb bigint, OUT context_bytes bigint)
LANGUAGE sql VOLATILE AS $$
    SELECT pg_backend_pid(),
           (regexp_match(s, 'VmRSS:\s+(\d+)'))[1]::bigint,
           (regexp_match(s, 'RssAnon:\s+(\d+)'))[1]::bigint,
           (SELECT sum(total_bytes)::bigint FROM pg_backend_memory_contexts)
      FROM pg_read_file('/proc/' || pg_backend_pid() || '/status') AS s
$$;

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
--   page_truth(event, limit, offset)  the whole page the contract asks for,
--                                     from ORDER BY/OFFSET and the settings
--   exact_page_faults(event, limit, offsets, token)
--                                     pages that differ from page_truth() in
--                                     any field (count, next, previous,
--                                     results)
--   page_outcomes(event, limit, offsets, token)
--                                     per offset: 'right', 'wrong: ...' or
--                                     'error SQLSTATE: message'
--   check_pages(event, limit, offsets, token)
--                                     one line: how many of those pages are
--                                     right, wrong or errors, and the first
--                                     that is not right
--   probe_offsets(event, limit)       offsets where wrong positions show:
--                                     around 256 (below it a page skips in
--                                     the index), run-sized steps, the
--                                     middle, the last page, past the end
--   bookkeeping_rows()                rows in the extension's tables other
--                                     than the four of the contract
--   page_digests(manager, token, limit, step)
--                                     one digest of many pages per event
--   table_digests()                   rows and a digest of each contract table
--   table_sums()                      rows and an order-free sum of row hashes of
--                                     each contract table (for tables too big
--                                     for table_digests()' one string)
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
            -- (Each bound an index condition: with "next IS NULL OR key <
            -- next" the count of each run would read to the end of the
            -- event.)
            SELECT CASE WHEN r.next_at IS NULL
                        THEN (SELECT count(*) FROM ONLY invite_api.event_invites i
                               WHERE i.event_id = r.event_id
                                 AND ROW(i.invited_at, i.user_id) >= ROW(r.first_at, r.first_user))
                        ELSE (SELECT count(*) FROM ONLY invite_api.event_invites i
                               WHERE i.event_id = r.event_id
                                 AND ROW(i.invited_at, i.user_id) >= ROW(r.first_at, r.first_user)
                                 AND ROW(i.invited_at, i.user_id) < ROW(r.next_at, r.next_user))
                   END AS held,
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

-- The whole page the contract (section 1) asks for, computed from the
-- tables alone in the caller's snapshot: count(*), DRF's next and previous
-- with the limit actually used (NULL: invite_api.default_limit; lowered to
-- invite_api.max_limit) and invite_api.base_url without its trailing
-- slashes, and the results of ORDER BY invited_at, user_id LIMIT OFFSET
-- joined to users, each column as to_jsonb() gives it.  Knows nothing of how
-- the extension finds a page.  p_count, when given, is the event's count(*)
-- in the same snapshot (to count once for many pages).  PL/pgSQL, so that
-- its plan is kept across calls.
CREATE OR REPLACE FUNCTION invite_test.page_truth(p_event bigint, p_limit int, p_offset int,
                                                  p_count bigint DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT jsonb_build_object(
               'count', a.n,
               'next', CASE WHEN a.off + a.lim >= a.n THEN NULL
                            ELSE a.link || a.lim || '&offset=' || (a.off + a.lim) END,
               'previous', CASE WHEN a.off <= 0 THEN NULL
                                WHEN a.off - a.lim <= 0 THEN a.link || a.lim
                                ELSE a.link || a.lim || '&offset=' || (a.off - a.lim) END,
               'results', (SELECT coalesce(jsonb_agg(jsonb_build_object(
                                      'id', u.id, 'username', u.username, 'real_name', u.real_name,
                                      'ext_id', u.ext_id, 'avatar', u.avatar)
                                  ORDER BY t.invited_at, t.user_id), '[]')
                             FROM (SELECT i.user_id, i.invited_at FROM invite_api.event_invites i
                                    WHERE i.event_id = p_event ORDER BY i.invited_at, i.user_id
                                    LIMIT a.lim OFFSET a.off) t
                             JOIN invite_api.users u ON u.id = t.user_id))
      FROM (SELECT least(coalesce(p_limit, current_setting('invite_api.default_limit')::int),
                         current_setting('invite_api.max_limit')::int) AS lim,
                   coalesce(p_offset, 0)::bigint AS off,
                   rtrim(coalesce(current_setting('invite_api.base_url', true), ''), '/')
                       || '/api/v2/event/' || p_event || '/invite/?limit=' AS link,
                   coalesce(p_count, (SELECT count(*) FROM invite_api.event_invites i
                                       WHERE i.event_id = p_event)) AS n) a);
END;
$$;

-- Pages that differ from page_truth() in any field, read in the same
-- snapshot (none when all is well).
CREATE OR REPLACE FUNCTION invite_test.exact_page_faults(p_event bigint, p_limit int, p_offsets int[], p_token text)
RETURNS TABLE ("offset" int, fault text)
LANGUAGE sql STABLE AS $$
    SELECT o, 'got ' || left(p.got::text, 300) || ' want ' || left(p.want::text, 300)
      FROM unnest(p_offsets) AS o,
           LATERAL (SELECT invite_api.event_invites_page(p_event, p_limit, o, p_token) AS got,
                           invite_test.page_truth(p_event, p_limit, o) AS want) p
     WHERE p.got IS DISTINCT FROM p.want
$$;

-- What each page call gives: 'right' (equal to page_truth() in every field),
-- 'wrong: got ... want ...', or 'error SQLSTATE: message' when the call
-- fails.  STABLE: every page and its truth are read in the snapshot of the
-- calling statement.  For tests where a refusal is an acceptable answer and
-- a wrong page never is.
CREATE OR REPLACE FUNCTION invite_test.page_outcomes(p_event bigint, p_limit int, p_offsets int[], p_token text)
RETURNS TABLE ("offset" int, outcome text)
LANGUAGE plpgsql STABLE AS $$
DECLARE
    n bigint := (SELECT count(*) FROM invite_api.event_invites i WHERE i.event_id = p_event);
    got jsonb;
    want jsonb;
BEGIN
    FOREACH "offset" IN ARRAY p_offsets LOOP
        BEGIN
            got := invite_api.event_invites_page(p_event, p_limit, "offset", p_token);
            want := invite_test.page_truth(p_event, p_limit, "offset", n);
            outcome := CASE WHEN got IS NOT DISTINCT FROM want THEN 'right'
                            ELSE 'wrong: got ' || left(got::text, 300) || ' want ' || left(want::text, 300) END;
        EXCEPTION WHEN OTHERS THEN
            outcome := 'error ' || SQLSTATE || ': ' || SQLERRM;
        END;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- page_outcomes() in one line, for expected outputs that stay short: "N
-- pages right", or how many are wrong or errors and the first of them.
CREATE OR REPLACE FUNCTION invite_test.check_pages(p_event bigint, p_limit int, p_offsets int[], p_token text)
RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN count(*) FILTER (WHERE o.outcome <> 'right') = 0
                THEN count(*) || ' pages right'
                ELSE count(*) || ' pages: ' || count(*) FILTER (WHERE o.outcome = 'right') || ' right, '
                     || count(*) FILTER (WHERE o.outcome LIKE 'wrong%') || ' wrong, '
                     || count(*) FILTER (WHERE o.outcome LIKE 'error%') || ' errors; first at offset '
                     || (array_agg(o."offset" || ': ' || left(o.outcome, 400) ORDER BY o."offset")
                             FILTER (WHERE o.outcome <> 'right'))[1]
           END
      FROM invite_test.page_outcomes(p_event, p_limit, p_offsets, p_token) o
$$;

-- Offsets to probe an event of n invites (its count(*)) with pages of
-- p_limit: the first pages, each side of 256 (below it the extension skips
-- in the index and never reads its positions, so a wrong position stays
-- invisible there), steps of 97 and of 1,000 with their neighbours, the
-- middle, the last pages, the end and past it.  Sorted, distinct, none
-- negative.
CREATE OR REPLACE FUNCTION invite_test.probe_offsets(p_event bigint, p_limit int)
RETURNS int[]
LANGUAGE sql STABLE AS $$
    SELECT array_agg(DISTINCT o ORDER BY o)
      FROM (SELECT count(*)::int AS n FROM invite_api.event_invites i WHERE i.event_id = p_event) c,
           LATERAL (SELECT unnest(ARRAY[0, 1, p_limit - 1, p_limit, p_limit + 1,
                                        254, 255, 256, 257, 258, 511, 512, 513,
                                        c.n / 2 - 1, c.n / 2, c.n / 2 + 1,
                                        c.n - p_limit - 1, c.n - p_limit, c.n - p_limit + 1,
                                        c.n - 2, c.n - 1, c.n, c.n + 1])
                    UNION ALL SELECT generate_series(0, c.n, 97)
                    UNION ALL SELECT k + d FROM generate_series(1000, c.n, 1000) k,
                                                unnest(ARRAY[-1, 0, 1]) d) t(o)
     WHERE o >= 0
$$;

-- How many rows the extension keeps beside the contract's tables: the rows
-- of every table that belongs to the extension, except users, events,
-- event_managers and event_invites.  Says nothing of what they hold; a
-- test compares it before and after, or between two ways to the same
-- invites.
CREATE OR REPLACE FUNCTION invite_test.bookkeeping_rows() RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
DECLARE
    rel regclass;
    n bigint;
    total bigint := 0;
BEGIN
    FOR rel IN
        SELECT c.oid::regclass
          FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
         WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e'
           AND d.refobjid = (SELECT e.oid FROM pg_extension e WHERE e.extname = 'invite_api')
           AND c.relkind IN ('r', 'p')
           AND c.relname NOT IN ('users', 'events', 'event_managers', 'event_invites')
         ORDER BY c.oid
    LOOP
        EXECUTE format('SELECT count(*) FROM %s', rel) INTO n;
        total := total + n;
    END LOOP;
    RETURN total;
END;
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

-- The rows of the four tables of the contract: count, and the sum of a
-- 60-bit hash of each row's text.  Equal sums: the same rows, whatever
-- their order; no string grows with the table (table_digests() builds one,
-- which passes PostgreSQL's 1 GB limit at some 15 million invites).
CREATE OR REPLACE FUNCTION invite_test.table_sums() RETURNS TABLE (name text, rows bigint, hash_sum numeric)
LANGUAGE sql STABLE AS $$
    SELECT 'users', count(*), coalesce(sum(('x' || left(md5(t::text), 15))::bit(60)::bigint), 0)
      FROM invite_api.users t
    UNION ALL
    SELECT 'events', count(*), coalesce(sum(('x' || left(md5(t::text), 15))::bit(60)::bigint), 0)
      FROM invite_api.events t
    UNION ALL
    SELECT 'event_managers', count(*), coalesce(sum(('x' || left(md5(t::text), 15))::bit(60)::bigint), 0)
      FROM invite_api.event_managers t
    UNION ALL
    SELECT 'event_invites', count(*), coalesce(sum(('x' || left(md5(t::text), 15))::bit(60)::bigint), 0)
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

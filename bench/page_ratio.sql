-- How a page's cost grows with its offset, timed inside the server (no
-- client round trip): for 150 random offsets of one event and its last page,
-- the median of 60 calls at limit 20, each next to the median of 20 calls of
-- the first page made just after it, so that both see the same machine.
-- Prints the last page's ratio to the first, the first page's median (ms),
-- the median, 95th percentile and maximum of the pages' medians (ms), and
-- the median and 95th percentile of page / first page.
--
--   psql -X -v event=4 -v token="$TOKEN" -f bench/page_ratio.sql
--
-- The token must be a manager's of the event.  The offsets come from a
-- fixed seed, so runs compare (run it once to warm up, then again).
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.page_ms(p_event bigint, p_offset int, p_calls int, p_token text)
RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    started timestamptz;
    page jsonb;
    ms numeric[] := '{}';
BEGIN
    FOR i IN 1 .. p_calls LOOP
        started := clock_timestamp();
        page := invite_api.event_invites_page(p_event, 20, p_offset, p_token);
        ms := ms || extract(epoch FROM clock_timestamp() - started) * 1000;
    END LOOP;
    RETURN (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) FROM unnest(ms) x);
END
$$;

SELECT pg_temp.page_ms(:event, 0, 300, :'token') IS NOT NULL AS warm;
SELECT setseed(0.42);
CREATE TEMP TABLE page_offsets AS
SELECT (random() * (c.invites - 21))::int AS o
  FROM invite_api.invite_counts c, generate_series(1, 150)
 WHERE c.event_id = :event
UNION ALL
SELECT (c.invites - 20)::int FROM invite_api.invite_counts c WHERE c.event_id = :event;
CREATE TEMP TABLE page_times AS
SELECT o, pg_temp.page_ms(:event, o, 60, :'token') AS t, pg_temp.page_ms(:event, 0, 20, :'token') AS f
  FROM page_offsets;

SELECT round((SELECT t / f FROM page_times ORDER BY o DESC LIMIT 1), 2) AS last_ratio,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY f)::numeric, 4) AS first_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY t)::numeric, 4) AS page_ms,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY t)::numeric, 4) AS page_p95_ms,
       round(max(t), 4) AS page_max_ms,
       round(percentile_cont(0.5) WITHIN GROUP (ORDER BY t / f)::numeric, 2) AS ratio,
       round(percentile_cont(0.95) WITHIN GROUP (ORDER BY t / f)::numeric, 2) AS ratio_p95
  FROM page_times;

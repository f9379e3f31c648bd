-- invite_api 1.0 -> 1.1: a count and a positional index kept beside the
-- invites, so that any page of any event costs about one page.
\echo Use "ALTER EXTENSION invite_api UPDATE TO '1.1'" to load this file. \quit

-- The number of invites of each event that has had any.  Every statement
-- that changes an event's invites updates its row, which also makes writers
-- of one event take turns over the runs below.
CREATE TABLE @extschema@.invite_counts (
    event_id    bigint PRIMARY KEY REFERENCES @extschema@.events ON DELETE CASCADE,
    invites     bigint NOT NULL
);

-- Each event's invites, in page order (invited_at, user_id), cut into runs of
-- consecutive invites: a run holds the keys from its first key up to the
-- next run's.  The first run of an event starts at (-infinity, min bigint),
-- before any key.  Summing run sizes finds the run that holds offset k; the
-- page is then read from that run's first key, skipping fewer than a run.
CREATE TABLE @extschema@.invite_runs (
    event_id    bigint NOT NULL REFERENCES @extschema@.events ON DELETE CASCADE,
    first_at    timestamptz NOT NULL,
    first_user  bigint NOT NULL,
    invites     integer NOT NULL CHECK (invites >= 0),
    PRIMARY KEY (event_id, first_at, first_user)
);

-- Both are derived from event_invites: pg_dump leaves them out, and the
-- triggers below rebuild them as a restore loads the invites.

-- Runs are split above twice this size and merged below a quarter of it.
CREATE FUNCTION @extschema@.invite_run_size() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT 1000';

-- One change to event_invites: +1 for a key that appeared, -1 for one gone.
CREATE TYPE @extschema@.invite_change AS (
    event_id    bigint,
    invited_at  timestamptz,
    user_id     bigint,
    delta       integer
);

-- Cut the run starting at (p_first_at, p_first_user) into runs of
-- invite_run_size() invites, the last one taking the remainder (so every
-- run holds from one to two run sizes, or all of a smaller event).  Its size
-- is exact (the caller holds the event's row in invite_counts), so its keys
-- are the next "invites" keys from its start.
CREATE FUNCTION @extschema@.split_invite_run(p_event_id bigint,
                                             p_first_at timestamptz,
                                             p_first_user bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run_invites integer;
BEGIN
    SELECT r.invites INTO STRICT run_invites
      FROM @extschema@.invite_runs r
     WHERE r.event_id = p_event_id AND r.first_at = p_first_at
       AND r.first_user = p_first_user;

    WITH keys AS (
        SELECT i.invited_at, i.user_id,
               least((row_number() OVER (ORDER BY i.invited_at, i.user_id) - 1)
                         / @extschema@.invite_run_size(),
                     greatest(run_invites / @extschema@.invite_run_size(), 1) - 1) AS chunk
          FROM (SELECT i.invited_at, i.user_id
                  FROM @extschema@.event_invites i
                 WHERE i.event_id = p_event_id
                   AND (i.invited_at, i.user_id) >= (p_first_at, p_first_user)
                 ORDER BY i.invited_at, i.user_id
                 LIMIT run_invites) i
    ), chunks AS (
        SELECT DISTINCT ON (k.chunk) k.chunk, k.invited_at, k.user_id,
               count(*) OVER (PARTITION BY k.chunk) AS invites
          FROM keys k
         ORDER BY k.chunk, k.invited_at, k.user_id
    ), first_chunk AS (
        UPDATE @extschema@.invite_runs r SET invites = c.invites
          FROM chunks c
         WHERE c.chunk = 0 AND r.event_id = p_event_id
           AND r.first_at = p_first_at AND r.first_user = p_first_user
    )
    INSERT INTO @extschema@.invite_runs (event_id, first_at, first_user, invites)
    SELECT p_event_id, c.invited_at, c.user_id, c.invites
      FROM chunks c
     WHERE c.chunk > 0;
END;
$$;

-- Fold a small run into the run before it (whose range then covers its
-- keys), splitting that one if it grows too big.
CREATE FUNCTION @extschema@.merge_invite_run(p_event_id bigint,
                                             p_first_at timestamptz,
                                             p_first_user bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    removed integer;
    prev record;
BEGIN
    DELETE FROM @extschema@.invite_runs r
     WHERE r.event_id = p_event_id AND r.first_at = p_first_at
       AND r.first_user = p_first_user
    RETURNING r.invites INTO STRICT removed;

    UPDATE @extschema@.invite_runs r SET invites = r.invites + removed
     WHERE (r.event_id, r.first_at, r.first_user) =
           (SELECT p.event_id, p.first_at, p.first_user
              FROM @extschema@.invite_runs p
             WHERE p.event_id = p_event_id
               AND (p.first_at, p.first_user) < (p_first_at, p_first_user)
             ORDER BY p.first_at DESC, p.first_user DESC
             LIMIT 1)
    RETURNING r.first_at, r.first_user, r.invites INTO STRICT prev;

    IF prev.invites > 2 * @extschema@.invite_run_size() THEN
        PERFORM @extschema@.split_invite_run(p_event_id, prev.first_at, prev.first_user);
    END IF;
END;
$$;

-- Apply a statement's changes to the counts and runs of the events that
-- still exist (a deleted event's rows go with it by cascade).
CREATE FUNCTION @extschema@.apply_invite_changes(changes @extschema@.invite_change[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    run record;
    lowest bigint;
BEGIN
    -- Count, and take the events' rows in event order (no deadlock between
    -- two statements that touch the same events).  Under READ COMMITTED each
    -- statement below then sees what the previous writer committed.  (No
    -- CHECK on the count: it would test the delta proposed for insertion.)
    WITH counted AS (
        INSERT INTO @extschema@.invite_counts AS c (event_id, invites)
        SELECT ch.event_id, sum(ch.delta)
          FROM unnest(changes) ch
         WHERE EXISTS (SELECT FROM @extschema@.events e WHERE e.id = ch.event_id)
         GROUP BY ch.event_id
         ORDER BY ch.event_id
        ON CONFLICT (event_id) DO UPDATE SET invites = c.invites + excluded.invites
        RETURNING c.invites
    )
    SELECT min(invites) INTO lowest FROM counted;
    IF lowest < 0 THEN
        RAISE EXCEPTION 'invite count below zero'
            USING ERRCODE = 'data_corrupted',
                  HINT = 'Run SELECT invite_api.rebuild_invite_positions(); after loading invites with triggers disabled.';
    END IF;

    INSERT INTO @extschema@.invite_runs (event_id, first_at, first_user, invites)
    SELECT DISTINCT ch.event_id, '-infinity'::timestamptz, -9223372036854775808, 0
      FROM unnest(changes) ch
     WHERE ch.delta > 0
       AND EXISTS (SELECT FROM @extschema@.events e WHERE e.id = ch.event_id)
    ON CONFLICT DO NOTHING;

    -- Each change goes to the run holding its key: the last run starting at
    -- or before it.
    FOR run IN
        WITH per_run AS (
            SELECT r.event_id, r.first_at, r.first_user, sum(ch.delta) AS delta
              FROM unnest(changes) ch
              CROSS JOIN LATERAL (
                    SELECT r.event_id, r.first_at, r.first_user
                      FROM @extschema@.invite_runs r
                     WHERE r.event_id = ch.event_id
                       AND (r.first_at, r.first_user) <= (ch.invited_at, ch.user_id)
                     ORDER BY r.first_at DESC, r.first_user DESC
                     LIMIT 1) r
             WHERE EXISTS (SELECT FROM @extschema@.events e WHERE e.id = ch.event_id)
             GROUP BY r.event_id, r.first_at, r.first_user
            HAVING sum(ch.delta) <> 0
        )
        UPDATE @extschema@.invite_runs r SET invites = r.invites + p.delta
          FROM per_run p
         WHERE r.event_id = p.event_id AND r.first_at = p.first_at
           AND r.first_user = p.first_user
        RETURNING r.event_id, r.first_at, r.first_user, r.invites
    LOOP
        IF run.invites > 2 * @extschema@.invite_run_size() THEN
            PERFORM @extschema@.split_invite_run(run.event_id, run.first_at, run.first_user);
        ELSIF run.invites < @extschema@.invite_run_size() / 4
              AND run.first_at <> '-infinity' THEN
            PERFORM @extschema@.merge_invite_run(run.event_id, run.first_at, run.first_user);
        END IF;
    END LOOP;
END;
$$;

-- Recompute every count and run from event_invites.  For a restore that
-- loaded the invites with triggers disabled; writers wait meanwhile.
CREATE FUNCTION @extschema@.rebuild_invite_positions()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ev record;
BEGIN
    LOCK TABLE @extschema@.event_invites IN SHARE MODE;
    DELETE FROM @extschema@.invite_runs;
    DELETE FROM @extschema@.invite_counts;
    FOR ev IN
        INSERT INTO @extschema@.invite_counts (event_id, invites)
        SELECT i.event_id, count(*) FROM @extschema@.event_invites i
         GROUP BY i.event_id ORDER BY i.event_id
        RETURNING event_id, invites
    LOOP
        INSERT INTO @extschema@.invite_runs (event_id, first_at, first_user, invites)
        VALUES (ev.event_id, '-infinity', -9223372036854775808, ev.invites);
        PERFORM @extschema@.split_invite_run(ev.event_id, '-infinity', -9223372036854775808);
    END LOOP;
END;
$$;

-- The triggers, one function per kind of statement; SECURITY DEFINER so that
-- a role that may write event_invites needs no right on the bookkeeping.
CREATE FUNCTION @extschema@.event_invites_inserted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.apply_invite_changes(ARRAY(
        SELECT (n.event_id, n.invited_at, n.user_id, 1)::@extschema@.invite_change
          FROM new_invites n));
    RETURN NULL;
END;
$$;

CREATE FUNCTION @extschema@.event_invites_deleted() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.apply_invite_changes(ARRAY(
        SELECT (o.event_id, o.invited_at, o.user_id, -1)::@extschema@.invite_change
          FROM old_invites o));
    RETURN NULL;
END;
$$;

CREATE FUNCTION @extschema@.event_invites_updated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- Rows whose key did not change cancel out within their run.
    PERFORM @extschema@.apply_invite_changes(ARRAY(
        SELECT (o.event_id, o.invited_at, o.user_id, -1)::@extschema@.invite_change
          FROM old_invites o
        UNION ALL
        SELECT (n.event_id, n.invited_at, n.user_id, 1)::@extschema@.invite_change
          FROM new_invites n));
    RETURN NULL;
END;
$$;

CREATE FUNCTION @extschema@.event_invites_truncated() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    TRUNCATE @extschema@.invite_runs, @extschema@.invite_counts;
    RETURN NULL;
END;
$$;

CREATE TRIGGER event_invites_inserted AFTER INSERT ON @extschema@.event_invites
    REFERENCING NEW TABLE AS new_invites
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.event_invites_inserted();
CREATE TRIGGER event_invites_deleted AFTER DELETE ON @extschema@.event_invites
    REFERENCING OLD TABLE AS old_invites
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.event_invites_deleted();
CREATE TRIGGER event_invites_updated AFTER UPDATE ON @extschema@.event_invites
    REFERENCING OLD TABLE AS old_invites NEW TABLE AS new_invites
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.event_invites_updated();
CREATE TRIGGER event_invites_truncated AFTER TRUNCATE ON @extschema@.event_invites
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.event_invites_truncated();

REVOKE ALL ON FUNCTION
    @extschema@.invite_run_size(),
    @extschema@.split_invite_run(bigint, timestamptz, bigint),
    @extschema@.merge_invite_run(bigint, timestamptz, bigint),
    @extschema@.apply_invite_changes(@extschema@.invite_change[]),
    @extschema@.rebuild_invite_positions(),
    @extschema@.event_invites_inserted(),
    @extschema@.event_invites_deleted(),
    @extschema@.event_invites_updated(),
    @extschema@.event_invites_truncated()
FROM PUBLIC;

-- Count and place what is there already.
SELECT @extschema@.rebuild_invite_positions();

-- The function now reads the count and the runs, with plans made once: not
-- JIT-compiled, and without a Memoize node before the users' primary key
-- (whose cache, sized for the generic plan's guess of the page size, was
-- zeroed on every call).  See src/invite_query.c.
CREATE OR REPLACE FUNCTION @extschema@.event_invites_page(
    event_id    bigint,
    "limit"     integer DEFAULT NULL,
    "offset"    integer DEFAULT NULL,
    token       text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'event_invites_page_1_1'
LANGUAGE C STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
SET enable_memoize = off;

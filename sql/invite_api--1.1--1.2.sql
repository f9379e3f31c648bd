-- invite_api 1.1 -> 1.2: bookkeeping that every kind of write keeps exact, at
-- any size and every isolation level; inviting and uninviting users (POST and
-- DELETE of the invite resource) by the event's managers.
\echo Use "ALTER EXTENSION invite_api UPDATE TO '1.2'" to load this file. \quit

--
-- 1.1 kept a count and runs that each statement's triggers updated in place.
-- That went wrong when one statement fired several triggers (a later trigger
-- split runs using rows the earlier ones had not counted yet), made
-- REPEATABLE READ writers of one event fail, built arrays of every changed
-- row, and missed writes made with session_replication_role = replica.  It
-- goes; 1.2's bookkeeping is rebuilt from the invites at the end.
--
DROP TRIGGER event_invites_inserted ON @extschema@.event_invites;
DROP TRIGGER event_invites_deleted ON @extschema@.event_invites;
DROP TRIGGER event_invites_updated ON @extschema@.event_invites;
DROP TRIGGER event_invites_truncated ON @extschema@.event_invites;
DROP FUNCTION @extschema@.event_invites_inserted();
DROP FUNCTION @extschema@.event_invites_deleted();
DROP FUNCTION @extschema@.event_invites_updated();
DROP FUNCTION @extschema@.event_invites_truncated();
DROP FUNCTION @extschema@.rebuild_invite_positions();
DROP FUNCTION @extschema@.apply_invite_changes(@extschema@.invite_change[]);
DROP FUNCTION @extschema@.merge_invite_run(bigint, timestamptz, bigint);
DROP FUNCTION @extschema@.split_invite_run(bigint, timestamptz, bigint);
DROP FUNCTION @extschema@.invite_run_size();
DROP TYPE @extschema@.invite_change;
DROP TABLE @extschema@.invite_runs;
DROP TABLE @extschema@.invite_counts;

--
-- How it works
--
-- A page at offset k must find the k-th invite of an event in page order
-- (invited_at, user_id) without reading the k before it.  Each event's
-- invites are cut into runs of consecutive keys (level 0), and runs are
-- grouped into runs of runs (levels 1, 2, ...), each level a partition of
-- the key space whose boundaries are also boundaries of the level below.
-- Every run knows how many invites it holds, so a page descends from the
-- top level, summing at most a few dozen run sizes per level, then skips
-- less than half a run in the invites' own index.
--
-- Writers never update those counts.  Each statement's triggers only append
-- what changed to invite_changes: inserts, which no other transaction
-- touches, so concurrent writers of one event never conflict, at any
-- isolation level.  A READ COMMITTED transaction folds the changes of the
-- events it wrote into the runs when it commits (a deferred trigger; a few
-- keys' changes, and the uninvite's removals, wait for the event's next
-- fold or until 32 are pending, see src/invite_changes.c): then
-- every statement of the transaction is over and every change is logged,
-- so splitting and merging runs may read the invites themselves.  Folds of
-- one event take turns on its invite_counts row, taken in event order.  A
-- REPEATABLE READ or SERIALIZABLE transaction cannot fold without
-- conflicting with folds committed after its snapshot: it logs each changed
-- key instead, and the next READ COMMITTED fold of the event (or
-- invite_api.fold_invite_changes()) folds them.  A page adds the changes it
-- can see to the runs it reads.
--
-- A logical-replication subscriber's apply worker fires row triggers, not
-- statement triggers, and as a replica: there a row trigger logs each
-- changed row, and as foreign keys cascade nothing there, a trigger drops a
-- deleted event's bookkeeping.  Which trigger fires for origins, replicas
-- or both is in bookkeeping_triggers().
--
-- Writes that bypass the triggers (the triggers disabled) are detected by an
-- event trigger; the page function then refuses (XX001) until
-- invite_api.rebuild_invite_positions() recounts everything.
--

-- The size a run of invites is cut to: split above twice this, merged below
-- a quarter of it.  The setting is the library's (invite_api.run_size).
CREATE FUNCTION @extschema@.run_size() RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce(CAST(NULLIF(pg_catalog.current_setting('invite_api.run_size', true), '')
                         AS pg_catalog.int4), 512)
$$;

-- How many runs a run of runs holds: split above twice this, merged below a
-- quarter of it.
CREATE FUNCTION @extschema@.run_fanout() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT 32 $$;

-- The key every event's first run starts at, at every level: lower than any
-- key an invite can have.
CREATE FUNCTION @extschema@.first_run_key(OUT first_at timestamptz, OUT first_user bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT '-infinity'::timestamptz, '-9223372036854775808'::bigint $$;

-- Each event's invites as of the last fold, and how many levels of runs of
-- runs its runs have (0: the runs of invites alone).
CREATE TABLE @extschema@.invite_counts (
    event_id    bigint PRIMARY KEY REFERENCES @extschema@.events ON DELETE CASCADE,
    invites     bigint NOT NULL CHECK (invites >= 0),
    height      smallint NOT NULL DEFAULT 0 CHECK (height >= 0)
);

-- The runs: at each level of an event, a run holds the keys from its first
-- key up to the next run's first key (next_at, next_user; NULL for the last
-- run).  Level 0 counts invites, higher levels count the invites of the runs
-- they cover.
CREATE TABLE @extschema@.invite_runs (
    event_id    bigint NOT NULL REFERENCES @extschema@.events ON DELETE CASCADE,
    level       smallint NOT NULL CHECK (level >= 0),
    first_at    timestamptz NOT NULL,
    first_user  bigint NOT NULL,
    next_at     timestamptz,
    next_user   bigint,
    invites     bigint NOT NULL CHECK (invites >= 0),
    PRIMARY KEY (event_id, level, first_at, first_user),
    CHECK ((next_at IS NULL) = (next_user IS NULL))
);

-- Changes not yet folded into the runs: "delta" invites appeared (or, when
-- negative, went) among the keys from (first_at, first_user) to (last_at,
-- last_user), both included.  A READ COMMITTED statement writes one row per
-- run it changed, the first of them asking for the fold at commit; other
-- transactions write one row per key (first = last).
CREATE TABLE @extschema@.invite_changes (
    event_id    bigint NOT NULL REFERENCES @extschema@.events ON DELETE CASCADE,
    first_at    timestamptz NOT NULL,
    first_user  bigint NOT NULL,
    last_at     timestamptz NOT NULL,
    last_user   bigint NOT NULL,
    delta       bigint NOT NULL,
    xact        xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    fold_at_commit boolean NOT NULL DEFAULT false
);
CREATE INDEX invite_changes_event_idx
    ON @extschema@.invite_changes (event_id, first_at, first_user);
CREATE INDEX invite_changes_xact_idx ON @extschema@.invite_changes (xact);
-- A publication FOR ALL TABLES publishes this table too; without a replica
-- identity the publisher could not delete from it, and so not fold.
ALTER TABLE @extschema@.invite_changes REPLICA IDENTITY FULL;

-- Whether the runs can be trusted: false once the triggers that keep them
-- were disabled or dropped, until rebuild_invite_positions().
CREATE TABLE @extschema@.invite_positions_state (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    trusted     boolean NOT NULL,
    reason      text
);
INSERT INTO @extschema@.invite_positions_state (trusted) VALUES (true);

-- All four are derived from event_invites: pg_dump leaves them out, and the
-- triggers rebuild them as a restore loads the invites.

-- One run's change, for folding.
CREATE TYPE @extschema@.run_delta AS (
    event_id    bigint,
    first_at    timestamptz,
    first_user  bigint,
    delta       bigint
);

--
-- Logging: one C function for every statement that changes event_invites,
-- reading the statement's transition tables (src/invite_changes.c).
--
CREATE FUNCTION @extschema@.log_invite_changes() RETURNS trigger
AS 'MODULE_PATHNAME', 'log_invite_changes'
LANGUAGE C SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE TRIGGER event_invites_inserted AFTER INSERT ON @extschema@.event_invites
    REFERENCING NEW TABLE AS new_invites
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.log_invite_changes();
CREATE TRIGGER event_invites_deleted AFTER DELETE ON @extschema@.event_invites
    REFERENCING OLD TABLE AS old_invites
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.log_invite_changes();
CREATE TRIGGER event_invites_updated AFTER UPDATE ON @extschema@.event_invites
    REFERENCING OLD TABLE AS old_invites NEW TABLE AS new_invites
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.log_invite_changes();

-- A logical-replication subscriber's apply worker fires row triggers only,
-- not statement triggers, and runs as a replica, as do sessions with
-- session_replication_role = replica: there one row trigger logs each
-- changed row (src/invite_changes.c).  The statement triggers above fire for
-- origins, this one for replicas (see bookkeeping_triggers()).
CREATE FUNCTION @extschema@.log_invite_change_row() RETURNS trigger
AS 'MODULE_PATHNAME', 'log_invite_change_row'
LANGUAGE C SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER event_invites_replicated
    AFTER INSERT OR UPDATE OR DELETE ON @extschema@.event_invites
    FOR EACH ROW EXECUTE FUNCTION @extschema@.log_invite_change_row();

-- As a replica, foreign keys cascade nothing: the publisher's cascade
-- arrives as deletes of the event's invites after the delete of the event.
-- At commit, once they are all in, the bookkeeping of an event that is still
-- gone goes.
CREATE FUNCTION @extschema@.event_deleted_as_replica() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM @extschema@.events e WHERE e.id = OLD.id) THEN
        DELETE FROM @extschema@.invite_changes ch WHERE ch.event_id = OLD.id;
        DELETE FROM @extschema@.invite_runs r WHERE r.event_id = OLD.id;
        DELETE FROM @extschema@.invite_counts c WHERE c.event_id = OLD.id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER events_deleted_replicated
    AFTER DELETE ON @extschema@.events
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION @extschema@.event_deleted_as_replica();

-- A subscriber copies its tables in parallel at first: invites copied
-- before their events are logged but cannot be folded then (fold_changes()
-- folds events it can see).  They are folded when the event arrives.
CREATE FUNCTION @extschema@.event_inserted_as_replica() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
SET max_parallel_workers_per_gather = 0
AS $$
BEGIN
    IF pg_trigger_depth() = 1
       AND EXISTS (SELECT FROM @extschema@.invite_changes ch WHERE ch.event_id = NEW.id) THEN
        PERFORM @extschema@.fold_changes(ARRAY[NEW.id]);
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER events_inserted_replicated
    AFTER INSERT ON @extschema@.events
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (pg_catalog.current_setting('transaction_isolation') = 'read committed')
    EXECUTE FUNCTION @extschema@.event_inserted_as_replica();

-- TRUNCATE takes everything with it, as the latest snapshot sees it, not
-- the transaction's (src/invite_changes.c).
CREATE FUNCTION @extschema@.event_invites_truncated() RETURNS trigger
AS 'MODULE_PATHNAME', 'event_invites_truncated'
LANGUAGE C SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
CREATE TRIGGER event_invites_truncated AFTER TRUNCATE ON @extschema@.event_invites
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.event_invites_truncated();

--
-- Ranges of keys.
--

-- What the event holds from key (first) up to key (next), next excluded; a
-- NULL next means to the end.  Each in two statements, so that both bounds
-- are index conditions: one statement with "next IS NULL OR key < next"
-- would keep the end a filter and read to the end of the event.

-- Invites.
CREATE FUNCTION @extschema@.invites_in_range(p_event bigint,
                                             p_first_at timestamptz, p_first_user bigint,
                                             p_next_at timestamptz, p_next_user bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_next_at IS NULL THEN
        RETURN (SELECT count(*) FROM ONLY @extschema@.event_invites i
                 WHERE i.event_id = p_event
                   AND (i.invited_at, i.user_id) >= (p_first_at, p_first_user));
    END IF;
    RETURN (SELECT count(*) FROM ONLY @extschema@.event_invites i
             WHERE i.event_id = p_event
               AND (i.invited_at, i.user_id) >= (p_first_at, p_first_user)
               AND (i.invited_at, i.user_id) < (p_next_at, p_next_user));
END;
$$;

-- Runs of a level.
CREATE FUNCTION @extschema@.runs_in_range(p_event bigint, p_level smallint,
                                          p_first_at timestamptz, p_first_user bigint,
                                          p_next_at timestamptz, p_next_user bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_next_at IS NULL THEN
        RETURN (SELECT count(*) FROM @extschema@.invite_runs r
                 WHERE r.event_id = p_event AND r.level = p_level
                   AND (r.first_at, r.first_user) >= (p_first_at, p_first_user));
    END IF;
    RETURN (SELECT count(*) FROM @extschema@.invite_runs r
             WHERE r.event_id = p_event AND r.level = p_level
               AND (r.first_at, r.first_user) >= (p_first_at, p_first_user)
               AND (r.first_at, r.first_user) < (p_next_at, p_next_user));
END;
$$;

-- Pending changes, placed by their first key.
CREATE FUNCTION @extschema@.pending_in_range(p_event bigint,
                                             p_first_at timestamptz, p_first_user bigint,
                                             p_next_at timestamptz, p_next_user bigint)
RETURNS bigint
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_next_at IS NULL THEN
        RETURN coalesce((SELECT sum(ch.delta) FROM @extschema@.invite_changes ch
                          WHERE ch.event_id = p_event
                            AND (ch.first_at, ch.first_user) >= (p_first_at, p_first_user)), 0);
    END IF;
    RETURN coalesce((SELECT sum(ch.delta) FROM @extschema@.invite_changes ch
                      WHERE ch.event_id = p_event
                        AND (ch.first_at, ch.first_user) >= (p_first_at, p_first_user)
                        AND (ch.first_at, ch.first_user) < (p_next_at, p_next_user)), 0);
END;
$$;

-- The keys of the invites at positions p_step, 2 * p_step, ... up to
-- p_pieces * p_step of the range (position 0 is its first invite): where a
-- run cut into pieces of p_step invites starts each piece after the first.
CREATE FUNCTION @extschema@.piece_starts(p_event bigint,
                                         p_first_at timestamptz, p_first_user bigint,
                                         p_next_at timestamptz, p_next_user bigint,
                                         p_step integer, p_pieces bigint)
RETURNS TABLE (piece bigint, first_at timestamptz, first_user bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_next_at IS NULL THEN
        RETURN QUERY
        SELECT k.pos / p_step, k.invited_at, k.user_id
          FROM (SELECT i.invited_at, i.user_id, row_number() OVER w - 1 AS pos
                  FROM ONLY @extschema@.event_invites i
                 WHERE i.event_id = p_event
                   AND (i.invited_at, i.user_id) >= (p_first_at, p_first_user)
                WINDOW w AS (ORDER BY i.invited_at, i.user_id)) k
         WHERE k.pos > 0 AND k.pos % p_step = 0 AND k.pos / p_step <= p_pieces;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT k.pos / p_step, k.invited_at, k.user_id
      FROM (SELECT i.invited_at, i.user_id, row_number() OVER w - 1 AS pos
              FROM ONLY @extschema@.event_invites i
             WHERE i.event_id = p_event
               AND (i.invited_at, i.user_id) >= (p_first_at, p_first_user)
               AND (i.invited_at, i.user_id) < (p_next_at, p_next_user)
            WINDOW w AS (ORDER BY i.invited_at, i.user_id)) k
     WHERE k.pos > 0 AND k.pos % p_step = 0 AND k.pos / p_step <= p_pieces;
END;
$$;

--
-- Folding.
--

-- Add each run's change to the run and to the runs of runs above it, and to
-- the events' counts.
CREATE FUNCTION @extschema@.add_run_deltas(p_deltas @extschema@.run_delta[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    top smallint;
BEGIN
    SELECT max(c.height) INTO top
      FROM @extschema@.invite_counts c
     WHERE c.event_id IN (SELECT d.event_id FROM unnest(p_deltas) d);
    FOR lvl IN 0 .. coalesce(top, 0) LOOP
        UPDATE @extschema@.invite_runs r SET invites = r.invites + x.delta
          FROM (SELECT n.event_id, n.first_at, n.first_user, sum(d.delta) AS delta
                  FROM unnest(p_deltas) d
                  CROSS JOIN LATERAL (
                        SELECT n.event_id, n.first_at, n.first_user
                          FROM @extschema@.invite_runs n
                         WHERE n.event_id = d.event_id AND n.level = lvl
                           AND (n.first_at, n.first_user) <= (d.first_at, d.first_user)
                         ORDER BY n.first_at DESC, n.first_user DESC
                         LIMIT 1) n
                 GROUP BY n.event_id, n.first_at, n.first_user
                HAVING sum(d.delta) <> 0) x
         WHERE r.event_id = x.event_id AND r.level = lvl
           AND r.first_at = x.first_at AND r.first_user = x.first_user;
    END LOOP;
    UPDATE @extschema@.invite_counts c SET invites = c.invites + x.delta
      FROM (SELECT d.event_id, sum(d.delta) AS delta FROM unnest(p_deltas) d
             GROUP BY d.event_id HAVING sum(d.delta) <> 0) x
     WHERE c.event_id = x.event_id;
END;
$$;

-- Remove the given runs of level p_level (all of them with p_force, else
-- those that are small: fewer invites than a quarter of run_size() at level
-- 0, fewer runs below them than a quarter of run_fanout() above), never an
-- event's first run: each one's range and invites go to the last run before
-- it that stays.  One statement for any number of runs, so that a run that
-- takes many is updated once.  Returns the first keys of the runs removed
-- (gone) and of those that took them (not gone).
CREATE FUNCTION @extschema@.merge_runs(p_level smallint, p_runs @extschema@.run_delta[],
                                       p_force boolean)
RETURNS TABLE (gone boolean, event_id bigint, first_at timestamptz, first_user bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_runs IS NULL OR p_runs = '{}' THEN
        RETURN;
    END IF;
    -- (PL/pgSQL keeps the plan of this statement; a SQL function would plan it
    -- on every call.)
    RETURN QUERY
    WITH doomed AS (
        SELECT DISTINCT r.event_id, r.first_at, r.first_user
          FROM unnest(p_runs) d
          JOIN @extschema@.invite_runs r
            ON r.event_id = d.event_id AND r.level = p_level
           AND r.first_at = d.first_at AND r.first_user = d.first_user
          CROSS JOIN @extschema@.first_run_key() k
         WHERE (r.first_at, r.first_user) <> (k.first_at, k.first_user)
           AND (p_force
                OR (p_level = 0 AND r.invites < @extschema@.run_size() / 4)
                OR (p_level > 0
                    AND @extschema@.runs_in_range(r.event_id, (p_level - 1)::smallint,
                                                  r.first_at, r.first_user, r.next_at, r.next_user)
                        < @extschema@.run_fanout() / 4))
    ), bounds AS (
        SELECT d.event_id,
               (array_agg(d.first_at ORDER BY d.first_at, d.first_user))[1] AS min_at,
               (array_agg(d.first_user ORDER BY d.first_at, d.first_user))[1] AS min_user,
               (array_agg(d.first_at ORDER BY d.first_at DESC, d.first_user DESC))[1] AS max_at,
               (array_agg(d.first_user ORDER BY d.first_at DESC, d.first_user DESC))[1] AS max_user
          FROM doomed d GROUP BY d.event_id
    ), span AS (
        -- Each event's runs from the one before its first doomed run to its
        -- last doomed run; a doomed run goes to the last run before it that
        -- stays, so groups start at each run that stays.
        SELECT r.event_id, r.first_at, r.first_user, r.next_at, r.next_user, r.invites,
               x.event_id IS NOT NULL AS doomed
          FROM bounds b
          CROSS JOIN LATERAL (
                SELECT p.first_at, p.first_user FROM @extschema@.invite_runs p
                 WHERE p.event_id = b.event_id AND p.level = p_level
                   AND (p.first_at, p.first_user) < (b.min_at, b.min_user)
                 ORDER BY p.first_at DESC, p.first_user DESC
                 LIMIT 1) k
          JOIN @extschema@.invite_runs r
            ON r.event_id = b.event_id AND r.level = p_level
           AND (r.first_at, r.first_user) >= (k.first_at, k.first_user)
           AND (r.first_at, r.first_user) <= (b.max_at, b.max_user)
          LEFT JOIN doomed x
            ON x.event_id = r.event_id AND x.first_at = r.first_at AND x.first_user = r.first_user
    ), grouped AS (
        SELECT s.*, count(*) FILTER (WHERE NOT s.doomed)
                        OVER (PARTITION BY s.event_id ORDER BY s.first_at, s.first_user) AS grp
          FROM span s
    ), taken AS (
        -- The run that stays takes the doomed runs' invites, and ends where
        -- the last of them ended.
        SELECT g.event_id,
               (array_agg(g.first_at) FILTER (WHERE NOT g.doomed))[1] AS keep_at,
               (array_agg(g.first_user) FILTER (WHERE NOT g.doomed))[1] AS keep_user,
               sum(g.invites) FILTER (WHERE g.doomed) AS added,
               (array_agg(g.next_at ORDER BY g.first_at DESC, g.first_user DESC))[1] AS next_at,
               (array_agg(g.next_user ORDER BY g.first_at DESC, g.first_user DESC))[1] AS next_user
          FROM grouped g
         GROUP BY g.event_id, g.grp
        HAVING bool_or(g.doomed)
    ), removed AS (
        DELETE FROM @extschema@.invite_runs r
         USING doomed d
         WHERE r.event_id = d.event_id AND r.level = p_level
           AND r.first_at = d.first_at AND r.first_user = d.first_user
        RETURNING r.event_id, r.first_at, r.first_user
    ), grown AS (
        UPDATE @extschema@.invite_runs r
           SET invites = r.invites + t.added, next_at = t.next_at, next_user = t.next_user
          FROM taken t
         WHERE r.event_id = t.event_id AND r.level = p_level
           AND r.first_at = t.keep_at AND r.first_user = t.keep_user
        RETURNING r.event_id, r.first_at, r.first_user
    )
    SELECT true, g.event_id, g.first_at, g.first_user FROM removed g
    UNION ALL
    SELECT false, k.event_id, k.first_at, k.first_user FROM grown k;
END;
$$;

-- Cut run N of level p_level >= 1 into runs of run_fanout() runs of the level
-- below (the last taking the rest).  Returns the first keys of the new runs.
CREATE FUNCTION @extschema@.split_run_of_runs(p_event bigint, p_level smallint,
                                              p_first_at timestamptz, p_first_user bigint)
RETURNS TABLE (first_at timestamptz, first_user bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fanout integer := @extschema@.run_fanout();
    parent record;
BEGIN
    SELECT r.next_at, r.next_user INTO STRICT parent
      FROM @extschema@.invite_runs r
     WHERE r.event_id = p_event AND r.level = p_level
       AND r.first_at = p_first_at AND r.first_user = p_first_user;

    RETURN QUERY
    WITH children AS (
        SELECT c.first_at, c.first_user, c.invites,
               row_number() OVER w - 1 AS pos, count(*) OVER () AS n
          FROM @extschema@.invite_runs c
         WHERE c.event_id = p_event AND c.level = p_level - 1
           AND (c.first_at, c.first_user) >= (p_first_at, p_first_user)
           AND (parent.next_at IS NULL
                OR (c.first_at, c.first_user) < (parent.next_at, parent.next_user))
        WINDOW w AS (ORDER BY c.first_at, c.first_user)
    ), groups AS (
        SELECT least(c.pos / fanout, greatest(c.n / fanout, 1) - 1) AS grp,
               c.first_at, c.first_user, c.invites, c.pos
          FROM children c
    ), pieces AS (
        SELECT g.grp, (array_agg(g.first_at ORDER BY g.pos))[1] AS first_at,
               (array_agg(g.first_user ORDER BY g.pos))[1] AS first_user,
               sum(g.invites) AS invites
          FROM groups g GROUP BY g.grp
    ), linked AS (
        SELECT p.*, lead(p.first_at) OVER w AS next_at, lead(p.first_user) OVER w AS next_user
          FROM pieces p WINDOW w AS (ORDER BY p.grp)
    ), head AS (
        UPDATE @extschema@.invite_runs r
           SET invites = l.invites,
               next_at = coalesce(l.next_at, parent.next_at),
               next_user = CASE WHEN l.next_at IS NULL THEN parent.next_user ELSE l.next_user END
          FROM linked l
         WHERE l.grp = 0 AND r.event_id = p_event AND r.level = p_level
           AND r.first_at = p_first_at AND r.first_user = p_first_user
    ), tail AS (
        INSERT INTO @extschema@.invite_runs AS r
               (event_id, level, first_at, first_user, next_at, next_user, invites)
        SELECT p_event, p_level, l.first_at, l.first_user,
               coalesce(l.next_at, parent.next_at),
               CASE WHEN l.next_at IS NULL THEN parent.next_user ELSE l.next_user END,
               l.invites
          FROM linked l WHERE l.grp > 0
        RETURNING r.first_at, r.first_user
    )
    SELECT t.first_at, t.first_user FROM tail t;
END;
$$;

-- Cut every run of invites of the given runs that holds more than twice
-- run_size() into runs of run_size() (the last taking the rest), reading
-- their keys from event_invites.  The new runs' counts are the invites they
-- hold less the changes not yet folded among them, all in one snapshot, so
-- a change logged by a transaction that commits meanwhile is counted once.
-- A run with a pending change of a whole run (another READ COMMITTED
-- transaction's, not folded when it committed) is left for a later fold.
-- Returns the first keys of the new runs.
CREATE FUNCTION @extschema@.split_runs(p_runs @extschema@.run_delta[])
RETURNS TABLE (event_id bigint, first_at timestamptz, first_user bigint)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_runs IS NULL OR p_runs = '{}' THEN
        RETURN;
    END IF;
    RETURN QUERY
    WITH big AS (
        SELECT r.event_id, r.first_at, r.first_user, r.next_at, r.next_user
          FROM (SELECT DISTINCT d.event_id, d.first_at, d.first_user FROM unnest(p_runs) d) d
          JOIN @extschema@.invite_runs r
            ON r.event_id = d.event_id AND r.level = 0
           AND r.first_at = d.first_at AND r.first_user = d.first_user
         WHERE r.invites > 2 * @extschema@.run_size()
           AND NOT EXISTS (
                SELECT FROM @extschema@.invite_changes ch
                 WHERE ch.event_id = r.event_id
                   AND (ch.first_at, ch.first_user) <> (ch.last_at, ch.last_user)
                   AND (ch.last_at, ch.last_user) >= (r.first_at, r.first_user)
                   AND (r.next_at IS NULL
                        OR (ch.first_at, ch.first_user) < (r.next_at, r.next_user)))
    ), sized AS (
        -- How many invites each holds now, and so how many runs it becomes:
        -- runs of run_size() but the last, which takes the rest.
        SELECT b.*, n.live,
               greatest(n.live / @extschema@.run_size(), 1) - 1 AS last_piece
          FROM big b
          CROSS JOIN LATERAL (
                SELECT @extschema@.invites_in_range(b.event_id, b.first_at, b.first_user,
                                                    b.next_at, b.next_user) AS live) n
    ), starts AS (
        -- Piece 0 keeps the run's own first key; piece p > 0 starts at the
        -- invite at position p * run_size() of the run, read in order.
        SELECT s.event_id, s.first_at AS run_at, s.first_user AS run_user, 0::bigint AS piece,
               s.first_at, s.first_user
          FROM sized s
        UNION ALL
        SELECT s.event_id, s.first_at, s.first_user, k.piece, k.first_at, k.first_user
          FROM sized s
          CROSS JOIN LATERAL @extschema@.piece_starts(s.event_id, s.first_at, s.first_user,
                                                      s.next_at, s.next_user,
                                                      @extschema@.run_size(), s.last_piece) k
    ), linked AS (
        SELECT p.*, s.next_at AS run_next_at, s.next_user AS run_next_user,
               CASE WHEN p.piece < s.last_piece THEN @extschema@.run_size()
                    ELSE s.live - s.last_piece * @extschema@.run_size() END AS live,
               lead(p.first_at) OVER w AS next_at, lead(p.first_user) OVER w AS next_user
          FROM starts p
          JOIN sized s ON s.event_id = p.event_id AND s.first_at = p.run_at AND s.first_user = p.run_user
        WINDOW w AS (PARTITION BY p.event_id, p.run_at, p.run_user ORDER BY p.piece)
    ), counted AS (
        SELECT l.event_id, l.run_at, l.run_user, l.piece, l.first_at, l.first_user,
               coalesce(l.next_at, l.run_next_at) AS next_at,
               CASE WHEN l.next_at IS NULL THEN l.run_next_user ELSE l.next_user END AS next_user,
               l.live - @extschema@.pending_in_range(
                   l.event_id, l.first_at, l.first_user, coalesce(l.next_at, l.run_next_at),
                   CASE WHEN l.next_at IS NULL THEN l.run_next_user ELSE l.next_user END) AS invites
          FROM linked l
    ), head AS (
        UPDATE @extschema@.invite_runs r
           SET invites = c.invites, next_at = c.next_at, next_user = c.next_user
          FROM counted c
         WHERE c.piece = 0 AND r.event_id = c.event_id AND r.level = 0
           AND r.first_at = c.run_at AND r.first_user = c.run_user
    ), tail AS (
        INSERT INTO @extschema@.invite_runs AS r
               (event_id, level, first_at, first_user, next_at, next_user, invites)
        SELECT c.event_id, 0, c.first_at, c.first_user, c.next_at, c.next_user, c.invites
          FROM counted c WHERE c.piece > 0
        RETURNING r.event_id, r.first_at, r.first_user
    )
    SELECT t.event_id, t.first_at, t.first_user FROM tail t;
END;
$$;

-- Keep the given runs of invites within their sizes: merge the small ones
-- (but an event's first) into the run before, split the big ones; then, level
-- by level, drop the boundaries the level below lost and do the same for the
-- runs of runs above whatever changed; then the height.  Sizes only make
-- pages fast; counts and boundaries are exact whatever they are.
CREATE FUNCTION @extschema@.balance_runs(p_runs @extschema@.run_delta[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fanout integer := @extschema@.run_fanout();
    first_key record := @extschema@.first_run_key();
    below @extschema@.run_delta[];      -- runs of the level below that changed
    lost @extschema@.run_delta[];       -- first keys the level below lost
    here @extschema@.run_delta[];       -- runs of this level to check
    split @extschema@.run_delta[];
    gone @extschema@.run_delta[];
    grown @extschema@.run_delta[];
    lvl smallint := 0;
    top smallint;
    run record;
    ev record;
BEGIN
    SELECT array_agg(ROW(m.event_id, m.first_at, m.first_user, 0)::@extschema@.run_delta) FILTER (WHERE m.gone),
           array_agg(ROW(m.event_id, m.first_at, m.first_user, 0)::@extschema@.run_delta) FILTER (WHERE NOT m.gone)
      INTO lost, grown
      FROM @extschema@.merge_runs(0::smallint, p_runs, false) m;
    below := p_runs || coalesce(grown, '{}');
    SELECT array_agg(ROW(s.event_id, s.first_at, s.first_user, 0)::@extschema@.run_delta)
      INTO split FROM @extschema@.split_runs(below) s;
    below := below || coalesce(split, '{}');
    lost := coalesce(lost, '{}');

    SELECT max(c.height) INTO top FROM @extschema@.invite_counts c
     WHERE c.event_id IN (SELECT d.event_id FROM unnest(p_runs) d);
    WHILE lvl < coalesce(top, 0) LOOP
        lvl := lvl + 1;
        -- A boundary the level below lost goes here too.
        SELECT array_agg(ROW(m.event_id, m.first_at, m.first_user, 0)::@extschema@.run_delta) FILTER (WHERE m.gone),
               array_agg(ROW(m.event_id, m.first_at, m.first_user, 0)::@extschema@.run_delta) FILTER (WHERE NOT m.gone)
          INTO gone, grown
          FROM @extschema@.merge_runs(lvl, lost, true) m;
        lost := coalesce(gone, '{}');
        -- The runs above what changed below, and those that took runs.
        here := coalesce(grown, '{}') || ARRAY(
            SELECT DISTINCT ROW(p.event_id, p.first_at, p.first_user, 0)::@extschema@.run_delta
              FROM unnest(below) d
              CROSS JOIN LATERAL (
                    SELECT p.event_id, p.first_at, p.first_user
                      FROM @extschema@.invite_runs p
                     WHERE p.event_id = d.event_id AND p.level = lvl
                       AND (p.first_at, p.first_user) <= (d.first_at, d.first_user)
                     ORDER BY p.first_at DESC, p.first_user DESC
                     LIMIT 1) p);
        split := '{}';
        FOR run IN
            SELECT DISTINCT r.event_id, r.first_at, r.first_user
              FROM unnest(here) d
              JOIN @extschema@.invite_runs r
                ON r.event_id = d.event_id AND r.level = lvl
               AND r.first_at = d.first_at AND r.first_user = d.first_user
             WHERE @extschema@.runs_in_range(r.event_id, (lvl - 1)::smallint, r.first_at, r.first_user,
                                             r.next_at, r.next_user)
                   > 2 * fanout
        LOOP
            split := split || ARRAY(
                SELECT ROW(run.event_id, s.first_at, s.first_user, 0)::@extschema@.run_delta
                  FROM @extschema@.split_run_of_runs(run.event_id, lvl, run.first_at, run.first_user) s);
        END LOOP;
        SELECT array_agg(ROW(m.event_id, m.first_at, m.first_user, 0)::@extschema@.run_delta) FILTER (WHERE m.gone),
               array_agg(ROW(m.event_id, m.first_at, m.first_user, 0)::@extschema@.run_delta) FILTER (WHERE NOT m.gone)
          INTO gone, grown
          FROM @extschema@.merge_runs(lvl, here, false) m;
        lost := lost || coalesce(gone, '{}');
        below := here || split || coalesce(grown, '{}');
    END LOOP;

    -- The height: a level on top while the top has too many runs, one less
    -- while it has one.
    FOR ev IN
        SELECT DISTINCT d.event_id FROM unnest(p_runs) d ORDER BY d.event_id
    LOOP
        LOOP
            SELECT c.height, (SELECT count(*) FROM @extschema@.invite_runs r
                               WHERE r.event_id = c.event_id AND r.level = c.height) AS runs
              INTO run FROM @extschema@.invite_counts c WHERE c.event_id = ev.event_id;
            EXIT WHEN NOT FOUND;
            IF run.runs > 2 * fanout THEN
                INSERT INTO @extschema@.invite_runs
                       (event_id, level, first_at, first_user, next_at, next_user, invites)
                SELECT ev.event_id, run.height + 1, first_key.first_at, first_key.first_user,
                       NULL, NULL, sum(r.invites)
                  FROM @extschema@.invite_runs r
                 WHERE r.event_id = ev.event_id AND r.level = run.height;
                UPDATE @extschema@.invite_counts c SET height = c.height + 1
                 WHERE c.event_id = ev.event_id;
                PERFORM @extschema@.split_run_of_runs(ev.event_id, (run.height + 1)::smallint,
                                                      first_key.first_at, first_key.first_user);
            ELSIF run.height > 0 AND run.runs = 1 THEN
                DELETE FROM @extschema@.invite_runs r
                 WHERE r.event_id = ev.event_id AND r.level = run.height;
                UPDATE @extschema@.invite_counts c SET height = c.height - 1
                 WHERE c.event_id = ev.event_id;
            ELSE
                EXIT;
            END IF;
        END LOOP;
    END LOOP;
END;
$$;

-- Fold the changes of these events that this transaction can see into
-- their runs and counts.  Run in READ COMMITTED with no statement of the
-- transaction still under way (see fold_at_commit).
-- While the runs cannot be trusted (writes bypassed the triggers), folding
-- into them would make nothing right and could drive a run below zero, so
-- failing the write: the changes wait, and rebuild_invite_positions(),
-- which waits for every writer, recounts everything and drops them.  The
-- state is read once the events' counts are locked: a bypass committed
-- while this fold waited for them is seen.
CREATE FUNCTION @extschema@.fold_changes(p_events bigint[])
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    first_key record := @extschema@.first_run_key();
    straddled bigint[];
    deltas @extschema@.run_delta[];
    recounted @extschema@.run_delta[];
BEGIN
    -- The events' counts, in event order: folds of one event take turns,
    -- and two folds never wait for each other in a cycle.
    -- A count row a concurrent fold deletes (its event emptied) while this
    -- one waits for it is gone once the wait ends: insert and lock again.
    LOOP
        INSERT INTO @extschema@.invite_counts AS c (event_id, invites, height)
        SELECT e.id, 0, 0 FROM @extschema@.events e
         WHERE e.id = ANY (p_events) ORDER BY e.id
        ON CONFLICT (event_id) DO NOTHING;
        PERFORM FROM @extschema@.invite_counts c
          WHERE c.event_id = ANY (p_events) ORDER BY c.event_id FOR UPDATE;
        EXIT WHEN NOT EXISTS (
            SELECT FROM @extschema@.events e
             WHERE e.id = ANY (p_events)
               AND NOT EXISTS (SELECT FROM @extschema@.invite_counts c
                                WHERE c.event_id = e.id));
    END LOOP;
    -- Trusted or not as of now, once no fold of these events can run (a
    -- bypass may have committed while this one waited).
    IF NOT (SELECT s.trusted FROM @extschema@.invite_positions_state s) THEN
        RETURN;
    END IF;
    -- An event this transaction cannot see (a subscriber copying tables in
    -- parallel has not copied it yet) keeps its changes pending.
    p_events := ARRAY(SELECT c.event_id FROM @extschema@.invite_counts c
                       WHERE c.event_id = ANY (p_events) ORDER BY c.event_id);
    INSERT INTO @extschema@.invite_runs AS r
           (event_id, level, first_at, first_user, next_at, next_user, invites)
    SELECT c.event_id, 0, first_key.first_at, first_key.first_user, NULL, NULL, 0
      FROM @extschema@.invite_counts c
     WHERE c.event_id = ANY (p_events) AND c.height = 0
    ON CONFLICT DO NOTHING;

    -- Changes that fall in one run (the usual case) are added to it.  A
    -- change written against runs that have been split since may span
    -- several: the runs it touches are counted again instead.
    SELECT array_agg(DISTINCT ch.event_id) INTO straddled
      FROM @extschema@.invite_changes ch
      CROSS JOIN LATERAL (
            SELECT r.next_at, r.next_user FROM @extschema@.invite_runs r
             WHERE r.event_id = ch.event_id AND r.level = 0
               AND (r.first_at, r.first_user) <= (ch.first_at, ch.first_user)
             ORDER BY r.first_at DESC, r.first_user DESC
             LIMIT 1) r
     WHERE ch.event_id = ANY (p_events)
       AND r.next_at IS NOT NULL
       AND (ch.last_at, ch.last_user) >= (r.next_at, r.next_user);
    straddled := coalesce(straddled, '{}');

    WITH gone AS (
        DELETE FROM @extschema@.invite_changes ch
         WHERE ch.event_id = ANY (p_events) AND ch.event_id <> ALL (straddled)
        RETURNING ch.event_id, ch.first_at, ch.first_user, ch.delta
    )
    SELECT array_agg(ROW(g.event_id, g.first_at, g.first_user, g.delta)::@extschema@.run_delta)
      INTO deltas
      FROM (SELECT g.event_id, r.first_at, r.first_user, sum(g.delta) AS delta
              FROM gone g
              CROSS JOIN LATERAL (
                    SELECT r.first_at, r.first_user FROM @extschema@.invite_runs r
                     WHERE r.event_id = g.event_id AND r.level = 0
                       AND (r.first_at, r.first_user) <= (g.first_at, g.first_user)
                     ORDER BY r.first_at DESC, r.first_user DESC
                     LIMIT 1) r
             GROUP BY g.event_id, r.first_at, r.first_user) g;

    -- Counting again: the runs a change touches hold what event_invites has
    -- in their range, read in the snapshot that deletes the changes, so that
    -- the invites of a transaction committing meanwhile, and its changes,
    -- are both left out.
    IF straddled <> '{}' THEN
        WITH gone AS (
            DELETE FROM @extschema@.invite_changes ch
             WHERE ch.event_id = ANY (straddled)
            RETURNING ch.event_id, ch.first_at, ch.first_user, ch.last_at, ch.last_user
        ), touched AS (
            -- Each change's runs read from the index, a range per change
            -- (OFFSET 0 keeps the subquery from being flattened into a join,
            -- for which the planner compared every change with every run of
            -- the level: minutes for a statement that changed every run of a
            -- big event).
            SELECT DISTINCT r.event_id, r.first_at, r.first_user, r.next_at, r.next_user, r.invites
              FROM gone g
              CROSS JOIN LATERAL (
                    SELECT s.first_at, s.first_user FROM @extschema@.invite_runs s
                     WHERE s.event_id = g.event_id AND s.level = 0
                       AND (s.first_at, s.first_user) <= (g.first_at, g.first_user)
                     ORDER BY s.first_at DESC, s.first_user DESC
                     LIMIT 1) s
              CROSS JOIN LATERAL (
                    SELECT r.event_id, r.first_at, r.first_user, r.next_at, r.next_user, r.invites
                      FROM @extschema@.invite_runs r
                     WHERE r.event_id = g.event_id AND r.level = 0
                       AND (r.first_at, r.first_user) >= (s.first_at, s.first_user)
                       AND (r.first_at, r.first_user) <= (g.last_at, g.last_user)
                    OFFSET 0) r
        )
        SELECT array_agg(ROW(t.event_id, t.first_at, t.first_user,
                             @extschema@.invites_in_range(t.event_id, t.first_at, t.first_user,
                                                          t.next_at, t.next_user)
                             - t.invites)::@extschema@.run_delta)
          INTO recounted
          FROM touched t;
        deltas := coalesce(deltas, '{}') || coalesce(recounted, '{}');
    END IF;

    IF deltas IS NULL OR deltas = '{}' THEN
        RETURN;
    END IF;
    PERFORM @extschema@.add_run_deltas(deltas);
    -- An event left without invites needs no bookkeeping (a page of an event
    -- without counts reads as empty); a later write starts it again.
    WITH emptied AS (
        DELETE FROM @extschema@.invite_counts c
         WHERE c.event_id = ANY (p_events) AND c.invites = 0
        RETURNING c.event_id
    )
    DELETE FROM @extschema@.invite_runs r USING emptied e WHERE r.event_id = e.event_id;
    -- Runs now outside their sizes (but an event's first, which may be
    -- small), if any.
    deltas := ARRAY(
        SELECT d FROM unnest(deltas) d
          JOIN @extschema@.invite_runs r
            ON r.event_id = d.event_id AND r.level = 0
           AND r.first_at = d.first_at AND r.first_user = d.first_user
          CROSS JOIN @extschema@.first_run_key() k
         WHERE r.invites > 2 * @extschema@.run_size()
            OR (r.invites < @extschema@.run_size() / 4
                AND (r.first_at, r.first_user) <> (k.first_at, k.first_user)));
    IF deltas <> '{}' THEN
        PERFORM @extschema@.balance_runs(deltas);
    END IF;
END;
$$;

-- At commit (a deferred trigger on invite_changes, for READ COMMITTED
-- transactions): fold the changes of the events this transaction wrote.
-- The folds run without JIT (here and in fold_invite_changes(),
-- rebuild_invite_positions(), event_inserted_as_replica()): after a big
-- write the planner's estimates ask for it, and compiling costs more time
-- than these plans take, and loads LLVM into the backend (some 60 MB).  And
-- without parallel workers (but the rebuild, which reads every invite): a
-- generic plan of invites_in_range() guesses a third of a big event and
-- starts two workers to count a run of 512 invites, 11.5 ms where the
-- count alone takes 0.1 (EXPLAIN ANALYZE of the prepared count, with and
-- without workers); a statement that changed every run of an event of 3
-- million invites took 3 minutes to fold.
-- Fired inside another trigger (SET CONSTRAINTS ... IMMEDIATE makes it fire
-- at the end of the trigger's own insert), a statement may still be under
-- way: the changes then wait for a later fold, and the transaction takes
-- their events' turns.
CREATE FUNCTION @extschema@.fold_at_commit() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
SET max_parallel_workers_per_gather = 0
AS $$
DECLARE
    events bigint[];
BEGIN
    events := ARRAY(SELECT DISTINCT ch.event_id FROM @extschema@.invite_changes ch
                     WHERE ch.xact = pg_current_xact_id() ORDER BY 1);
    IF pg_trigger_depth() > 1 THEN
        -- Not folded, but the events' turns taken to the end of the
        -- transaction, as a fold at commit holds them: these changes,
        -- logged against runs another fold may split meanwhile, must not
        -- become visible between two statements of a fold.
        PERFORM @extschema@.take_event_turn(e) FROM unnest(events) AS e;
        RETURN NULL;
    END IF;
    IF events <> '{}' THEN
        PERFORM @extschema@.fold_changes(events);
    END IF;
    RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER invite_changes_fold
    AFTER INSERT ON @extschema@.invite_changes
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (NEW.fold_at_commit
          AND pg_catalog.current_setting('transaction_isolation') = 'read committed')
    EXECUTE FUNCTION @extschema@.fold_at_commit();

-- Fold every change not folded yet: what REPEATABLE READ and SERIALIZABLE
-- writers leave when no READ COMMITTED write of their events follows.  Run
-- in READ COMMITTED.
CREATE FUNCTION @extschema@.fold_invite_changes() RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
SET max_parallel_workers_per_gather = 0
SET session_replication_role = origin
AS $$
DECLARE
    changes bigint;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'invite changes can be folded only in a READ COMMITTED transaction'
            USING ERRCODE = 'active_sql_transaction';
    END IF;
    SELECT count(*) INTO changes FROM @extschema@.invite_changes;
    PERFORM @extschema@.fold_changes(ARRAY(
        SELECT DISTINCT ch.event_id FROM @extschema@.invite_changes ch ORDER BY 1));
    RETURN changes;
END;
$$;

--
-- Recounting everything.
--

-- The triggers that keep the bookkeeping and how each must be enabled: the
-- statement triggers for origins (ordinary sessions), the row trigger and
-- the cleanup of deleted events for replicas (a subscriber's apply worker,
-- replica-role sessions), TRUNCATE and the fold for both.
-- rebuild_invite_positions() enables them so; watch_invite_triggers() finds
-- when they are not.
CREATE FUNCTION @extschema@.bookkeeping_triggers(OUT table_name name, OUT trigger_name name,
                                                 OUT enabled "char")
RETURNS SETOF record
LANGUAGE sql IMMUTABLE
AS $$
    VALUES ('event_invites'::name, 'event_invites_inserted'::name, 'O'::"char"),
           ('event_invites', 'event_invites_deleted', 'O'),
           ('event_invites', 'event_invites_updated', 'O'),
           ('event_invites', 'event_invites_replicated', 'R'),
           ('event_invites', 'event_invites_truncated', 'A'),
           ('invite_changes', 'invite_changes_fold', 'A'),
           ('events', 'events_deleted_replicated', 'R'),
           ('events', 'events_inserted_replicated', 'R')
$$;


-- Every count and run computed again from event_invites, the triggers that
-- keep them enabled as bookkeeping_triggers() says, and the runs trusted
-- again.  For a load that
-- ran with triggers disabled; writers wait meanwhile.
CREATE FUNCTION @extschema@.rebuild_invite_positions() RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET jit = off
SET session_replication_role = origin
AS $$
DECLARE
    size integer := @extschema@.run_size();
    fanout integer := @extschema@.run_fanout();
    first_key record := @extschema@.first_run_key();
    lvl smallint := 0;
    trig record;
BEGIN
    -- Under REPEATABLE READ or SERIALIZABLE the transaction's snapshot is
    -- older than the lock: it would recount without what writers (a load
    -- with the triggers disabled) commit while the lock waits, read their
    -- triggers' states as they were, and trust the result.
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'invite positions can be rebuilt only in a READ COMMITTED transaction'
            USING ERRCODE = 'active_sql_transaction',
                  HINT = 'Run it in a transaction of its own, or in one begun with ISOLATION LEVEL READ COMMITTED.';
    END IF;
    LOCK TABLE @extschema@.event_invites IN SHARE MODE;
    -- Only those that need it: ALTER TABLE is refused on a table with
    -- deferred trigger events pending, as invite_changes has after writes
    -- in this transaction.
    FOR trig IN
        SELECT b.table_name, b.trigger_name, b.enabled
          FROM @extschema@.bookkeeping_triggers() b
          LEFT JOIN pg_trigger t
            ON t.tgrelid = pg_catalog.to_regclass('@extschema@.' || b.table_name)
           AND t.tgname = b.trigger_name
         WHERE t.tgenabled IS DISTINCT FROM b.enabled
    LOOP
        EXECUTE format('ALTER TABLE @extschema@.%I ENABLE %s TRIGGER %I', trig.table_name,
                       CASE trig.enabled WHEN 'A' THEN 'ALWAYS' WHEN 'R' THEN 'REPLICA' ELSE '' END,
                       trig.trigger_name);
    END LOOP;

    DELETE FROM @extschema@.invite_changes;
    DELETE FROM @extschema@.invite_runs;
    DELETE FROM @extschema@.invite_counts;

    INSERT INTO @extschema@.invite_counts (event_id, invites, height)
    SELECT i.event_id, count(*), 0 FROM ONLY @extschema@.event_invites i
     GROUP BY i.event_id;

    -- Runs of invites: every event's keys in order, cut every run_size()
    -- (the last run taking the rest); the first starts at first_run_key().
    INSERT INTO @extschema@.invite_runs
           (event_id, level, first_at, first_user, next_at, next_user, invites)
    SELECT p.event_id, 0,
           CASE WHEN p.piece = 0 THEN first_key.first_at ELSE p.first_at END,
           CASE WHEN p.piece = 0 THEN first_key.first_user ELSE p.first_user END,
           lead(p.first_at) OVER w, lead(p.first_user) OVER w, p.invites
      FROM (SELECT k.event_id, k.piece, min(k.invited_at) AS first_at,
                   (array_agg(k.user_id ORDER BY k.pos))[1] AS first_user, count(*) AS invites
              FROM (SELECT i.event_id, i.invited_at, i.user_id,
                           row_number() OVER e - 1 AS pos,
                           least((row_number() OVER e - 1) / size,
                                 greatest(count(*) OVER (PARTITION BY i.event_id) / size, 1) - 1) AS piece
                      FROM ONLY @extschema@.event_invites i
                    WINDOW e AS (PARTITION BY i.event_id ORDER BY i.invited_at, i.user_id)) k
             GROUP BY k.event_id, k.piece) p
    WINDOW w AS (PARTITION BY p.event_id ORDER BY p.piece);

    -- Runs of runs, a level at a time, for events whose top level is too wide.
    LOOP
        INSERT INTO @extschema@.invite_runs
               (event_id, level, first_at, first_user, next_at, next_user, invites)
        SELECT g.event_id, lvl + 1,
               CASE WHEN g.grp = 0 THEN first_key.first_at ELSE g.first_at END,
               CASE WHEN g.grp = 0 THEN first_key.first_user ELSE g.first_user END,
               lead(g.first_at) OVER w, lead(g.first_user) OVER w, g.invites
          FROM (SELECT r.event_id, r.grp, (array_agg(r.first_at ORDER BY r.pos))[1] AS first_at,
                       (array_agg(r.first_user ORDER BY r.pos))[1] AS first_user,
                       sum(r.invites) AS invites
                  FROM (SELECT r.event_id, r.first_at, r.first_user, r.invites,
                               row_number() OVER e - 1 AS pos,
                               least((row_number() OVER e - 1) / fanout,
                                     greatest(count(*) OVER (PARTITION BY r.event_id) / fanout, 1) - 1) AS grp
                          FROM @extschema@.invite_runs r
                          JOIN @extschema@.invite_counts c
                            ON c.event_id = r.event_id AND c.height = lvl
                         WHERE r.level = lvl
                           AND (SELECT count(*) FROM @extschema@.invite_runs t
                                 WHERE t.event_id = r.event_id AND t.level = lvl) > 2 * fanout
                        WINDOW e AS (PARTITION BY r.event_id ORDER BY r.first_at, r.first_user)) r
                 GROUP BY r.event_id, r.grp) g
        WINDOW w AS (PARTITION BY g.event_id ORDER BY g.grp);
        EXIT WHEN NOT FOUND;
        UPDATE @extschema@.invite_counts c SET height = lvl + 1
         WHERE c.height = lvl
           AND EXISTS (SELECT FROM @extschema@.invite_runs r
                        WHERE r.event_id = c.event_id AND r.level = lvl + 1);
        lvl := lvl + 1;
    END LOOP;

    UPDATE @extschema@.invite_positions_state SET trusted = true, reason = NULL;
END;
$$;

--
-- Detecting writes that bypass the triggers.
--

-- After DDL that may disable or drop the bookkeeping's triggers: unless all
-- of them are there and enabled as bookkeeping_triggers() says, the runs can
-- no longer be trusted.
CREATE FUNCTION @extschema@.watch_invite_triggers() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM @extschema@.bookkeeping_triggers() b
                 LEFT JOIN pg_trigger t
                   ON t.tgrelid = pg_catalog.to_regclass('@extschema@.' || b.table_name)
                  AND t.tgname = b.trigger_name
                WHERE t.tgenabled IS DISTINCT FROM b.enabled) THEN
        UPDATE @extschema@.invite_positions_state
           SET trusted = false,
               reason = tg_tag || ' left the bookkeeping''s triggers disabled, dropped or enabled otherwise'
         WHERE trusted;
    END IF;
END;
$$;

-- Replicated rows of the bookkeeping (a publication FOR ALL TABLES also
-- publishes these tables) are the publisher's, not this server's: a
-- subscriber keeps its own from the invites it applies.  Fires only as a
-- replica (the apply worker), and lets the bookkeeping's own writes, which
-- come from its triggers, through.
CREATE FUNCTION @extschema@.ignore_replicated_bookkeeping() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_trigger_depth() = 1 THEN
        RETURN NULL;
    END IF;
    RETURN CASE WHEN tg_op = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;
CREATE TRIGGER invite_counts_replicated BEFORE INSERT OR UPDATE OR DELETE
    ON @extschema@.invite_counts
    FOR EACH ROW EXECUTE FUNCTION @extschema@.ignore_replicated_bookkeeping();
CREATE TRIGGER invite_runs_replicated BEFORE INSERT OR UPDATE OR DELETE
    ON @extschema@.invite_runs
    FOR EACH ROW EXECUTE FUNCTION @extschema@.ignore_replicated_bookkeeping();
CREATE TRIGGER invite_changes_replicated BEFORE INSERT OR UPDATE OR DELETE
    ON @extschema@.invite_changes
    FOR EACH ROW EXECUTE FUNCTION @extschema@.ignore_replicated_bookkeeping();
CREATE TRIGGER invite_positions_state_replicated BEFORE INSERT OR UPDATE OR DELETE
    ON @extschema@.invite_positions_state
    FOR EACH ROW EXECUTE FUNCTION @extschema@.ignore_replicated_bookkeeping();
ALTER TABLE @extschema@.invite_counts ENABLE REPLICA TRIGGER invite_counts_replicated;
ALTER TABLE @extschema@.invite_runs ENABLE REPLICA TRIGGER invite_runs_replicated;
ALTER TABLE @extschema@.invite_changes ENABLE REPLICA TRIGGER invite_changes_replicated;
ALTER TABLE @extschema@.invite_positions_state
    ENABLE REPLICA TRIGGER invite_positions_state_replicated;

REVOKE ALL ON FUNCTION
    @extschema@.run_size(),
    @extschema@.run_fanout(),
    @extschema@.first_run_key(),
    @extschema@.invites_in_range(bigint, timestamptz, bigint, timestamptz, bigint),
    @extschema@.runs_in_range(bigint, smallint, timestamptz, bigint, timestamptz, bigint),
    @extschema@.pending_in_range(bigint, timestamptz, bigint, timestamptz, bigint),
    @extschema@.piece_starts(bigint, timestamptz, bigint, timestamptz, bigint, integer, bigint),
    @extschema@.log_invite_changes(),
    @extschema@.event_invites_truncated(),
    @extschema@.add_run_deltas(@extschema@.run_delta[]),
    @extschema@.merge_runs(smallint, @extschema@.run_delta[], boolean),
    @extschema@.split_run_of_runs(bigint, smallint, timestamptz, bigint),
    @extschema@.split_runs(@extschema@.run_delta[]),
    @extschema@.balance_runs(@extschema@.run_delta[]),
    @extschema@.fold_changes(bigint[]),
    @extschema@.fold_at_commit(),
    @extschema@.fold_invite_changes(),
    @extschema@.rebuild_invite_positions(),
    @extschema@.watch_invite_triggers(),
    @extschema@.bookkeeping_triggers(),
    @extschema@.log_invite_change_row(),
    @extschema@.event_deleted_as_replica(),
    @extschema@.event_inserted_as_replica(),
    @extschema@.ignore_replicated_bookkeeping()
FROM PUBLIC;

-- Count and place what is there already; this also enables every trigger as
-- bookkeeping_triggers() says.  The event trigger comes after, once they are.
SELECT @extschema@.rebuild_invite_positions();

CREATE EVENT TRIGGER invite_api_watch_triggers ON ddl_command_end
    WHEN TAG IN ('ALTER TABLE', 'DROP TRIGGER', 'ALTER TRIGGER', 'CREATE TRIGGER')
    EXECUTE FUNCTION @extschema@.watch_invite_triggers();
ALTER EVENT TRIGGER invite_api_watch_triggers ENABLE ALWAYS;

-- The page function reads the counts, the pending changes and the invites
-- through plans made once and kept (src/invite_query.c; the runs it reads
-- in C, src/run_scan.c), hence no JIT (the generic plans' cost estimates
-- would compile them on every call), no Memoize (which would size a cache
-- for the generic plan's guess of the page), and no bitmap scans: each
-- query reads a range of an index in its order, and a generic plan's guess
-- of the range's size can make it read the range through a bitmap and a
-- sort instead (when the runs were read through plans, that made a page
-- deep in an event of 10 million invites a tenth slower).
CREATE OR REPLACE FUNCTION @extschema@.event_invites_page(
    event_id    bigint,
    "limit"     integer DEFAULT NULL,
    "offset"    integer DEFAULT NULL,
    token       text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'event_invites_page_1_2'
LANGUAGE C STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET jit = off
SET enable_memoize = off
SET enable_bitmapscan = off;

-- A write call's turn on its event: update the event's count row (creating
-- it, and its first run, when the event has none yet), held to the end of
-- the transaction.  Under READ COMMITTED calls of one event then take turns
-- and each sees the one before; under REPEATABLE READ and SERIALIZABLE a
-- call racing a write of the event committed since its snapshot fails with
-- PostgreSQL's own serialization failure (40001), to be retried, rather than
-- act on invites it cannot see.  Statements that write event_invites
-- directly never take it.
CREATE FUNCTION @extschema@.take_event_turn(p_event bigint) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (PL/pgSQL keeps these plans; a SQL function would plan them on every
    -- call.)
    INSERT INTO @extschema@.invite_counts AS c (event_id, invites, height)
    VALUES (p_event, 0, 0)
    ON CONFLICT (event_id) DO UPDATE SET invites = c.invites;
    -- Every level of an event's runs starts at first_run_key(), so the
    -- event has runs when it has that one, looked up by the whole primary
    -- key: by event and level alone, the generic plan guessed a good part
    -- of the table and read invite_runs sequentially up to the event.
    INSERT INTO @extschema@.invite_runs
           (event_id, level, first_at, first_user, next_at, next_user, invites)
    SELECT p_event, 0, k.first_at, k.first_user, NULL, NULL, 0
      FROM @extschema@.first_run_key() k
     WHERE NOT EXISTS (SELECT FROM @extschema@.invite_runs r
                        WHERE r.event_id = p_event AND r.level = 0
                          AND r.first_at = k.first_at AND r.first_user = k.first_user)
    ON CONFLICT DO NOTHING;
END;
$$;
REVOKE ALL ON FUNCTION @extschema@.take_event_turn(bigint) FROM PUBLIC;

-- The write side: POST and DELETE /api/v2/event/{id}/invite/ with the body
-- {"users": [...]}.  For a manager of the event who proves it with a JWT,
-- checked as for the page.  Each call writes its whole list with one
-- statement, all or nothing, and returns how many invites it created or
-- removed (a user listed twice counts once).  SECURITY DEFINER so that a
-- caller needs only EXECUTE, under a pinned search_path, as the page.
CREATE FUNCTION @extschema@.event_invite_users(
    event_id    bigint,
    users       bigint[],
    token       text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'event_invite_users'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.event_uninvite_users(
    event_id    bigint,
    users       bigint[],
    token       text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'event_uninvite_users'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.event_invite_users(bigint, bigint[], text) IS
    'invite users to an event, for a manager of the event; returns how many invites it created';
COMMENT ON FUNCTION @extschema@.event_uninvite_users(bigint, bigint[], text) IS
    'remove the invites of users to an event, for a manager of the event; returns how many it removed';

-- Nobody calls them until granted: GRANT EXECUTE to the role that serves the API.
REVOKE ALL ON FUNCTION
    @extschema@.event_invite_users(bigint, bigint[], text),
    @extschema@.event_uninvite_users(bigint, bigint[], text)
FROM PUBLIC;

--
-- What each object is for, as \dt+, \df+ and \dx+ show it.
--
COMMENT ON TABLE @extschema@.users IS
    'the community''s users: id, username, real name, external id, avatar';
COMMENT ON TABLE @extschema@.events IS
    'the community''s events';
COMMENT ON TABLE @extschema@.event_managers IS
    'who manages which event: only managers may list, invite and uninvite';
COMMENT ON TABLE @extschema@.event_invites IS
    'who is invited to which event, by whom and when; pages list them by invited_at, then user id';
COMMENT ON TABLE @extschema@.invite_counts IS
    'bookkeeping: each event''s number of invites as of the last fold, and the height of its runs';
COMMENT ON TABLE @extschema@.invite_runs IS
    'bookkeeping: each event''s invites in page order, cut into counted runs, and runs of runs';
COMMENT ON TABLE @extschema@.invite_changes IS
    'bookkeeping: changes to event_invites not folded into invite_counts and invite_runs yet';
COMMENT ON TABLE @extschema@.invite_positions_state IS
    'bookkeeping: whether the counts and runs can be trusted (false once their triggers were disabled)';
COMMENT ON FUNCTION @extschema@.event_invites_page(bigint, integer, integer, text) IS
    'GET /api/v2/event/{id}/invite/: one page of the users invited to an event, for a manager of the event';
COMMENT ON FUNCTION @extschema@.run_size() IS
    'bookkeeping: the size runs of invites are cut to (setting invite_api.run_size)';
COMMENT ON FUNCTION @extschema@.run_fanout() IS
    'bookkeeping: how many runs a run of runs holds';
COMMENT ON FUNCTION @extschema@.first_run_key() IS
    'bookkeeping: the key every event''s first run starts at, below any invite''s';
COMMENT ON FUNCTION @extschema@.log_invite_changes() IS
    'bookkeeping trigger: logs what a statement changed in event_invites';
COMMENT ON FUNCTION @extschema@.event_invites_truncated() IS
    'bookkeeping trigger: empties the bookkeeping when event_invites is truncated';
COMMENT ON FUNCTION @extschema@.invites_in_range(bigint, timestamptz, bigint, timestamptz, bigint) IS
    'bookkeeping: how many invites an event has in a range of keys';
COMMENT ON FUNCTION @extschema@.runs_in_range(bigint, smallint, timestamptz, bigint, timestamptz, bigint) IS
    'bookkeeping: how many runs of a level an event has in a range of keys';
COMMENT ON FUNCTION @extschema@.pending_in_range(bigint, timestamptz, bigint, timestamptz, bigint) IS
    'bookkeeping: the pending changes of an event in a range of keys, added up';
COMMENT ON FUNCTION @extschema@.piece_starts(bigint, timestamptz, bigint, timestamptz, bigint, integer, bigint) IS
    'bookkeeping: where each piece of a run cut into pieces starts';
COMMENT ON FUNCTION @extschema@.add_run_deltas(@extschema@.run_delta[]) IS
    'bookkeeping: adds changes to runs of every level and to the counts';
COMMENT ON FUNCTION @extschema@.merge_runs(smallint, @extschema@.run_delta[], boolean) IS
    'bookkeeping: folds small runs into the runs before them';
COMMENT ON FUNCTION @extschema@.split_run_of_runs(bigint, smallint, timestamptz, bigint) IS
    'bookkeeping: cuts a run of runs that holds too many runs';
COMMENT ON FUNCTION @extschema@.split_runs(@extschema@.run_delta[]) IS
    'bookkeeping: cuts runs of invites that hold too many invites';
COMMENT ON FUNCTION @extschema@.balance_runs(@extschema@.run_delta[]) IS
    'bookkeeping: keeps runs within their sizes after a fold, level by level';
COMMENT ON FUNCTION @extschema@.fold_changes(bigint[]) IS
    'bookkeeping: folds the visible changes of these events into their counts and runs';
COMMENT ON FUNCTION @extschema@.fold_at_commit() IS
    'bookkeeping trigger: folds a READ COMMITTED transaction''s changes when it commits';
COMMENT ON FUNCTION @extschema@.fold_invite_changes() IS
    'folds every change not folded yet (what REPEATABLE READ and SERIALIZABLE writers leave); returns how many';
COMMENT ON FUNCTION @extschema@.rebuild_invite_positions() IS
    'recounts every count and run from event_invites, after writes with the triggers disabled';
COMMENT ON FUNCTION @extschema@.watch_invite_triggers() IS
    'bookkeeping event trigger: marks the runs untrusted when their triggers are disabled or dropped';
COMMENT ON FUNCTION @extschema@.ignore_replicated_bookkeeping() IS
    'bookkeeping trigger: ignores rows of the bookkeeping that arrive by logical replication';
COMMENT ON FUNCTION @extschema@.bookkeeping_triggers() IS
    'the bookkeeping''s triggers and how each must be enabled';
COMMENT ON FUNCTION @extschema@.log_invite_change_row() IS
    'bookkeeping trigger: logs a row changed as a replica (a subscriber''s apply worker fires row triggers only)';
COMMENT ON FUNCTION @extschema@.event_deleted_as_replica() IS
    'bookkeeping trigger: drops a deleted event''s bookkeeping where foreign keys cascade nothing (replicas)';
COMMENT ON FUNCTION @extschema@.event_inserted_as_replica() IS
    'bookkeeping trigger: folds the changes of invites that arrived before their event (replicas)';
COMMENT ON FUNCTION @extschema@.take_event_turn(bigint) IS
    'makes a write call wait for, or conflict with, other writes of the event';
COMMENT ON EVENT TRIGGER invite_api_watch_triggers IS
    'marks invite_api''s runs untrusted when DDL disables or drops their triggers';

/*
 * invite_changes.c
 *		Log what a statement changed in event_invites.
 *
 * The statement triggers of event_invites (INSERT, UPDATE, DELETE) all call
 * log_invite_changes().  It reads the statement's transition tables
 * (new_invites, old_invites) and appends what changed to
 * invite_api.invite_changes, in one INSERT ... SELECT whatever the size of
 * the statement, reading the keys in batches where it places them among
 * the runs itself (placed_keys()): memory is bounded by the runs the
 * statement spans, not by its rows, and it never updates a row another
 * transaction may update.  The changes are folded into the runs later (see
 * sql/invite_api--1.1--1.2.sql).
 *
 * In READ COMMITTED, for an event of which the statement changed many keys,
 * it writes one row per run of invites the statement changed, with the range
 * of keys it changed there, and asks for the fold at commit (a deferred
 * trigger), which folds them all (but the uninvite's removals, which wait
 * for the event's next fold); for an event with a few changed keys, one row
 * per key, folded once enough are pending.  In REPEATABLE READ and
 * SERIALIZABLE it writes one row per changed key: such a transaction cannot
 * fold without conflicting with folds committed after its snapshot, and a
 * change of one key stays exact whatever the runs become before someone
 * folds it.
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "entry_points.h"
#include "invite_key.h"
#include "invite_write.h"
#include "saved_query.h"


/* The kinds of statement, indexes of the query arrays below. */
#define KIND_INSERT 0
#define KIND_DELETE 1
#define KIND_UPDATE 2

/* What changed, key by key, for each kind of statement. */
#define INSERTED_KEYS \
	"SELECT n.event_id, n.invited_at, n.user_id, 1 AS delta FROM new_invites n"
#define DELETED_KEYS \
	"SELECT o.event_id, o.invited_at, o.user_id, -1 AS delta FROM old_invites o"
/* An UPDATE that keeps a key leaves no change at that key. */
#define UPDATED_KEYS \
	"SELECT c.event_id, c.invited_at, c.user_id, pg_catalog.sum(c.delta) AS delta" \
	"  FROM (" INSERTED_KEYS " UNION ALL " DELETED_KEYS ") c" \
	" GROUP BY c.event_id, c.invited_at, c.user_id" \
	" HAVING pg_catalog.sum(c.delta) OPERATOR(pg_catalog.<>) 0"

#define CHANGES_COLUMNS \
	"INSERT INTO invite_api.invite_changes" \
	" (event_id, first_at, first_user, last_at, last_user, delta, fold_at_commit) "

/* Changes of events deleted by the same statement have nothing to count. */
#define EVENT_EXISTS(alias) \
	" EXISTS (SELECT FROM invite_api.events e" \
	"          WHERE e.id OPERATOR(pg_catalog.=) " alias ".event_id)"

/* One row per changed key. */
#define PER_KEY(keys) \
	CHANGES_COLUMNS \
	"SELECT k.event_id, k.invited_at, k.user_id, k.invited_at, k.user_id, k.delta, false" \
	"  FROM (" keys ") k" \
	" WHERE" EVENT_EXISTS("k")

/*
 * In READ COMMITTED: an event's few changed keys (at most FEW_KEYS in the
 * statement) are logged one row per key, like other isolation levels' -
 * exact whatever the runs become.  More are logged one row per run of
 * invites: the run holding each key, as the runs are now, and the range of
 * the run's keys that changed, from (earliest time, lowest user id) to
 * (latest time, highest user id) - wider than the keys themselves, cut to
 * the run's own keys (a range that reaches into the next run costs a
 * recount when it is folded, nothing else).  Most statements that change
 * many keys change them in one run of their event (a new event, invites at
 * the end): "whole" finds those events with one look at their runs.  Those
 * whose keys lie close together in a few runs are placed among their runs
 * by placed_keys() (below); only the others look up the run of each key.
 *
 * The fold at commit is asked for when the statement logged a change of a
 * run, or once the event has FOLD_AFTER changes pending, this statement's
 * included; until then the changes wait for the event's next fold, so that
 * small writes seldom pay for one.  But the uninvite's DELETE ($1, the
 * event it removes invites of, NULL for any other statement) asks for it
 * only when a run gains invites (one may have to be split before a page
 * skips through it) or when another event's runs changed: a run that only
 * lost invites is no slower to skip through, a page adds the pending
 * changes to the runs it reads, and as the call holds the event's turn to
 * the end of its transaction (invite_api.take_event_turn()), no fold of the
 * event can change its runs before the changes are visible to the next
 * fold, which folds them all: they never span two runs.
 */
#define FEW_KEYS_N 8
#define FEW_KEYS CppAsString2(FEW_KEYS_N)
#define FOLD_AFTER "32"
#define LOWEST_USER "'-9223372036854775808'::pg_catalog.int8"
#define HIGHEST_USER "'9223372036854775807'::pg_catalog.int8"
#define RUN_OF(alias, at, user) \
	" LEFT JOIN LATERAL (" \
	"     SELECT r.first_at, r.first_user, r.next_at, r.next_user" \
	"       FROM invite_api.invite_runs r" \
	"      WHERE r.event_id OPERATOR(pg_catalog.=) " alias ".event_id" \
	"        AND r.level OPERATOR(pg_catalog.=) 0" \
	"        AND ROW(r.first_at, r.first_user) <= ROW(" at ", " user ")" \
	"      ORDER BY r.first_at DESC, r.first_user DESC" \
	"      LIMIT 1) r ON true"
/*
 * Whether a group's range, (min_at, lowest user) to (max_at, highest user),
 * would reach into the next run (its keys' time is that of the next run's
 * first key): then it ends at the key just before the next run's first,
 * (next_at, next_user - 1), so that folding it adds it to its run rather
 * than counting the runs it reaches again.  Not for a next run whose first
 * key has the lowest user id (no key of that time comes before it).
 */
#define REACHES_NEXT(alias) \
	alias ".next_at IS NOT NULL" \
	" AND ROW(" alias ".max_at, " HIGHEST_USER ") >= ROW(" alias ".next_at, " alias ".next_user)" \
	" AND " alias ".next_user OPERATOR(pg_catalog.>) " LOWEST_USER
#define PER_RUN(keys) \
	CHANGES_COLUMNS \
	"WITH events AS MATERIALIZED (" \
	"    SELECT k.event_id, pg_catalog.min(k.invited_at) AS min_at," \
	"           pg_catalog.max(k.invited_at) AS max_at, pg_catalog.sum(k.delta) AS delta," \
	"           pg_catalog.count(*) AS keys" \
	"      FROM (" keys ") k" \
	"     WHERE k.event_id OPERATOR(pg_catalog.<>) ALL ($2)" \
	"     GROUP BY k.event_id" \
	"), few AS MATERIALIZED (" \
	"    SELECT e.event_id FROM events e WHERE e.keys <= " FEW_KEYS \
	"), whole AS MATERIALIZED (" \
	"    SELECT e.event_id, r.first_at AS run_at, r.first_user AS run_user," \
	"           e.min_at, e.max_at, e.delta" \
	"      FROM events e" \
	RUN_OF("e", "e.min_at", LOWEST_USER) \
	"     WHERE e.event_id NOT IN (SELECT f.event_id FROM few f)" \
	"       AND (r.next_at IS NULL" \
	"            OR ROW(e.max_at, " HIGHEST_USER ") < ROW(r.next_at, r.next_user))" \
	"), per_run AS (" \
	"    SELECT w.event_id, w.run_at, w.run_user, NULL::pg_catalog.timestamptz AS next_at," \
	"           NULL::pg_catalog.int8 AS next_user, w.min_at, w.max_at, w.delta FROM whole w" \
	"    UNION ALL" \
	"    SELECT k.event_id, r.first_at, r.first_user, r.next_at, r.next_user," \
	"           pg_catalog.min(k.invited_at), pg_catalog.max(k.invited_at), pg_catalog.sum(k.delta)" \
	"      FROM (" keys ") k" \
	RUN_OF("k", "k.invited_at", "k.user_id") \
	"     WHERE k.event_id NOT IN (SELECT w.event_id FROM whole w)" \
	"       AND k.event_id NOT IN (SELECT f.event_id FROM few f)" \
	"       AND k.event_id OPERATOR(pg_catalog.<>) ALL ($2)" \
	"     GROUP BY k.event_id, r.first_at, r.first_user, r.next_at, r.next_user" \
	"    UNION ALL" \
	"    SELECT p.event_id, p.run_at, p.run_user, p.next_at, p.next_user," \
	"           p.min_at, p.max_at, p.delta" \
	"      FROM ROWS FROM (pg_catalog.unnest($3), pg_catalog.unnest($4)," \
	"                      pg_catalog.unnest($5), pg_catalog.unnest($6)," \
	"                      pg_catalog.unnest($7), pg_catalog.unnest($8)," \
	"                      pg_catalog.unnest($9), pg_catalog.unnest($10))" \
	"           AS p(event_id, run_at, run_user, next_at, next_user, min_at, max_at, delta)" \
	"), logged AS (" \
	"    SELECT g.event_id," \
	"           CASE WHEN ROW(g.min_at, " LOWEST_USER ") < ROW(g.run_at, g.run_user)" \
	"                THEN g.run_at ELSE g.min_at END AS first_at," \
	"           CASE WHEN ROW(g.min_at, " LOWEST_USER ") < ROW(g.run_at, g.run_user)" \
	"                THEN g.run_user ELSE " LOWEST_USER " END AS first_user," \
	"           CASE WHEN " REACHES_NEXT("g") " THEN g.next_at ELSE g.max_at END AS last_at," \
	"           CASE WHEN " REACHES_NEXT("g") " THEN g.next_user OPERATOR(pg_catalog.-) 1" \
	"                ELSE " HIGHEST_USER " END AS last_user," \
	"           g.delta" \
	"      FROM per_run g" \
	"    UNION ALL" \
	"    SELECT k.event_id, k.invited_at, k.user_id, k.invited_at, k.user_id, k.delta" \
	"      FROM (" keys ") k" \
	"     WHERE k.event_id IN (SELECT f.event_id FROM few f)" \
	")" \
	"SELECT l.event_id, l.first_at, l.first_user, l.last_at, l.last_user, l.delta," \
	"       pg_catalog.row_number() OVER () OPERATOR(pg_catalog.=) 1" \
	"       AND (EXISTS (SELECT FROM per_run p" \
	"                     WHERE p.delta OPERATOR(pg_catalog.>) 0" \
	"                        OR $1 IS NULL OR p.event_id OPERATOR(pg_catalog.<>) $1)" \
	"            OR EXISTS (" \
	"                SELECT FROM (SELECT l.event_id, pg_catalog.count(*) AS n" \
	"                               FROM logged l GROUP BY l.event_id) n" \
	"                 WHERE n.n + (SELECT pg_catalog.count(*) FROM (" \
	"                                SELECT FROM invite_api.invite_changes c" \
	"                                 WHERE c.event_id OPERATOR(pg_catalog.=) n.event_id" \
	"                                 LIMIT " FOLD_AFTER ") p) >= " FOLD_AFTER "))" \
	"  FROM logged l" \
	" WHERE l.delta OPERATOR(pg_catalog.<>) 0 AND" EVENT_EXISTS("l")

/*
 * [kind of statement][per key?].  PER_RUN's $1 as above, $2 the events whose
 * changes placed_keys() placed among their runs, $3 ... $10 its rows, one
 * per run: event, the run's first key and next run's first key, the
 * earliest and latest time of its changed keys, and their delta.
 */
#define PER_RUN_QUERY(query) { \
	.sql = query, .nargs = 10, \
	.argtypes = {INT8OID, INT8ARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, \
	INT8ARRAYOID, TIMESTAMPTZARRAYOID, INT8ARRAYOID, TIMESTAMPTZARRAYOID, \
	TIMESTAMPTZARRAYOID, INT8ARRAYOID}, \
	.expected_rc = SPI_OK_INSERT \
}
#define PER_KEY_QUERY(query) {.sql = query, .expected_rc = SPI_OK_INSERT}
static SavedQuery change_queries[3][2] = {
	{PER_RUN_QUERY(PER_RUN(INSERTED_KEYS)), PER_KEY_QUERY(PER_KEY(INSERTED_KEYS))},
	{PER_RUN_QUERY(PER_RUN(DELETED_KEYS)), PER_KEY_QUERY(PER_KEY(DELETED_KEYS))},
	{PER_RUN_QUERY(PER_RUN(UPDATED_KEYS)), PER_KEY_QUERY(PER_KEY(UPDATED_KEYS))},
};

/*
 * Placing keys among runs.  Looking up the run of each key in the index
 * costs a probe per key: most of an uninvite's log when its keys lie in a
 * few runs.  For an event whose changed keys (more than FEW_KEYS) span more
 * than one run ("whole" finds those in one) but no more runs than there are
 * keys, placed_keys() reads those runs once, then the keys in batches, and
 * finds each key's run among them by binary search; the SQL above logs the
 * other events.  Its memory is that of the runs the statement spans, at
 * most one per changed key; a statement that changed more than
 * PLACED_EVENTS events is left to the SQL, which needs none per event.
 * Keys are read as invite_api.invite_runs holds them (timestamptz, bigint),
 * cast as the SQL compares them, whatever the owner made the columns.
 */
#define PLACED_EVENTS 1000
#define KEYS_BATCH 10000

/* The events of which the statement changed more than FEW_KEYS keys. */
#define EVENTS_OF(keys) \
	"SELECT CAST(k.event_id AS pg_catalog.int8)," \
	"       pg_catalog.min(CAST(k.invited_at AS pg_catalog.timestamptz))," \
	"       pg_catalog.max(CAST(k.invited_at AS pg_catalog.timestamptz))," \
	"       pg_catalog.count(*)" \
	"  FROM (" keys ") k GROUP BY k.event_id" \
	" HAVING pg_catalog.count(*) OPERATOR(pg_catalog.>) " FEW_KEYS \
	" ORDER BY 1"
#define EVENTS_QUERY(keys) {.sql = EVENTS_OF(keys)}
static SavedQuery events_queries[3] = {
	EVENTS_QUERY(INSERTED_KEYS), EVENTS_QUERY(DELETED_KEYS), EVENTS_QUERY(UPDATED_KEYS)
};

/* The keys of these events ($1), each with its delta. */
#define KEYS_OF(keys) \
	"SELECT CAST(k.event_id AS pg_catalog.int8)," \
	"       CAST(k.invited_at AS pg_catalog.timestamptz)," \
	"       CAST(k.user_id AS pg_catalog.int8), CAST(k.delta AS pg_catalog.int8)" \
	"  FROM (" keys ") k WHERE k.event_id OPERATOR(pg_catalog.=) ANY ($1)"
#define KEYS_QUERY(keys) {.sql = KEYS_OF(keys), .nargs = 1, .argtypes = {INT8ARRAYOID}}
static SavedQuery keys_queries[3] = {
	KEYS_QUERY(INSERTED_KEYS), KEYS_QUERY(DELETED_KEYS), KEYS_QUERY(UPDATED_KEYS)
};

/*
 * Event $1's runs of invites from the one holding key ($2, lowest user id)
 * to the last that starts at time $3 or before, at most $4 of them, in
 * order.
 */
static SavedQuery spanned_runs_query = {
	.sql =
	"SELECT r.first_at, r.first_user, r.next_at, r.next_user"
	"  FROM (SELECT s.first_at, s.first_user FROM invite_api.invite_runs s"
	"         WHERE s.event_id OPERATOR(pg_catalog.=) $1"
	"           AND s.level OPERATOR(pg_catalog.=) 0"
	"           AND ROW(s.first_at, s.first_user) <= ROW($2, " LOWEST_USER ")"
	"         ORDER BY s.first_at DESC, s.first_user DESC"
	"         LIMIT 1) s"
	" CROSS JOIN LATERAL ("
	"       SELECT r.first_at, r.first_user, r.next_at, r.next_user"
	"         FROM invite_api.invite_runs r"
	"        WHERE r.event_id OPERATOR(pg_catalog.=) $1"
	"          AND r.level OPERATOR(pg_catalog.=) 0"
	"          AND ROW(r.first_at, r.first_user) >= ROW(s.first_at, s.first_user)"
	"          AND r.first_at OPERATOR(pg_catalog.<=) $3"
	"        ORDER BY r.first_at, r.first_user"
	"        LIMIT $4) r"
	" ORDER BY r.first_at, r.first_user",
	.nargs = 4,
	.argtypes = {INT8OID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID}
};

/* A run of invites, and what the statement changed in it. */
typedef struct PlacedRun
{
	InviteKey	first;
	bool		last;			/* no run after it: "next" unset */
	InviteKey	next;
	bool		changed;
	TimestampTz min_at;			/* of its changed keys */
	TimestampTz max_at;
	int64		delta;
} PlacedRun;

/* An event whose changed keys are placed, and its runs they span. */
typedef struct PlacedEvent
{
	int64		event_id;
	int			nruns;
	PlacedRun  *runs;
} PlacedEvent;

/* An event the statement changed, from events_queries. */
typedef struct ChangedEvent
{
	int64		event_id;
	TimestampTz min_at;
	TimestampTz max_at;
	int64		keys;
} ChangedEvent;

/*
 * Column "attno" of row "row" of the last SPI result; NULL only where
 * "isnull" is given, else an error (a key column the owner made nullable).
 */
static Datum
result_value(uint64 row, int attno, bool *isnull)
{
	bool		null;
	Datum		value = SPI_getbinval(SPI_tuptable->vals[row],
									  SPI_tuptable->tupdesc, attno, &null);

	if (isnull != NULL)
		*isnull = null;
	else if (null)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("invite_api.event_invites has an invite with a null key"),
				 errdetail("The bookkeeping orders invites by event, time and user, none of which may be null.")));
	return value;
}

/* A one-dimensional array of 8-byte pass-by-value elements ("nulls" may be NULL). */
static Datum
int8_sized_array(Datum *values, bool *nulls, int n, Oid type)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};

	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs, type,
											  sizeof(int64), FLOAT8PASSBYVAL,
											  TYPALIGN_DOUBLE));
}

/*
 * The events of which the statement changed more than FEW_KEYS keys, in id
 * order; none when it changed more than PLACED_EVENTS of them.
 */
static ChangedEvent *
changed_events(int kind, TriggerData *trigger, int *nevents)
{
	Tuplestorestate *rows = kind == KIND_DELETE ? trigger->tg_oldtable : trigger->tg_newtable;
	ChangedEvent *events;
	Portal		portal;

	*nevents = 0;
	if (tuplestore_tuple_count(rows) <= FEW_KEYS_N)
		return NULL;			/* no event has more changed keys */
	portal = saved_query_open(&events_queries[kind], NULL, NULL, false);
	SPI_cursor_fetch(portal, true, PLACED_EVENTS + 1);
	if (SPI_processed <= PLACED_EVENTS)
		*nevents = (int) SPI_processed;
	events = palloc(sizeof(ChangedEvent) * Max(*nevents, 1));
	for (int i = 0; i < *nevents; i++)
	{
		events[i].event_id = DatumGetInt64(result_value(i, 1, NULL));
		events[i].min_at = DatumGetTimestampTz(result_value(i, 2, NULL));
		events[i].max_at = DatumGetTimestampTz(result_value(i, 3, NULL));
		events[i].keys = DatumGetInt64(result_value(i, 4, NULL));
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_cursor_close(portal);
	return events;
}

/*
 * The event's runs from its earliest changed key to its latest, when there
 * are more than one and no more than its changed keys; false otherwise.
 */
static bool
spanned_runs(const ChangedEvent *changed, PlacedEvent *event)
{
	Datum		values[4] = {
		Int64GetDatum(changed->event_id), TimestampTzGetDatum(changed->min_at),
		TimestampTzGetDatum(changed->max_at), Int64GetDatum(changed->keys + 1)
	};
	uint64		nruns = saved_query_run(&spanned_runs_query, values, NULL, false);

	if (nruns < 2 || nruns > (uint64) changed->keys)
	{
		SPI_freetuptable(SPI_tuptable);
		return false;
	}
	event->event_id = changed->event_id;
	event->nruns = (int) nruns;
	event->runs = palloc0(sizeof(PlacedRun) * nruns);
	for (uint64 r = 0; r < nruns; r++)
	{
		PlacedRun  *run = &event->runs[r];
		Datum		next_at;

		run->first.at = DatumGetTimestampTz(result_value(r, 1, NULL));
		run->first.user = DatumGetInt64(result_value(r, 2, NULL));
		next_at = result_value(r, 3, &run->last);
		if (!run->last)
		{
			run->next.at = DatumGetTimestampTz(next_at);
			run->next.user = DatumGetInt64(result_value(r, 4, NULL));
		}
	}
	SPI_freetuptable(SPI_tuptable);
	return true;
}

/* The event's place in "events" (in id order). */
static PlacedEvent *
placed_event(PlacedEvent *events, int nevents, int64 event_id)
{
	int			lo = 0,
				hi = nevents - 1;

	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (events[mid].event_id == event_id)
			return &events[mid];
		if (events[mid].event_id < event_id)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	elog(ERROR, "changed key of event " INT64_FORMAT " was not expected", event_id);
	return NULL;
}

/* The run holding the key: the last that starts at it or before. */
static PlacedRun *
placed_run(PlacedEvent *event, const InviteKey *key)
{
	int			lo = 0,
				hi = event->nruns - 1;
	PlacedRun  *run;

	if (invite_key_cmp(key, &event->runs[0].first) < 0)
		elog(ERROR, "changed key of event " INT64_FORMAT " lies before its runs",
			 event->event_id);
	while (lo < hi)
	{
		int			mid = hi - (hi - lo) / 2;

		if (invite_key_cmp(&event->runs[mid].first, key) <= 0)
			lo = mid;
		else
			hi = mid - 1;
	}
	run = &event->runs[lo];
	if (!run->last && invite_key_cmp(key, &run->next) >= 0)
		elog(ERROR, "changed key of event " INT64_FORMAT " lies past its runs",
			 event->event_id);
	return run;
}

/*
 * Add each changed key of the events (in id order) to the run holding it;
 * the number of runs changed.
 */
static int
place_keys(int kind, PlacedEvent *events, int nevents)
{
	Datum	   *ids = palloc(sizeof(Datum) * nevents);
	Datum		id_array;
	Portal		portal;
	int			changed = 0;

	for (int i = 0; i < nevents; i++)
		ids[i] = Int64GetDatum(events[i].event_id);
	id_array = int8_sized_array(ids, NULL, nevents, INT8OID);
	portal = saved_query_open(&keys_queries[kind], &id_array, NULL, false);
	for (;;)
	{
		SPI_cursor_fetch(portal, true, KEYS_BATCH);
		if (SPI_processed == 0)
			break;
		for (uint64 k = 0; k < SPI_processed; k++)
		{
			PlacedEvent *event = placed_event(events, nevents,
											  DatumGetInt64(result_value(k, 1, NULL)));
			InviteKey	key = {
				.at = DatumGetTimestampTz(result_value(k, 2, NULL)),
				.user = DatumGetInt64(result_value(k, 3, NULL))
			};
			PlacedRun  *run = placed_run(event, &key);

			if (!run->changed)
			{
				run->changed = true;
				run->min_at = run->max_at = key.at;
				changed++;
			}
			run->min_at = Min(run->min_at, key.at);
			run->max_at = Max(run->max_at, key.at);
			run->delta += DatumGetInt64(result_value(k, 4, NULL));
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	return changed;
}

/*
 * Place the changed keys of the events that want it among their runs;
 * PER_RUN's arguments $2 (those events) ... $10 (a row per run changed).
 */
static void
placed_keys(int kind, TriggerData *trigger, Datum *args)
{
	static const Oid row_types[8] = {
		INT8OID, TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID, INT8OID,
		TIMESTAMPTZOID, TIMESTAMPTZOID, INT8OID
	};
	int			nchanged;
	ChangedEvent *changed = changed_events(kind, trigger, &nchanged);
	PlacedEvent *events = palloc(sizeof(PlacedEvent) * Max(nchanged, 1));
	int			nevents = 0;
	int			nrows = 0;
	Datum	   *ids = palloc(sizeof(Datum) * Max(nchanged, 1));
	Datum	   *row[8];
	bool	   *row_nulls[8];

	for (int i = 0; i < nchanged; i++)
		if (spanned_runs(&changed[i], &events[nevents]))
		{
			ids[nevents] = Int64GetDatum(events[nevents].event_id);
			nevents++;
		}
	if (nevents > 0)
		nrows = place_keys(kind, events, nevents);
	args[1] = int8_sized_array(ids, NULL, nevents, INT8OID);

	for (int c = 0; c < 8; c++)
	{
		row[c] = palloc(sizeof(Datum) * Max(nrows, 1));
		row_nulls[c] = palloc0(sizeof(bool) * Max(nrows, 1));
	}
	nrows = 0;
	for (int e = 0; e < nevents; e++)
		for (int r = 0; r < events[e].nruns; r++)
		{
			PlacedRun  *run = &events[e].runs[r];

			if (!run->changed)
				continue;
			row[0][nrows] = Int64GetDatum(events[e].event_id);
			row[1][nrows] = TimestampTzGetDatum(run->first.at);
			row[2][nrows] = Int64GetDatum(run->first.user);
			row[3][nrows] = TimestampTzGetDatum(run->next.at);
			row[4][nrows] = Int64GetDatum(run->next.user);
			row_nulls[3][nrows] = row_nulls[4][nrows] = run->last;
			row[5][nrows] = TimestampTzGetDatum(run->min_at);
			row[6][nrows] = TimestampTzGetDatum(run->max_at);
			row[7][nrows] = Int64GetDatum(run->delta);
			nrows++;
		}
	for (int c = 0; c < 8; c++)
		args[2 + c] = int8_sized_array(row[c], row_nulls[c], nrows, row_types[c]);
}

/*
 * invite_api.log_invite_changes() RETURNS trigger
 *
 * AFTER INSERT, UPDATE or DELETE ... FOR EACH STATEMENT on event_invites,
 * with the transition tables named new_invites and old_invites.
 */
PG_FUNCTION_INFO_V1(log_invite_changes);
Datum
log_invite_changes(PG_FUNCTION_ARGS)
{
	TriggerData *trigger = (TriggerData *) fcinfo->context;
	SavedQuery *query;
	int			kind;
	int			nestlevel;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigger->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigger->tg_event))
		elog(ERROR, "log_invite_changes() must be an AFTER ... FOR EACH STATEMENT trigger");

	if (TRIGGER_FIRED_BY_INSERT(trigger->tg_event))
		kind = KIND_INSERT;
	else if (TRIGGER_FIRED_BY_DELETE(trigger->tg_event))
		kind = KIND_DELETE;
	else if (TRIGGER_FIRED_BY_UPDATE(trigger->tg_event))
		kind = KIND_UPDATE;
	else
		elog(ERROR, "log_invite_changes() fires for INSERT, UPDATE and DELETE only");
	if ((kind != KIND_DELETE && trigger->tg_newtable == NULL) ||
		(kind != KIND_INSERT && trigger->tg_oldtable == NULL))
		elog(ERROR, "log_invite_changes() needs the statement's transition tables");

	query = &change_queries[kind][IsolationUsesXactSnapshot() ? 1 : 0];

	/*
	 * Without JIT: a big statement's transition tables make the planner ask
	 * for it, and compiling costs more than the query and loads LLVM into
	 * the backend (some 60 MB).  The setting goes back at the end, or with
	 * the transaction on error.
	 */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	SPI_connect();
	if (SPI_register_trigger_data(trigger) != SPI_OK_TD_REGISTER)
		elog(ERROR, "SPI_register_trigger_data failed");
	if (IsolationUsesXactSnapshot())
		saved_query_run(query, NULL, NULL, false);
	else
	{
		Datum		args[10];
		char		nulls[11] = "          ";
		int64		event_id;

		if (invite_write_removing(&event_id))
			args[0] = Int64GetDatum(event_id);
		else
			nulls[0] = 'n';
		placed_keys(kind, trigger, args);
		saved_query_run(query, args, nulls, false);
	}
	SPI_finish();
	AtEOXact_GUC(true, nestlevel);

	return PointerGetDatum(NULL);
}

/*
 * A logical-replication subscriber's apply worker fires row triggers only,
 * never statement triggers, and runs as a replica; so do sessions with
 * session_replication_role = replica.  There this row trigger (enabled for
 * replicas only, while the statement triggers are enabled for origins) logs
 * each changed row as the change of its key, exact whatever the runs
 * become.  It does not check that the event exists: a subscriber copies
 * tables in parallel, so the event may arrive later, and foreign keys are
 * not checked there; a fold leaves the changes of an event it cannot see
 * pending.  The first change each (sub)transaction logs asks for the fold
 * at commit: a subtransaction rolled back takes its request with it, so the
 * one that asked must still be there (a fold asked for twice finds nothing
 * left the second time).
 */
static SavedQuery row_change_query = {
	.sql = CHANGES_COLUMNS "VALUES ($1, $2, $3, $2, $3, $4, $5)",
	.nargs = 5,
	.argtypes = {INT8OID, TIMESTAMPTZOID, INT8OID, INT8OID, BOOLOID},
	.expected_rc = SPI_OK_INSERT
};

/* The (sub)transaction that last asked for a fold at commit. */
static TransactionId fold_asked_by = InvalidTransactionId;
static SubTransactionId fold_asked_in = InvalidSubTransactionId;

/* Log that delta invites appeared (went) at the key of row "tuple". */
static void
log_row(TriggerData *trigger, HeapTuple tuple, int64 delta)
{
	TupleDesc	desc = trigger->tg_relation->rd_att;
	int			attno[3];
	Datum		values[5];
	bool		isnull;
	TransactionId xid = GetTopTransactionId();
	static const char *const columns[3] = {"event_id", "invited_at", "user_id"};

	for (int i = 0; i < 3; i++)
	{
		attno[i] = SPI_fnumber(desc, columns[i]);
		if (attno[i] <= 0)
			elog(ERROR, "event_invites has no column \"%s\"", columns[i]);
		values[i] = SPI_getbinval(tuple, desc, attno[i], &isnull);
		if (isnull)
			elog(ERROR, "event_invites.%s is null", columns[i]);
	}
	values[3] = Int64GetDatum(delta);
	values[4] = BoolGetDatum(!TransactionIdEquals(fold_asked_by, xid) ||
							 fold_asked_in != GetCurrentSubTransactionId());
	fold_asked_by = xid;
	fold_asked_in = GetCurrentSubTransactionId();
	saved_query_run(&row_change_query, values, NULL, false);
}

/*
 * invite_api.log_invite_change_row() RETURNS trigger
 *
 * AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW on event_invites,
 * enabled for replicas.
 */
PG_FUNCTION_INFO_V1(log_invite_change_row);
Datum
log_invite_change_row(PG_FUNCTION_ARGS)
{
	TriggerData *trigger = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigger->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigger->tg_event))
		elog(ERROR, "log_invite_change_row() must be an AFTER ... FOR EACH ROW trigger");

	SPI_connect();
	if (TRIGGER_FIRED_BY_INSERT(trigger->tg_event))
		log_row(trigger, trigger->tg_trigtuple, 1);
	else if (TRIGGER_FIRED_BY_DELETE(trigger->tg_event))
		log_row(trigger, trigger->tg_trigtuple, -1);
	else if (TRIGGER_FIRED_BY_UPDATE(trigger->tg_event))
	{
		log_row(trigger, trigger->tg_trigtuple, -1);
		log_row(trigger, trigger->tg_newtuple, 1);
	}
	else
		elog(ERROR, "log_invite_change_row() fires for INSERT, UPDATE and DELETE only");
	SPI_finish();

	return PointerGetDatum(NULL);
}

/*
 * TRUNCATE takes every invite, whatever the snapshot of its transaction, and
 * the bookkeeping goes with them in the same way: deleted as the latest
 * snapshot sees it.  Under REPEATABLE READ and SERIALIZABLE the
 * transaction's snapshot is taken before TRUNCATE waits for its lock; in it,
 * the counts, runs and changes that writers commit meanwhile would be
 * invisible and survive the invites they count (or fail the delete with
 * 40001).  While TRUNCATE holds the table, no writer adds more; a fold still
 * under way (invite_api.fold_invite_changes(), which does not write the
 * table) is waited for first, as a delete of rows it deleted would fail
 * there too.  DELETE, not TRUNCATE: this transaction's changes may still
 * have a fold pending.
 */
#define TRUNCATED_LOCK \
	"LOCK TABLE invite_api.invite_changes, invite_api.invite_runs," \
	" invite_api.invite_counts IN SHARE ROW EXCLUSIVE MODE"

static const char *const truncated_queries[] = {
	"DELETE FROM invite_api.invite_changes",
	"DELETE FROM invite_api.invite_runs",
	"DELETE FROM invite_api.invite_counts",
};

/*
 * invite_api.event_invites_truncated() RETURNS trigger
 *
 * AFTER TRUNCATE ... FOR EACH STATEMENT on event_invites.
 */
PG_FUNCTION_INFO_V1(event_invites_truncated);
Datum
event_invites_truncated(PG_FUNCTION_ARGS)
{
	TriggerData *trigger = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigger->tg_event) ||
		!TRIGGER_FIRED_BY_TRUNCATE(trigger->tg_event))
		elog(ERROR, "event_invites_truncated() must be an AFTER TRUNCATE trigger");

	SPI_connect();
	if (SPI_execute(TRUNCATED_LOCK, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "SPI_execute failed for \"%s\"", TRUNCATED_LOCK);
	for (int i = 0; i < (int) lengthof(truncated_queries); i++)
	{
		SPIPlanPtr	plan = SPI_prepare(truncated_queries[i], 0, NULL);
		int			rc;

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 truncated_queries[i], SPI_result_code_string(SPI_result));
		rc = SPI_execute_snapshot(plan, NULL, NULL, GetLatestSnapshot(),
								  InvalidSnapshot, false, true, 0);
		if (rc != SPI_OK_DELETE)
			elog(ERROR, "SPI_execute_snapshot returned %s for \"%s\"",
				 SPI_result_code_string(rc), truncated_queries[i]);
		SPI_freeplan(plan);
	}
	SPI_finish();

	return PointerGetDatum(NULL);
}

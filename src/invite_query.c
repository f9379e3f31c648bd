/*
 * invite_query.c
 *		The SQL of the endpoint, prepared once per backend, and the page's
 *		descent through the runs (which run_scan.c reads).
 *
 * Every name is schema-qualified and equality is spelled
 * OPERATOR(pg_catalog.=); the SQL function also pins search_path to
 * pg_catalog, pg_temp, where the remaining operators (row comparisons,
 * arithmetic) resolve.  Neither the caller's search_path nor temporary
 * objects can change what is read.
 *
 * Three layouts, one per version of the extension's SQL, so that a database
 * keeps working with this library until ALTER EXTENSION ... UPDATE:
 *
 *	1.0  event_invites alone: count(*), then OFFSET in the page order's index.
 *	1.1  a count and runs of about a thousand invites kept by triggers.
 *	1.2  counts, runs of invites and runs of runs (a tree of counted runs),
 *	     and changes not yet folded into them (sql/invite_api--1.1--1.2.sql
 *	     explains how they are kept).  A page at offset k descends from the
 *	     top level to the run of invites holding position k, summing at most
 *	     a few dozen run sizes per level, then skips less than half a run
 *	     in the index, from the run's start or from its end.  The descent
 *	     reads the runs straight from their index (run_scan.c), not through
 *	     SPI: a query per level cost more than the runs it read.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/timestamp.h"

#include "invite_key.h"
#include "invite_query.h"
#include "run_scan.h"
#include "saved_query.h"

/*
 * The queries of the 1.1 and 1.2 layouts always use their generic plan: it
 * is right for every event (index scans by event, users by primary key), and
 * planning each call anew would cost more than running it.  Its cost
 * estimate is high, since it cannot know that LIMIT $2 is small; the SQL
 * function turns JIT off, which would otherwise compile it on every call,
 * and Memoize, which would size (and zero) a cache for that many users.
 */

/*
 * A page's users, looked up one by one by primary key after the invites are
 * paged (rows skipped by OFFSET are never joined; a generic plan cannot
 * know that LIMIT is small and would otherwise hash-join every user; OFFSET
 * 0 keeps the planner from flattening the lookup into a join).  The columns
 * are cast to the types the answer promises, so that a column whose type
 * the owner changed is converted or refused with the cast's own error.
 */
#define PAGE_USERS \
	" CROSS JOIN LATERAL" \
	"       (SELECT CAST(u.id AS pg_catalog.int8) AS id," \
	"               CAST(u.username AS pg_catalog.text) AS username," \
	"               CAST(u.real_name AS pg_catalog.text) AS real_name," \
	"               CAST(u.ext_id AS pg_catalog.int8) AS ext_id," \
	"               CAST(u.avatar AS pg_catalog.text) AS avatar" \
	"          FROM invite_api.users u" \
	"         WHERE u.id OPERATOR(pg_catalog.=) p.user_id OFFSET 0) u" \
	" ORDER BY p.invited_at, p.user_id"

#define PAGE_COLUMNS "SELECT u.id, u.username, u.real_name, u.ext_id, u.avatar"

/* $1 event, $2 limit, $3 offset: skipped in the index. */
#define PAGE_BY_OFFSET \
	PAGE_COLUMNS \
	"  FROM (SELECT i.user_id, i.invited_at" \
	"          FROM ONLY invite_api.event_invites i" \
	"         WHERE i.event_id OPERATOR(pg_catalog.=) $1" \
	"         ORDER BY i.invited_at, i.user_id" \
	"         LIMIT $2 OFFSET $3) p" \
	PAGE_USERS

/*
 * The counted layouts skip small offsets the same way: below this many rows,
 * skipping them in the index costs less than finding their run.
 */
#define SKIP_WITHOUT_RUNS 256

/*
 * The first two columns of every layout's access query: does event $1
 * exist, and does user $2 manage it?
 */
#define EVENT_ACCESS \
	"SELECT EXISTS (SELECT FROM invite_api.events e" \
	"               WHERE e.id OPERATOR(pg_catalog.=) $1)," \
	"       EXISTS (SELECT FROM invite_api.event_managers m" \
	"               WHERE m.event_id OPERATOR(pg_catalog.=) $1" \
	"                 AND m.user_id OPERATOR(pg_catalog.=) $2)"

/* --- 1.0 ---------------------------------------------------------------- */

static SavedQuery access_query = {
	.sql = EVENT_ACCESS,
	.nargs = 2,
	.argtypes = {INT8OID, INT8OID}
};

static SavedQuery count_query = {
	.sql =
	"SELECT pg_catalog.count(*) FROM ONLY invite_api.event_invites i"
	" WHERE i.event_id OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {INT8OID}
};

static SavedQuery page_query = {
	.sql = PAGE_BY_OFFSET,
	.nargs = 3,
	.argtypes = {INT8OID, INT8OID, INT8OID}
};

/* --- 1.1 ---------------------------------------------------------------- */

/* Access and count in one query. */
static SavedQuery runs_access_query = {
	.sql =
	EVENT_ACCESS ","
	"       COALESCE((SELECT c.invites FROM invite_api.invite_counts c"
	"                  WHERE c.event_id OPERATOR(pg_catalog.=) $1), 0)",
	.nargs = 2,
	.argtypes = {INT8OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/*
 * An event counted as empty that has invites: they were written with the
 * triggers off.  Checked only when the count is 0, where a wrong count would
 * otherwise pass for an empty page.  (1.2 uses it too.)
 */
static SavedQuery uncounted_invites_query = {
	.sql =
	"SELECT EXISTS (SELECT FROM ONLY invite_api.event_invites i"
	"               WHERE i.event_id OPERATOR(pg_catalog.=) $1)",
	.nargs = 1,
	.argtypes = {INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/* Small offsets, skipped in the index by both counted layouts. */
static SavedQuery counted_page_query = {
	.sql = PAGE_BY_OFFSET,
	.nargs = 3,
	.argtypes = {INT8OID, INT8OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/*
 * Find the run holding position $3 by summing run sizes, then read the page
 * from that run's first key, skipping less than a run.  The window aggregate
 * emits runs in order and LIMIT 1 stops it at the run found.  _from_start
 * sums from the first run, _from_end from the last ($4 is the count).  The
 * run is computed once (MATERIALIZED) and used as constants, so the page
 * keeps its index order to the end.
 */
#define RUNS_PAGE(run_subquery) \
	"WITH run AS MATERIALIZED (" run_subquery ")" \
	PAGE_COLUMNS \
	"  FROM (SELECT i.user_id, i.invited_at" \
	"          FROM ONLY invite_api.event_invites i" \
	"         WHERE i.event_id OPERATOR(pg_catalog.=) $1" \
	"           AND (i.invited_at, i.user_id) >=" \
	"               (SELECT run.first_at, run.first_user FROM run)" \
	"         ORDER BY i.invited_at, i.user_id" \
	"         LIMIT $2 OFFSET (SELECT run.skip FROM run)) p" \
	PAGE_USERS

static SavedQuery runs_page_from_start_query = {
	.sql = RUNS_PAGE(
		"SELECT s.first_at, s.first_user, $3 - s.before AS skip"
		"  FROM (SELECT r.first_at, r.first_user, r.invites,"
		"               pg_catalog.sum(r.invites) OVER w - r.invites AS before"
		"          FROM invite_api.invite_runs r"
		"         WHERE r.event_id OPERATOR(pg_catalog.=) $1"
		"        WINDOW w AS (ORDER BY r.first_at, r.first_user)) s"
		" WHERE s.before + s.invites > $3"
		" ORDER BY s.first_at, s.first_user"
		" LIMIT 1"),
	.nargs = 3,
	.argtypes = {INT8OID, INT8OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

static SavedQuery runs_page_from_end_query = {
	.sql = RUNS_PAGE(
		"SELECT s.first_at, s.first_user, $3 - ($4 - s.through) AS skip"
		"  FROM (SELECT r.first_at, r.first_user,"
		"               pg_catalog.sum(r.invites) OVER w AS through"
		"          FROM invite_api.invite_runs r"
		"         WHERE r.event_id OPERATOR(pg_catalog.=) $1"
		"        WINDOW w AS (ORDER BY r.first_at DESC, r.first_user DESC)) s"
		" WHERE $4 - s.through <= $3"
		" ORDER BY s.first_at DESC, s.first_user DESC"
		" LIMIT 1"),
	.nargs = 4,
	.argtypes = {INT8OID, INT8OID, INT8OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/* --- 1.2 ---------------------------------------------------------------- */

/*
 * Access, the count with the changes not folded yet, the height of the
 * event's runs (-1 when it has none yet), how many changes are pending, and
 * whether the runs can be trusted - in one query.
 */
static SavedQuery tree_access_query = {
	.sql =
	EVENT_ACCESS ","
	"       COALESCE(c.invites, 0) + COALESCE(p.delta, 0),"
	"       COALESCE(c.height, -1),"
	"       p.changes,"
	"       COALESCE((SELECT s.trusted FROM invite_api.invite_positions_state s), false)"
	"  FROM (SELECT pg_catalog.count(*) AS changes,"
	"               CAST(pg_catalog.sum(ch.delta) AS pg_catalog.int8) AS delta"
	"          FROM invite_api.invite_changes ch"
	"         WHERE ch.event_id OPERATOR(pg_catalog.=) $1) p"
	"  LEFT JOIN (SELECT CAST(c.invites AS pg_catalog.int8) AS invites,"
	"                    CAST(c.height AS pg_catalog.int4) AS height"
	"               FROM invite_api.invite_counts c"
	"              WHERE c.event_id OPERATOR(pg_catalog.=) $1) c ON true",
	.nargs = 2,
	.argtypes = {INT8OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/* The event's changes not folded yet, in key order. */
static SavedQuery tree_changes_query = {
	.sql =
	"SELECT ch.first_at, ch.first_user, ch.last_at, ch.last_user,"
	"       CAST(ch.delta AS pg_catalog.int8)"
	"  FROM invite_api.invite_changes ch"
	" WHERE ch.event_id OPERATOR(pg_catalog.=) $1"
	" ORDER BY ch.first_at, ch.first_user",
	.nargs = 1,
	.argtypes = {INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/* $1 event, $2 limit, from key ($3, $4) on, skipping $5. */
static SavedQuery tree_page_from_query = {
	.sql =
	PAGE_COLUMNS
	"  FROM (SELECT i.user_id, i.invited_at"
	"          FROM ONLY invite_api.event_invites i"
	"         WHERE i.event_id OPERATOR(pg_catalog.=) $1"
	"           AND ROW(i.invited_at, i.user_id) >= ROW($3, $4)"
	"         ORDER BY i.invited_at, i.user_id"
	"         LIMIT $2 OFFSET $5) p"
	PAGE_USERS,
	.nargs = 5,
	.argtypes = {INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/*
 * The page from the end of the run that holds its first position, for a
 * position in the run's second half: $5 rows are skipped backwards from the
 * run's end, the $2 rows before them taken, then the $6 rows from the run's
 * end on (when the page goes past it).  The run ends before key ($3, $4);
 * the _to_end query is for the event's last run ($3 is the skip).
 */
static SavedQuery tree_page_before_query = {
	.sql =
	PAGE_COLUMNS
	"  FROM ((SELECT i.user_id, i.invited_at"
	"           FROM ONLY invite_api.event_invites i"
	"          WHERE i.event_id OPERATOR(pg_catalog.=) $1"
	"            AND ROW(i.invited_at, i.user_id) < ROW($3, $4)"
	"          ORDER BY i.invited_at DESC, i.user_id DESC"
	"          LIMIT $2 OFFSET $5)"
	"        UNION ALL"
	"        (SELECT i.user_id, i.invited_at"
	"           FROM ONLY invite_api.event_invites i"
	"          WHERE i.event_id OPERATOR(pg_catalog.=) $1"
	"            AND ROW(i.invited_at, i.user_id) >= ROW($3, $4)"
	"          ORDER BY i.invited_at, i.user_id"
	"          LIMIT $6)) p"
	PAGE_USERS,
	.nargs = 6,
	.argtypes = {INT8OID, INT8OID, TIMESTAMPTZOID, INT8OID, INT8OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

static SavedQuery tree_page_before_end_query = {
	.sql =
	PAGE_COLUMNS
	"  FROM (SELECT i.user_id, i.invited_at"
	"          FROM ONLY invite_api.event_invites i"
	"         WHERE i.event_id OPERATOR(pg_catalog.=) $1"
	"         ORDER BY i.invited_at DESC, i.user_id DESC"
	"         LIMIT $2 OFFSET $3) p"
	PAGE_USERS,
	.nargs = 3,
	.argtypes = {INT8OID, INT8OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/* A pending change: delta invites among the keys first..last. */
typedef struct PendingChange
{
	InviteKey	first;
	InviteKey	last;
	int64		delta;
} PendingChange;

/* Where the descent is: the range of runs to look at, the position in it. */
typedef struct TreeStep
{
	bool		from_start;		/* the range starts at the event's first run */
	InviteKey	first;
	bool		to_end;			/* the range ends with the event's last run */
	InviteKey	next;
	int64		position;
	int64		invites;		/* in the range: the event's, then the run's */
} TreeStep;

/*
 * Run a query read-only (the caller's snapshot); fail unless it returns
 * "expected" rows (any number when negative).
 */
static uint64
run(SavedQuery *query, Datum *values, const char *nulls, int expected)
{
	uint64		rows = saved_query_run(query, values, nulls, true);

	if (expected >= 0 && rows != (uint64) expected)
		elog(ERROR, "query returned " UINT64_FORMAT " rows, expected %d: \"%s\"",
			 rows, expected, query->sql);
	return rows;
}

/* Column "attno" of result row "row", which must not be null. */
static Datum
row_value(uint64 row, int attno)
{
	bool		isnull;
	Datum		value = SPI_getbinval(SPI_tuptable->vals[row],
									  SPI_tuptable->tupdesc, attno, &isnull);

	if (isnull)
		elog(ERROR, "unexpected null in column %d", attno);
	return value;
}

/* Columns attno and attno + 1 of a row as a key; false when null. */
static bool
row_key(uint64 row, int attno, InviteKey *key)
{
	bool		isnull;
	Datum		at = SPI_getbinval(SPI_tuptable->vals[row],
								   SPI_tuptable->tupdesc, attno, &isnull);

	if (isnull)
		return false;
	key->at = DatumGetTimestampTz(at);
	key->user = DatumGetInt64(row_value(row, attno + 1));
	return true;
}

/* The count and runs kept beside the invites disagree with them. */
static void
positions_do_not_match(int64 event_id, int64 count, int32 offset)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invite positions of event " INT64_FORMAT " do not match its invites",
					event_id),
			 errdetail("The count says " INT64_FORMAT " invites, but the invites at offset %d do not match.",
					   count, offset),
			 errhint("Run SELECT invite_api.rebuild_invite_positions(); after loading invites with triggers disabled.")));
}

/* The triggers that keep the runs were disabled or dropped at some point. */
static void
positions_untrusted(int64 event_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invite positions of event " INT64_FORMAT " cannot be trusted",
					event_id),
			 errdetail("The triggers that keep the counts and runs of invite_api.event_invites were disabled or dropped, so invites may have been written without them."),
			 errhint("Run SELECT invite_api.rebuild_invite_positions(); as the extension's owner.")));
}

EventAccess
invite_query_access(InviteLayout layout, int64 event_id, int64 user_id,
					InviteCount *count)
{
	Datum		args[2] = {Int64GetDatum(event_id), Int64GetDatum(user_id)};

	switch (layout)
	{
		case INVITES_PLAIN:
			run(&access_query, args, NULL, 1);
			break;
		case INVITES_RUNS:
			run(&runs_access_query, args, NULL, 1);
			break;
		case INVITES_TREE:
			run(&tree_access_query, args, NULL, 1);
			break;
	}
	if (!DatumGetBool(row_value(0, 1)))
		return EVENT_MISSING;
	if (!DatumGetBool(row_value(0, 2)))
		return EVENT_NOT_MANAGER;

	memset(count, 0, sizeof(*count));
	switch (layout)
	{
		case INVITES_PLAIN:
			/* count(*) only once the caller may see it: it reads every invite */
			run(&count_query, args, NULL, 1);
			count->invites = DatumGetInt64(row_value(0, 1));
			break;
		case INVITES_RUNS:
			count->invites = DatumGetInt64(row_value(0, 3));
			break;
		case INVITES_TREE:
			count->invites = DatumGetInt64(row_value(0, 3));
			count->height = DatumGetInt32(row_value(0, 4));
			count->changes = DatumGetInt64(row_value(0, 5));
			count->trusted = DatumGetBool(row_value(0, 6));
			break;
	}
	return EVENT_MANAGER;
}

/*
 * Does the event exist, and does the user manage it?  The same for every
 * layout: it reads only events and event_managers.
 */
EventAccess
invite_query_manager(int64 event_id, int64 user_id)
{
	Datum		args[2] = {Int64GetDatum(event_id), Int64GetDatum(user_id)};

	run(&access_query, args, NULL, 1);
	if (!DatumGetBool(row_value(0, 1)))
		return EVENT_MISSING;
	if (!DatumGetBool(row_value(0, 2)))
		return EVENT_NOT_MANAGER;
	return EVENT_MANAGER;
}

/* 1.1: the run holding the offset, found from the nearer end. */
static uint64
runs_page(int64 event_id, int32 limit, int32 offset, int64 count)
{
	Datum		args[4] = {
		Int64GetDatum(event_id), Int64GetDatum(limit), Int64GetDatum(offset),
		Int64GetDatum(count)
	};
	SavedQuery *query;
	uint64		nrows;

	if (count == 0)
	{
		run(&uncounted_invites_query, args, NULL, 1);
		if (DatumGetBool(row_value(0, 1)))
			positions_do_not_match(event_id, count, offset);
	}
	if (offset >= count)
		return 0;
	if (offset < SKIP_WITHOUT_RUNS)
		query = &counted_page_query;
	else if (offset < count / 2)
		query = &runs_page_from_start_query;
	else
		query = &runs_page_from_end_query;
	nrows = run(query, args, NULL, -1);

	/* Position "offset" exists, so a consistent index finds it. */
	if (nrows == 0)
		positions_do_not_match(event_id, count, offset);
	return nrows;
}

/* Start reading the step's range of runs of "level". */
static void
scan_range(RunScan *runs, int64 event_id, int level, const TreeStep *step,
		   bool backward)
{
	run_scan_start(runs, event_id, level,
				   step->from_start ? NULL : &step->first,
				   step->to_end ? NULL : &step->next, backward);
}

/* Move the step into "run", "before" invites of its range before it. */
static void
enter_run(TreeStep *step, const RunRow *run, int64 invites, int64 before)
{
	step->from_start = false;
	step->first = run->first;
	step->to_end = run->last;
	step->next = run->next;
	step->position -= before;
	step->invites = invites;
}

/*
 * One level down, with no changes pending: the run of this level that holds
 * the step's position, its runs summed from the nearer end of the range.
 * Summing from the end relies on the range's runs holding what the run above
 * them holds, which every fold keeps (and test/helpers/checks.sql checks).
 * False when there is none (the counts are wrong).
 */
static bool
step_down(RunScan *runs, int64 event_id, int level, TreeStep *step)
{
	bool		from_end = step->position * 2 >= step->invites;
	int64		skipped = 0;	/* invites of the runs passed */
	RunRow		run;

	scan_range(runs, event_id, level, step, from_end);
	while (run_scan_next(runs, &run))
	{
		if (from_end)
		{
			/* passed: the invites after the run */
			if (step->invites - step->position <= skipped + run.invites)
			{
				enter_run(step, &run, run.invites,
						  step->invites - skipped - run.invites);
				return true;
			}
		}
		else if (step->position < skipped + run.invites)
		{
			enter_run(step, &run, run.invites, skipped);
			return true;
		}
		skipped += run.invites;
	}
	return false;
}

/*
 * One level down, adding the pending changes to the runs they fall in.
 * Returns 1 when the step moved to the run holding its position, 0 when
 * there is none (the counts are wrong), -1 when a change spans two runs of
 * this level (it was logged against runs split since): then the runs cannot
 * say where the position is.
 */
static int
step_down_with_changes(RunScan *runs, int64 event_id, int level, TreeStep *step,
					   const PendingChange *changes, int nchanges)
{
	int			c = 0;
	int64		before = 0;
	RunRow		run;

	scan_range(runs, event_id, level, step, false);
	while (run_scan_next(runs, &run))
	{
		int64		invites = run.invites;

		/* changes before this run are in runs outside the range */
		while (c < nchanges && invite_key_cmp(&changes[c].first, &run.first) < 0)
			c++;
		for (; c < nchanges && (run.last || invite_key_cmp(&changes[c].first, &run.next) < 0); c++)
		{
			if (!run.last && invite_key_cmp(&changes[c].last, &run.next) >= 0)
				return -1;
			invites += changes[c].delta;
		}
		if (before + invites > step->position)
		{
			enter_run(step, &run, invites, before);
			return 1;
		}
		before += invites;
	}
	return 0;
}

/* The event's pending changes, copied out of SPI's result. */
static PendingChange *
pending_changes(int64 event_id, int *nchanges)
{
	Datum		args[1] = {Int64GetDatum(event_id)};
	uint64		n = run(&tree_changes_query, args, NULL, -1);
	PendingChange *changes = palloc(sizeof(PendingChange) * Max(n, 1));

	for (uint64 i = 0; i < n; i++)
	{
		row_key(i, 1, &changes[i].first);
		row_key(i, 3, &changes[i].last);
		changes[i].delta = DatumGetInt64(row_value(i, 5));
	}
	*nchanges = (int) n;
	return changes;
}

/* 1.2: down the tree of counted runs to the run holding the offset. */
static uint64
tree_page(int64 event_id, int32 limit, int32 offset, const InviteCount *count)
{
	TreeStep	step = {
		.from_start = true, .to_end = true, .position = offset,
		.invites = count->invites
	};
	PendingChange *changes = NULL;
	int			nchanges = 0;
	Datum		values[6];
	uint64		nrows;

	if (!count->trusted)
		positions_untrusted(event_id);
	if (count->invites == 0)
	{
		values[0] = Int64GetDatum(event_id);
		run(&uncounted_invites_query, values, NULL, 1);
		if (DatumGetBool(row_value(0, 1)))
			positions_do_not_match(event_id, count->invites, offset);
	}
	if (offset >= count->invites)
		return 0;

	if (offset >= SKIP_WITHOUT_RUNS && count->height >= 0)
	{
		RunScan    *runs;

		if (count->changes > 0)
			changes = pending_changes(event_id, &nchanges);
		runs = run_scan_open();
		for (int level = count->height; level >= 0; level--)
		{
			int			found;

			if (changes == NULL)
				found = step_down(runs, event_id, level, &step) ? 1 : 0;
			else
				found = step_down_with_changes(runs, event_id, level, &step,
											   changes, nchanges);
			if (found == 0)
				positions_do_not_match(event_id, count->invites, offset);
			if (found < 0)
			{
				/* skip in the index from the start, as 1.0 does */
				step.from_start = true;
				step.position = offset;
				break;
			}
		}
		run_scan_close(runs);
	}

	values[0] = Int64GetDatum(event_id);
	values[1] = Int64GetDatum(limit);
	if (step.from_start)
	{
		values[2] = Int64GetDatum(step.position);
		nrows = run(&counted_page_query, values, NULL, -1);
	}
	else if (step.position * 2 > step.invites)
	{
		/* nearer the run's end: skip from there, backwards */
		int64		after_position = step.invites - step.position;
		int64		before_end = Min(after_position, (int64) limit);

		values[1] = Int64GetDatum(before_end);
		if (step.to_end)
		{
			values[2] = Int64GetDatum(after_position - before_end);
			nrows = run(&tree_page_before_end_query, values, NULL, -1);
		}
		else
		{
			values[2] = TimestampTzGetDatum(step.next.at);
			values[3] = Int64GetDatum(step.next.user);
			values[4] = Int64GetDatum(after_position - before_end);
			values[5] = Int64GetDatum(limit - before_end);
			nrows = run(&tree_page_before_query, values, NULL, -1);
		}
	}
	else
	{
		values[2] = TimestampTzGetDatum(step.first.at);
		values[3] = Int64GetDatum(step.first.user);
		values[4] = Int64GetDatum(step.position);
		nrows = run(&tree_page_from_query, values, NULL, -1);
	}

	/* Position "offset" exists, so a consistent index finds it. */
	if (nrows == 0)
		positions_do_not_match(event_id, count->invites, offset);
	return nrows;
}

uint64
invite_query_page(InviteLayout layout, int64 event_id, int32 limit,
				  int32 offset, const InviteCount *count)
{
	Datum		args[3] = {
		Int64GetDatum(event_id), Int64GetDatum(limit), Int64GetDatum(offset)
	};

	switch (layout)
	{
		case INVITES_PLAIN:
			return run(&page_query, args, NULL, -1);
		case INVITES_RUNS:
			return runs_page(event_id, limit, offset, count->invites);
		case INVITES_TREE:
			break;
	}
	return tree_page(event_id, limit, offset, count);
}

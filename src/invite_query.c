/*
 * invite_query.c
 *		The SQL of the endpoint, prepared once per backend.
 *
 * Every name is schema-qualified and equality is spelled
 * OPERATOR(pg_catalog.=); the SQL function also pins search_path to
 * pg_catalog, pg_temp, where the remaining operators (row comparisons,
 * arithmetic) resolve.  Neither the caller's search_path nor temporary
 * objects can change what is read.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"

#include "invite_query.h"

/*
 * A query text and its plan, kept for the life of the backend.
 *
 * The queries of the counted layout always use their generic plan: it is
 * right for every event (index scans by event, users by primary key), and
 * planning each call anew would cost more than running it.  Its cost
 * estimate is high, since it cannot know that LIMIT $2 is small; the SQL
 * function turns JIT off, which would otherwise compile it on every call,
 * and Memoize, which would size (and zero) a cache for that many users.
 */
typedef struct SavedQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[4];
	int			cursor_options;
	SPIPlanPtr	plan;
} SavedQuery;

static SavedQuery access_query = {
	.sql =
	"SELECT EXISTS (SELECT FROM invite_api.events e"
	"               WHERE e.id OPERATOR(pg_catalog.=) $1),"
	"       EXISTS (SELECT FROM invite_api.event_managers m"
	"               WHERE m.event_id OPERATOR(pg_catalog.=) $1"
	"                 AND m.user_id OPERATOR(pg_catalog.=) $2)",
	.nargs = 2,
	.argtypes = {INT8OID, INT8OID}
};

static SavedQuery count_query = {
	.sql =
	"SELECT pg_catalog.count(*) FROM invite_api.event_invites i"
	" WHERE i.event_id OPERATOR(pg_catalog.=) $1",
	.nargs = 1,
	.argtypes = {INT8OID}
};

/* For the counted layout, access and count in one query. */
static SavedQuery counted_access_query = {
	.sql =
	"SELECT EXISTS (SELECT FROM invite_api.events e"
	"               WHERE e.id OPERATOR(pg_catalog.=) $1),"
	"       EXISTS (SELECT FROM invite_api.event_managers m"
	"               WHERE m.event_id OPERATOR(pg_catalog.=) $1"
	"                 AND m.user_id OPERATOR(pg_catalog.=) $2),"
	"       COALESCE((SELECT c.invites FROM invite_api.invite_counts c"
	"                  WHERE c.event_id OPERATOR(pg_catalog.=) $1), 0)",
	.nargs = 2,
	.argtypes = {INT8OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/*
 * An event counted as empty that has invites: they were written with the
 * triggers off.  Checked only when the count is 0, where a wrong count would
 * otherwise pass for an empty page.
 */
static SavedQuery uncounted_invites_query = {
	.sql =
	"SELECT EXISTS (SELECT FROM invite_api.event_invites i"
	"               WHERE i.event_id OPERATOR(pg_catalog.=) $1)",
	.nargs = 1,
	.argtypes = {INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/*
 * Page the invites first (in index order), then fetch only the page's users:
 * rows skipped by OFFSET are never joined.  The users are looked up one by
 * one by primary key: a generic plan cannot know that LIMIT $2 is small, and
 * would otherwise hash-join against every user.  (OFFSET 0 keeps the planner
 * from flattening the lookup into a join.)
 */
#define PAGE_USERS \
	" CROSS JOIN LATERAL" \
	"       (SELECT u.id, u.username, u.real_name, u.ext_id, u.avatar" \
	"          FROM invite_api.users u" \
	"         WHERE u.id OPERATOR(pg_catalog.=) p.user_id OFFSET 0) u" \
	" ORDER BY p.invited_at, p.user_id"

#define PAGE_BY_OFFSET \
	"SELECT u.id, u.username, u.real_name, u.ext_id, u.avatar" \
	"  FROM (SELECT i.user_id, i.invited_at" \
	"          FROM invite_api.event_invites i" \
	"         WHERE i.event_id OPERATOR(pg_catalog.=) $1" \
	"         ORDER BY i.invited_at, i.user_id" \
	"         LIMIT $2 OFFSET $3) p" \
	PAGE_USERS

static SavedQuery page_query = {
	.sql = PAGE_BY_OFFSET,
	.nargs = 3,
	.argtypes = {INT8OID, INT8OID, INT8OID}
};

/*
 * The counted layout skips small offsets the same way: below this many rows,
 * skipping them in the index costs less than finding their run.
 */
#define SKIP_WITHOUT_RUNS 256

static SavedQuery counted_page_query = {
	.sql = PAGE_BY_OFFSET,
	.nargs = 3,
	.argtypes = {INT8OID, INT8OID, INT8OID},
	.cursor_options = CURSOR_OPT_GENERIC_PLAN
};

/*
 * With runs: find the run holding position $3 by summing run sizes, then
 * read the page from that run's first key, skipping less than a run.  The
 * window aggregate emits runs in order and LIMIT 1 stops it at the run
 * found, so only the runs before it are read.  The _from_start query sums
 * from the first run, the _from_end one from the last ($4 is the count):
 * the caller picks the nearer end.  The run is computed once (MATERIALIZED)
 * and used as constants, so the page keeps its index order to the end.
 */
#define PAGE_FROM_RUN(run_subquery) \
	"WITH run AS MATERIALIZED (" run_subquery ")" \
	"SELECT u.id, u.username, u.real_name, u.ext_id, u.avatar" \
	"  FROM (SELECT i.user_id, i.invited_at" \
	"          FROM invite_api.event_invites i" \
	"         WHERE i.event_id OPERATOR(pg_catalog.=) $1" \
	"           AND (i.invited_at, i.user_id) >=" \
	"               (SELECT run.first_at, run.first_user FROM run)" \
	"         ORDER BY i.invited_at, i.user_id" \
	"         LIMIT $2 OFFSET (SELECT run.skip FROM run)) p" \
	PAGE_USERS

static SavedQuery page_from_start_query = {
	.sql = PAGE_FROM_RUN(
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

static SavedQuery page_from_end_query = {
	.sql = PAGE_FROM_RUN(
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

/* Run a saved query read-only, preparing it on first use. */
static uint64
run(SavedQuery *query, Datum *values, int expected)
{
	int			rc;

	if (query->plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(query->sql, query->nargs,
											  query->argtypes,
											  query->cursor_options);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare_cursor failed for \"%s\": %s",
				 query->sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		query->plan = plan;
	}

	rc = SPI_execute_plan(query->plan, values, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_plan returned %s for \"%s\"",
			 SPI_result_code_string(rc), query->sql);
	if (expected >= 0 && SPI_processed != (uint64) expected)
		elog(ERROR, "query returned " UINT64_FORMAT " rows, expected %d: \"%s\"",
			 SPI_processed, expected, query->sql);
	return SPI_processed;
}

/* Column "attno" of the first result row, which must not be null. */
static Datum
first_row_value(int attno)
{
	bool		isnull;
	Datum		value = SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, attno, &isnull);

	if (isnull)
		elog(ERROR, "unexpected null in column %d", attno);
	return value;
}

/* The count and runs kept by the triggers disagree with the invites. */
static void
positions_do_not_match(int64 event_id, int64 count, int32 offset)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invite positions of event " INT64_FORMAT " do not match its invites",
					event_id),
			 errdetail("invite_counts says " INT64_FORMAT " invites, but the invites at offset %d do not match.",
					   count, offset),
			 errhint("Run SELECT invite_api.rebuild_invite_positions(); after loading invites with triggers disabled.")));
}

EventAccess
invite_query_access(InviteLayout layout, int64 event_id, int64 user_id,
					int64 *count)
{
	Datum		args[2] = {Int64GetDatum(event_id), Int64GetDatum(user_id)};

	run(layout == INVITES_COUNTED ? &counted_access_query : &access_query,
		args, 1);
	if (!DatumGetBool(first_row_value(1)))
		return EVENT_MISSING;
	if (!DatumGetBool(first_row_value(2)))
		return EVENT_NOT_MANAGER;

	if (layout == INVITES_COUNTED)
		*count = DatumGetInt64(first_row_value(3));
	else
	{
		/* count(*) only once the caller may see it: it reads every invite */
		run(&count_query, args, 1);
		*count = DatumGetInt64(first_row_value(1));
	}
	return EVENT_MANAGER;
}

EventAccess
invite_query_manager(int64 event_id, int64 user_id)
{
	Datum		args[2] = {Int64GetDatum(event_id), Int64GetDatum(user_id)};

	run(&access_query, args, 1);
	if (!DatumGetBool(first_row_value(1)))
		return EVENT_MISSING;
	if (!DatumGetBool(first_row_value(2)))
		return EVENT_NOT_MANAGER;
	return EVENT_MANAGER;
}

uint64
invite_query_page(InviteLayout layout, int64 event_id, int32 limit,
				  int32 offset, int64 count)
{
	Datum		args[4] = {
		Int64GetDatum(event_id), Int64GetDatum(limit), Int64GetDatum(offset),
		Int64GetDatum(count)
	};
	SavedQuery *query;
	uint64		nrows;

	if (layout == INVITES_PLAIN)
		return run(&page_query, args, -1);

	if (count == 0)
	{
		run(&uncounted_invites_query, args, 1);
		if (DatumGetBool(first_row_value(1)))
			positions_do_not_match(event_id, count, offset);
	}
	if (offset >= count)
		return 0;
	if (offset < SKIP_WITHOUT_RUNS)
		query = &counted_page_query;
	else if (offset < count / 2)
		query = &page_from_start_query;
	else
		query = &page_from_end_query;
	nrows = run(query, args, -1);

	/* Position "offset" exists, so a consistent index finds it. */
	if (nrows == 0)
		positions_do_not_match(event_id, count, offset);
	return nrows;
}

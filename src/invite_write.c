/*
 * invite_write.c
 *		The SQL of POST and DELETE /api/v2/event/{id}/invite/.
 *
 * Each call writes with one statement for its whole list (never one per
 * user), over the list sorted and without repeats.  Before writing, a call
 * takes its turn on the event (invite_api.take_event_turn(): an update of
 * the event's count row), so that calls of one event take turns: under READ
 * COMMITTED the statement that follows takes its snapshot once the previous
 * call has committed, and every call's result is as if it ran after the
 * other; under REPEATABLE READ and SERIALIZABLE a call racing one committed
 * since its snapshot fails with 40001.  (Without it, inviting users 1 and 2,
 * 1 invited already, while another call uninvites both could leave 2
 * invited and 1 not, which neither order gives.)  Clients writing the
 * event's invites directly do not wait for it.
 *
 * The plans are prepared once per backend.  As in invite_query.c, every
 * name is schema-qualified and equality is spelled OPERATOR(pg_catalog.=);
 * the SQL functions pin search_path to pg_catalog, pg_temp.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"

#include "invite_write.h"
#include "saved_query.h"
#include "settings.h"

/* How many unknown users an error names. */
#define UNKNOWN_USERS_NAMED 5

/*
 * Which of the users ($1) exist, in id order.  An invite locks them as a
 * foreign key check does (FOR KEY SHARE, which only deleting a user or
 * changing its id waits for): a user deleted meanwhile is then found missing
 * here, rather than failing the insert's foreign key check, and cannot be
 * deleted until the invite commits.
 */
#define USERS_FOUND \
	"SELECT x.id FROM invite_api.users x" \
	" WHERE x.id OPERATOR(pg_catalog.=) ANY ($1)" \
	" ORDER BY x.id"

static SavedQuery users_found_plan = {
	.sql = USERS_FOUND,
	.nargs = 1,
	.argtypes = {INT8ARRAYOID},
	.expected_rc = SPI_OK_SELECT
};

static SavedQuery users_found_locked_plan = {
	.sql = USERS_FOUND " FOR KEY SHARE OF x",
	.nargs = 1,
	.argtypes = {INT8ARRAYOID},
	.expected_rc = SPI_OK_SELECT
};

static SavedQuery lock_event_plan = {
	.sql = "SELECT invite_api.take_event_turn($1)",
	.nargs = 1,
	.argtypes = {INT8OID},
	.expected_rc = SPI_OK_SELECT
};

/*
 * One invited_at for the whole call: statement_timestamp() is the start of
 * the client's statement, so a later call in the same transaction pages
 * after this one.  An existing invite keeps its time and inviter.
 */
static SavedQuery insert_plan = {
	.sql =
	"INSERT INTO invite_api.event_invites AS i"
	" (event_id, user_id, invited_by, invited_at)"
	" SELECT $1, u.id, $3, pg_catalog.statement_timestamp()"
	" FROM pg_catalog.unnest($2) AS u(id)"
	" ORDER BY u.id"
	" ON CONFLICT (event_id, user_id) DO NOTHING",
	.nargs = 3,
	.argtypes = {INT8OID, INT8ARRAYOID, INT8OID},
	.expected_rc = SPI_OK_INSERT
};

/*
 * The listed users' invites, found by their key, whatever the statistics
 * say of the event.  With the event's id a constant of the statement
 * ("WHERE event_id = $1 AND user_id = ANY ($2)"), the planner estimates the
 * event's invites from the statistics, and when they do not know the event
 * yet (a new one, until the next ANALYZE) a custom plan takes it for one
 * row and reads the whole event through event_invites_page_idx, the list a
 * filter: removing 3 users from a new event of a million read the million.
 * Here the id and the list come through a subquery that the planner keeps
 * apart (OFFSET 0): it knows neither, takes the event for one of average
 * size, and looks the list up in the primary key, one descent per user.
 * The conditions are the plain statement's, so that under READ COMMITTED
 * an invite updated meanwhile is rechecked against them as the plain
 * statement would (specs/uninvite_rechecks.spec).
 */
static SavedQuery delete_plan = {
	.sql =
	"DELETE FROM invite_api.event_invites i"
	" USING (SELECT $1 AS event_id, $2 AS users OFFSET 0) l"
	" WHERE i.event_id OPERATOR(pg_catalog.=) l.event_id"
	" AND i.user_id OPERATOR(pg_catalog.=) ANY (l.users)",
	.nargs = 2,
	.argtypes = {INT8OID, INT8ARRAYOID},
	.expected_rc = SPI_OK_DELETE
};

/*
 * Run a statement as a write (new snapshot, the checks of a read-write
 * statement); the number of rows it returned or changed.
 */
static uint64
execute(SavedQuery *stmt, Datum *values)
{
	return saved_query_run(stmt, values, NULL, false);
}

/* qsort() order of int64 values. */
static int
compare_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * The list sorted and without repeats, after the checks of its form and
 * size (22023).
 */
ArrayType *
invite_write_user_list(ArrayType *users)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;
	int64	   *ids;
	int			ndistinct;

	if (ARR_NDIM(users) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"users\" must be a one-dimensional array"),
				 errdetail("The array has %d dimensions.", ARR_NDIM(users))));

	if (ARR_ELEMTYPE(users) != INT8OID)
		elog(ERROR, "\"users\" is not a bigint[]");
	deconstruct_array(users, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &elems, &nulls, &nelems);
	if (nelems == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("\"users\" must not be empty"),
				 errdetail("The list must name at least one user.")));

	ids = palloc(sizeof(int64) * nelems);
	for (int i = 0; i < nelems; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("\"users\" must not contain nulls"),
					 errdetail("Element %d of the list is null.", i + 1)));
		ids[i] = DatumGetInt64(elems[i]);
	}

	qsort(ids, nelems, sizeof(int64), compare_int64);
	ndistinct = 1;
	for (int i = 1; i < nelems; i++)
		if (ids[i] != ids[ndistinct - 1])
			ids[ndistinct++] = ids[i];

	if (ndistinct > invite_api_max_batch)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("too many distinct users: %d", ndistinct),
				 errdetail_plural("At most %d distinct user can be invited or uninvited in one call.",
								  "At most %d distinct users can be invited or uninvited in one call.",
								  invite_api_max_batch, invite_api_max_batch),
				 errhint("Split the list, or raise invite_api.max_batch.")));

	for (int i = 0; i < ndistinct; i++)
		elems[i] = Int64GetDatum(ids[i]);
	return construct_array(elems, ndistinct, INT8OID, sizeof(int64),
						   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * Refuse the list (22023) when users in it do not exist, naming the lowest
 * ids of them; with "lock", keep the others from being deleted until the
 * end of the transaction.
 */
void
invite_write_check_users(ArrayType *users, bool lock)
{
	Datum		args[1] = {PointerGetDatum(users)};
	Datum	   *ids;
	int			nids;
	uint64		nfound;
	uint64		found = 0;
	int64		missing = 0;
	StringInfoData named;

	deconstruct_array(users, INT8OID, sizeof(int64), FLOAT8PASSBYVAL,
					  TYPALIGN_DOUBLE, &ids, NULL, &nids);
	nfound = execute(lock ? &users_found_locked_plan : &users_found_plan,
					 args);
	if (nfound == (uint64) nids)
		return;

	/* Both lists are sorted and distinct: walk them side by side. */
	initStringInfo(&named);
	for (int i = 0; i < nids; i++)
	{
		int64		id = DatumGetInt64(ids[i]);
		bool		isnull;

		if (found < nfound &&
			DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[found],
										SPI_tuptable->tupdesc, 1,
										&isnull)) == id)
		{
			found++;
			continue;
		}
		if (missing < UNKNOWN_USERS_NAMED)
			appendStringInfo(&named, "%s" INT64_FORMAT,
							 missing > 0 ? ", " : "", id);
		missing++;
	}

	if (missing == 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("user %s does not exist", named.data),
				 errdetail("There is no user with id %s.", named.data)));
	else if (missing <= UNKNOWN_USERS_NAMED)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg(INT64_FORMAT " of the listed users do not exist",
						missing),
				 errdetail("There are no users with ids %s.", named.data)));
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg(INT64_FORMAT " of the listed users do not exist",
						missing),
				 errdetail("There are no users with ids %s and " INT64_FORMAT " more.",
						   named.data, missing - UNKNOWN_USERS_NAMED)));
}

/* Lock the event's row for this transaction; false when it is gone. */
bool
invite_write_lock_event(int64 event_id)
{
	Datum		args[1] = {Int64GetDatum(event_id)};

	return execute(&lock_event_plan, args) == 1;
}

/* Invite those of the (sorted, distinct) users not yet invited. */
uint64
invite_write_insert(int64 event_id, ArrayType *users, int64 invited_by)
{
	Datum		args[3] = {
		Int64GetDatum(event_id), PointerGetDatum(users),
		Int64GetDatum(invited_by)
	};

	return execute(&insert_plan, args);
}

/* Remove the invites of those of the (distinct) users that have one. */
uint64
invite_write_delete(int64 event_id, ArrayType *users)
{
	Datum		args[2] = {Int64GetDatum(event_id), PointerGetDatum(users)};

	return execute(&delete_plan, args);
}

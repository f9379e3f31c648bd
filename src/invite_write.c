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
 * The plans are prepared once per backend; the uninvite's DELETE is planned
 * on the primary key by this file's planner hooks (see delete_plan).  As in
 * invite_query.c, every name is schema-qualified and equality is spelled
 * OPERATOR(pg_catalog.=); the SQL functions pin search_path to pg_catalog,
 * pg_temp.
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planner.h"
#include "rewrite/prs2lock.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"

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

/*
 * The event's row is locked first (FOR KEY SHARE, as a foreign key check
 * locks it): a call that found the event while a client's DELETE of it was
 * under way waits for that delete here, and finds no event once it has
 * committed (under REPEATABLE READ and SERIALIZABLE, fails with 40001), so
 * that the turn's insert of a count row never meets a deleted event.
 */
static SavedQuery lock_event_plan = {
	.sql =
	"WITH e AS MATERIALIZED ("
	"    SELECT e.id FROM invite_api.events e"
	"     WHERE e.id OPERATOR(pg_catalog.=) $1"
	"       FOR KEY SHARE OF e)"
	"SELECT invite_api.take_event_turn(e.id) FROM e",
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
 * The listed users' invites, each found by its key: planned on the primary
 * key alone (uninvite_paths()).  Left to choose, the planner weighs a
 * descent of the key per listed user against reading the whole event
 * through event_invites_page_idx, the list a filter, by the statistics'
 * guess of the event's size, and the guess is wrong exactly where it
 * matters: an event that is not in the statistics yet (a new one, until the
 * next ANALYZE) may be taken for one row, and so may a big event among many
 * small ones; removing 3 users from a new event of 6,000 read all 6,000,
 * and the whole event whatever its size (sql_tests/23_uninvite_reads.sql,
 * 24_uninvite_plans.sql).
 */
#define DELETE_SQL \
	"DELETE FROM invite_api.event_invites i" \
	" WHERE i.event_id OPERATOR(pg_catalog.=) $1" \
	" AND i.user_id OPERATOR(pg_catalog.=) ANY ($2)"

static SavedQuery delete_plan = {
	.sql = DELETE_SQL,
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

/* The name of the rule with this OID, for an error. */
static char *
rule_name(Oid rule_oid)
{
	static SavedQuery rule_name_query = {
		.sql = "SELECT r.rulename::pg_catalog.text FROM pg_catalog.pg_rewrite r"
		" WHERE r.oid OPERATOR(pg_catalog.=) $1",
		.nargs = 1,
		.argtypes = {OIDOID},
	};
	Datum		args[1] = {ObjectIdGetDatum(rule_oid)};

	if (saved_query_run(&rule_name_query, args, NULL, true) != 1)
		return psprintf("%u", rule_oid);
	return SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
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

/*
 * Refuse (55000) while event_invites has a rule that would change the
 * call's statement: for the uninvite, a DO INSTEAD rule ON DELETE (it would
 * replace the DELETE, for some rows or all, and the call could not say what
 * it removed); for the invite, any rule ON INSERT or ON UPDATE (PostgreSQL
 * runs no INSERT ... ON CONFLICT on such a table).  The table is locked as
 * the write locks it, so no rule comes before the write.
 */
void
invite_write_refuse_rules(bool invite)
{
	Oid			relid;
	Relation	relation;
	RuleLock   *rules;

	relid = get_relname_relid("event_invites", get_namespace_oid("invite_api", false));
	if (!OidIsValid(relid))
		elog(ERROR, "invite_api.event_invites does not exist");
	relation = table_open(relid, RowExclusiveLock);
	rules = relation->rd_rules;
	for (int i = 0; rules != NULL && i < rules->numLocks; i++)
	{
		RewriteRule *rule = rules->rules[i];
		char	   *name;

		if (invite ? rule->event != CMD_INSERT && rule->event != CMD_UPDATE
			: rule->event != CMD_DELETE || !rule->isInstead)
			continue;
		name = rule_name(rule->ruleId);
		if (invite)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("invite_api.event_invites has a rule on %s",
							rule->event == CMD_INSERT ? "INSERT" : "UPDATE"),
					 errdetail("The invite's INSERT ... ON CONFLICT cannot run on a table with rules on INSERT or UPDATE, such as rule \"%s\".",
							   name),
					 errhint("Drop the rule; a trigger can do what a DO ALSO rule does.")));
		else
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("invite_api.event_invites has a DO INSTEAD rule on DELETE"),
					 errdetail("Rule \"%s\" would replace the uninvite's DELETE.", name),
					 errhint("Drop the rule, or make it DO ALSO.")));
	}
	table_close(relation, NoLock);
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

/* Set while the planner plans delete_plan's statement (uninvite_planner()). */
static bool planning_delete = false;
static planner_hook_type prev_planner_hook = NULL;
static set_rel_pathlist_hook_type prev_set_rel_pathlist_hook = NULL;

/*
 * delete_plan's conditions as the primary key's index clauses: "event_id =
 * value" on its first column and "user_id = ANY (value)" on its second,
 * each an equality of the column's operator family; NIL unless both are
 * there (the owner changed the key or the columns).
 */
static List *
primary_key_clauses(RelOptInfo *rel, Index rti, IndexOptInfo *pkey)
{
	IndexClause *by_column[2] = {NULL, NULL};
	ListCell   *lc;

	if (pkey->nkeycolumns != 2 || !pkey->amsearcharray)
		return NIL;
	foreach(lc, rel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst(lc);
		Node	   *clause = (Node *) rinfo->clause;
		List	   *args;
		Oid			opno;
		int			column;
		Var		   *var;
		Node	   *value;
		IndexClause *index_clause;

		if (IsA(clause, OpExpr))
		{
			args = ((OpExpr *) clause)->args;
			opno = ((OpExpr *) clause)->opno;
			column = 0;
		}
		else if (IsA(clause, ScalarArrayOpExpr) &&
				 ((ScalarArrayOpExpr *) clause)->useOr)
		{
			args = ((ScalarArrayOpExpr *) clause)->args;
			opno = ((ScalarArrayOpExpr *) clause)->opno;
			column = 1;
		}
		else
			continue;
		if (list_length(args) != 2 || !IsA(linitial(args), Var))
			continue;
		var = linitial(args);
		value = lsecond(args);
		if (var->varno != (int) rti ||
			var->varattno != pkey->indexkeys[column] ||
			!(IsA(value, Const) || IsA(value, Param)) ||
			get_op_opfamily_strategy(opno, pkey->opfamily[column]) !=
			BTEqualStrategyNumber)
			continue;

		index_clause = makeNode(IndexClause);
		index_clause->rinfo = rinfo;
		index_clause->indexquals = list_make1(rinfo);
		index_clause->lossy = false;
		index_clause->indexcol = column;
		index_clause->indexcols = NIL;
		by_column[column] = index_clause;
	}
	if (by_column[0] == NULL || by_column[1] == NULL)
		return NIL;
	return list_make2(by_column[0], by_column[1]);
}

/*
 * Plan a statement, knowing whether it is delete_plan's: recognised by its
 * text, which the plan cache hands the planner with each plan it makes.
 * Only its own planning counts: not the statements that run while the
 * DELETE does (its triggers'), nor any the planner itself might run.
 */
static PlannedStmt *
uninvite_planner(Query *parse, const char *query_string, int cursorOptions,
				 ParamListInfo boundParams)
{
	bool		outer = planning_delete;
	PlannedStmt *result;

	planning_delete = query_string != NULL &&
		strcmp(query_string, DELETE_SQL) == 0;
	PG_TRY();
	{
		if (prev_planner_hook)
			result = prev_planner_hook(parse, query_string, cursorOptions,
									   boundParams);
		else
			result = standard_planner(parse, query_string, cursorOptions,
									  boundParams);
	}
	PG_FINALLY();
	{
		planning_delete = outer;
	}
	PG_END_TRY();
	return result;
}

/*
 * While delete_plan is planned, its table gets one path: an index scan of
 * the primary key on both conditions, a descent per listed user.  The
 * planner's own choice would rest on its guess of the event's size (see
 * delete_plan); even offered the primary key alone, it may keep the user
 * list a filter and read the event.
 */
static void
uninvite_paths(PlannerInfo *root, RelOptInfo *rel, Index rti,
			   RangeTblEntry *rte)
{
	Relation	relation;
	Oid			pkey_oid;
	ListCell   *lc;

	if (prev_set_rel_pathlist_hook)
		prev_set_rel_pathlist_hook(root, rel, rti, rte);
	if (!planning_delete || root->query_level != 1 ||
		root->parse->commandType != CMD_DELETE ||
		rti != (Index) root->parse->resultRelation ||
		rel->reloptkind != RELOPT_BASEREL || rte->rtekind != RTE_RELATION)
		return;

	relation = table_open(rte->relid, NoLock);
	pkey_oid = RelationGetPrimaryKeyIndex(relation);
	table_close(relation, NoLock);
	foreach(lc, rel->indexlist)
	{
		IndexOptInfo *pkey = lfirst(lc);
		List	   *clauses;

		if (pkey->indexoid != pkey_oid)
			continue;
		clauses = primary_key_clauses(rel, rti, pkey);
		if (clauses == NIL)
			return;
		rel->pathlist = list_make1(create_index_path(root, pkey, clauses,
													 NIL, NIL, NIL,
													 ForwardScanDirection,
													 false, NULL, 1.0,
													 false));
		rel->partial_pathlist = NIL;
		return;
	}
}

/* Install the planner hooks of delete_plan; from _PG_init(). */
void
invite_write_init(void)
{
	prev_planner_hook = planner_hook;
	planner_hook = uninvite_planner;
	prev_set_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = uninvite_paths;
}

/* The event whose invites delete_plan's statement is removing, if it is. */
static bool removing = false;
static int64 removing_from = 0;

/* Remove the invites of those of the (distinct) users that have one. */
uint64
invite_write_delete(int64 event_id, ArrayType *users)
{
	Datum		args[2] = {Int64GetDatum(event_id), PointerGetDatum(users)};
	bool		was_removing = removing;
	int64		was_removing_from = removing_from;
	uint64		removed;

	removing = true;
	removing_from = event_id;
	PG_TRY();
	{
		removed = execute(&delete_plan, args);
	}
	PG_FINALLY();
	{
		removing = was_removing;
		removing_from = was_removing_from;
	}
	PG_END_TRY();
	return removed;
}

bool
invite_write_removing(int64 *event_id)
{
	*event_id = removing_from;
	return removing;
}

/*
 * invite_changes.c
 *		Log what a statement changed in event_invites.
 *
 * The statement triggers of event_invites (INSERT, UPDATE, DELETE) all call
 * log_invite_changes().  It reads the statement's transition tables
 * (new_invites, old_invites) and appends what changed to
 * invite_api.invite_changes, in one INSERT ... SELECT whatever the size of
 * the statement: memory stays bounded, and it never updates a row another
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
#include "utils/guc.h"
#include "utils/snapmgr.h"

#include "entry_points.h"
#include "invite_write.h"
#include "saved_query.h"


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
 * the end): "starts" finds those events ("whole") with one look at their
 * runs.  For the others, the runs from the first changed key's to the last
 * one's are read in order, up to one more than there are changed keys
 * ("spanned"): where there are no more runs than keys ("dense": the keys
 * lie close together, as one call's invites do), the keys are sorted among
 * those runs' first keys, each taking the last run that starts before it
 * ("placed"); only events whose keys lie further apart than their runs look
 * up the run of each key in the index.
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
#define FEW_KEYS "8"
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
	"      FROM (" keys ") k GROUP BY k.event_id" \
	"), few AS MATERIALIZED (" \
	"    SELECT e.event_id FROM events e WHERE e.keys <= " FEW_KEYS \
	"), starts AS MATERIALIZED (" \
	"    SELECT e.event_id, e.keys, e.min_at, e.max_at, e.delta," \
	"           r.first_at AS run_at, r.first_user AS run_user," \
	"           r.next_at IS NULL" \
	"           OR ROW(e.max_at, " HIGHEST_USER ") < ROW(r.next_at, r.next_user) AS whole" \
	"      FROM events e" \
	RUN_OF("e", "e.min_at", LOWEST_USER) \
	"     WHERE e.event_id NOT IN (SELECT f.event_id FROM few f)" \
	"), spanned AS MATERIALIZED (" \
	"    SELECT s.event_id, s.keys, r.first_at, r.first_user, r.next_at, r.next_user," \
	"           pg_catalog.row_number() OVER (PARTITION BY s.event_id" \
	"                                         ORDER BY r.first_at, r.first_user) AS rn," \
	"           pg_catalog.count(*) OVER (PARTITION BY s.event_id) AS runs" \
	"      FROM starts s" \
	"      CROSS JOIN LATERAL (" \
	"          SELECT r.first_at, r.first_user, r.next_at, r.next_user" \
	"            FROM invite_api.invite_runs r" \
	"           WHERE r.event_id OPERATOR(pg_catalog.=) s.event_id" \
	"             AND r.level OPERATOR(pg_catalog.=) 0" \
	"             AND ROW(r.first_at, r.first_user) >= ROW(s.run_at, s.run_user)" \
	"             AND r.first_at OPERATOR(pg_catalog.<=) s.max_at" \
	"           ORDER BY r.first_at, r.first_user" \
	"           LIMIT s.keys OPERATOR(pg_catalog.+) 1) r" \
	"     WHERE NOT s.whole" \
	"), dense AS MATERIALIZED (" \
	"    SELECT s.event_id FROM spanned s" \
	"     WHERE s.rn OPERATOR(pg_catalog.=) 1 AND s.runs OPERATOR(pg_catalog.<=) s.keys" \
	"), placed AS (" \
	"    SELECT m.event_id, m.at, m.delta, m.is_run," \
	"           pg_catalog.count(*) FILTER (WHERE m.is_run)" \
	"               OVER (PARTITION BY m.event_id ORDER BY m.at, m.uid, m.is_run DESC" \
	"                     ROWS UNBOUNDED PRECEDING) AS rn" \
	"      FROM (SELECT s.event_id, s.first_at AS at, s.first_user AS uid, 0 AS delta," \
	"                   true AS is_run" \
	"              FROM spanned s WHERE s.event_id IN (SELECT d.event_id FROM dense d)" \
	"            UNION ALL" \
	"            SELECT k.event_id, k.invited_at, k.user_id, k.delta, false" \
	"              FROM (" keys ") k WHERE k.event_id IN (SELECT d.event_id FROM dense d)) m" \
	"), per_run AS (" \
	"    SELECT w.event_id, w.run_at, w.run_user, NULL::pg_catalog.timestamptz AS next_at," \
	"           NULL::pg_catalog.int8 AS next_user, w.min_at, w.max_at, w.delta" \
	"      FROM starts w WHERE w.whole" \
	"    UNION ALL" \
	"    SELECT p.event_id, s.first_at, s.first_user, s.next_at, s.next_user," \
	"           pg_catalog.min(p.at), pg_catalog.max(p.at), pg_catalog.sum(p.delta)" \
	"      FROM placed p" \
	"      JOIN spanned s" \
	"        ON s.event_id OPERATOR(pg_catalog.=) p.event_id AND s.rn OPERATOR(pg_catalog.=) p.rn" \
	"     WHERE NOT p.is_run" \
	"     GROUP BY p.event_id, s.first_at, s.first_user, s.next_at, s.next_user" \
	"    UNION ALL" \
	"    SELECT k.event_id, r.first_at, r.first_user, r.next_at, r.next_user," \
	"           pg_catalog.min(k.invited_at), pg_catalog.max(k.invited_at), pg_catalog.sum(k.delta)" \
	"      FROM (" keys ") k" \
	RUN_OF("k", "k.invited_at", "k.user_id") \
	"     WHERE k.event_id NOT IN (SELECT w.event_id FROM starts w WHERE w.whole)" \
	"       AND k.event_id NOT IN (SELECT f.event_id FROM few f)" \
	"       AND k.event_id NOT IN (SELECT d.event_id FROM dense d)" \
	"     GROUP BY k.event_id, r.first_at, r.first_user, r.next_at, r.next_user" \
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

/* [kind of statement][per key?]; $1 as above (unused per key). */
#define CHANGE_QUERY(query) \
	{.sql = query, .nargs = 1, .argtypes = {INT8OID}, .expected_rc = SPI_OK_INSERT}
static SavedQuery change_queries[3][2] = {
	{CHANGE_QUERY(PER_RUN(INSERTED_KEYS)), CHANGE_QUERY(PER_KEY(INSERTED_KEYS))},
	{CHANGE_QUERY(PER_RUN(DELETED_KEYS)), CHANGE_QUERY(PER_KEY(DELETED_KEYS))},
	{CHANGE_QUERY(PER_RUN(UPDATED_KEYS)), CHANGE_QUERY(PER_KEY(UPDATED_KEYS))},
};

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
	bool		removing;
	int64		event_id;
	Datum		value;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_AFTER(trigger->tg_event) ||
		!TRIGGER_FIRED_FOR_STATEMENT(trigger->tg_event))
		elog(ERROR, "log_invite_changes() must be an AFTER ... FOR EACH STATEMENT trigger");

	if (TRIGGER_FIRED_BY_INSERT(trigger->tg_event))
		kind = 0;
	else if (TRIGGER_FIRED_BY_DELETE(trigger->tg_event))
		kind = 1;
	else if (TRIGGER_FIRED_BY_UPDATE(trigger->tg_event))
		kind = 2;
	else
		elog(ERROR, "log_invite_changes() fires for INSERT, UPDATE and DELETE only");
	if ((kind != 1 && trigger->tg_newtable == NULL) ||
		(kind != 0 && trigger->tg_oldtable == NULL))
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
	removing = invite_write_removing(&event_id);
	value = Int64GetDatum(event_id);
	saved_query_run(query, &value, removing ? NULL : "n", false);
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

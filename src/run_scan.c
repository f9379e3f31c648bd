/*
 * run_scan.c
 *		Read an event's runs of one level straight from the runs' index.
 *
 * A page at offset k descends the tree of runs, reading a range of a few
 * dozen runs at each level and summing their sizes.  Through SPI each level
 * was a query of its own, and starting and ending its executor cost several
 * times what reading the runs does: at 10 million invites (three levels) the
 * descent was most of what a page costs beyond the first page.  So the runs
 * are read here with one scan of invite_api.invite_runs' primary key
 * (event_id, level, first_at, first_user) per level, bounded by the range's
 * keys the way the executor's index scan of ROW(first_at, first_user) >= ...
 * would be, in the caller's snapshot.  The invites themselves, and every
 * write to the runs, still go through SPI.
 *
 * The table and its key are checked each time they are opened: the columns
 * by name and type, the key's columns, order and comparison functions.  A
 * table the owner changed is refused with 55000 rather than misread.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/nbtree.h"
#include "access/skey.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xlog.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "nodes/makefuncs.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "run_scan.h"

/* The columns read, in the order of the primary key first. */
typedef enum RunColumn
{
	RUN_EVENT_ID,
	RUN_LEVEL,
	RUN_FIRST_AT,
	RUN_FIRST_USER,
	RUN_NEXT_AT,
	RUN_NEXT_USER,
	RUN_INVITES,
	RUN_NCOLUMNS
} RunColumn;

/*
 * The primary key's columns are the first RUN_KEY_COLUMNS of RunColumn, in
 * the key's order (check_key() makes sure), so a key column's number in
 * the index is its RunColumn plus one.
 */
#define RUN_KEY_COLUMNS 4
#define RUN_KEY_ATTNO(column) ((AttrNumber) ((column) + 1))

static const struct
{
	const char *name;
	Oid			type;
	Oid			order_proc;		/* key columns: the btree comparison */
}			run_columns[RUN_NCOLUMNS] = {
	[RUN_EVENT_ID] = {"event_id", INT8OID, F_BTINT8CMP},
	[RUN_LEVEL] = {"level", INT2OID, F_BTINT2CMP},
	[RUN_FIRST_AT] = {"first_at", TIMESTAMPTZOID, F_TIMESTAMPTZ_CMP},
	[RUN_FIRST_USER] = {"first_user", INT8OID, F_BTINT8CMP},
	[RUN_NEXT_AT] = {"next_at", TIMESTAMPTZOID, InvalidOid},
	[RUN_NEXT_USER] = {"next_user", INT8OID, InvalidOid},
	[RUN_INVITES] = {"invites", INT8OID, InvalidOid},
};

/*
 * Scan keys: event and level equal, then up to two row comparisons of
 * (first_at, first_user), each a header followed by its two members.
 */
#define RUN_MAX_KEYS 4

struct RunScan
{
	Relation	table;
	Relation	index;
	AttrNumber	attno[RUN_NCOLUMNS];	/* in the table */
	TupleTableSlot *slot;
	IndexScanDesc scan;
	int			nkeys;			/* of the scan begun */
	ScanDirection direction;
	ScanKeyData keys[RUN_MAX_KEYS];
	ScanKeyData from_row[2];
	ScanKeyData before_row[2];
};

static pg_attribute_noreturn() void
runs_altered(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("invite_api.invite_runs is not as the extension made it"),
			 errdetail_internal("%s", detail),
			 errhint("Restore the table as the extension's script defines it and run SELECT invite_api.rebuild_invite_positions(); as the extension's owner.")));
}

/* Find each column by name and check its type. */
static void
check_columns(RunScan *scan)
{
	TupleDesc	desc = RelationGetDescr(scan->table);

	for (int c = 0; c < RUN_NCOLUMNS; c++)
	{
		scan->attno[c] = InvalidAttrNumber;
		for (int i = 0; i < desc->natts; i++)
		{
			Form_pg_attribute attr = TupleDescAttr(desc, i);

			if (!attr->attisdropped &&
				strcmp(NameStr(attr->attname), run_columns[c].name) == 0)
			{
				if (attr->atttypid != run_columns[c].type)
					runs_altered(psprintf("Column %s has another type.",
										  run_columns[c].name));
				scan->attno[c] = attr->attnum;
				break;
			}
		}
		if (scan->attno[c] == InvalidAttrNumber)
			runs_altered(psprintf("Column %s is missing.", run_columns[c].name));
	}
}

/*
 * The primary key must be a btree of (event_id, level, first_at, first_user)
 * in ascending order with the types' own comparisons: the page order.
 */
static void
check_key(RunScan *scan)
{
	Relation	index = scan->index;

	const char *wrong_key = "Its primary key is not a btree of (event_id, level, first_at, first_user).";

	if (index->rd_rel->relam != BTREE_AM_OID ||
		index->rd_index->indnkeyatts != RUN_KEY_COLUMNS)
		runs_altered(wrong_key);
	for (int c = 0; c < RUN_KEY_COLUMNS; c++)
	{
		if (index->rd_index->indkey.values[c] != scan->attno[c] ||
			(index->rd_indoption[c] & INDOPTION_DESC) != 0 ||
			index_getprocid(index, RUN_KEY_ATTNO(c), BTORDER_PROC) != run_columns[c].order_proc)
			runs_altered(wrong_key);
	}
}

RunScan *
run_scan_open(void)
{
	RunScan    *scan = palloc0(sizeof(RunScan));
	Oid			index_id;

	/*
	 * By name, looked up again once locked, as the executor does: the table
	 * may have been replaced while the lock was awaited.
	 */
	scan->table = table_openrv(makeRangeVar("invite_api", "invite_runs", -1),
							   AccessShareLock);
	if (scan->table->rd_rel->relkind != RELKIND_RELATION)
		runs_altered("It is no longer a table.");
	/* a standby has no data of an unlogged table; the planner refuses so */
	if (!RelationIsPermanent(scan->table) && RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot access temporary or unlogged relations during recovery")));
	check_columns(scan);
	index_id = RelationGetPrimaryKeyIndex(scan->table);
	if (!OidIsValid(index_id))
		runs_altered("It has no primary key.");
	scan->index = index_open(index_id, AccessShareLock);
	check_key(scan);
	scan->slot = table_slot_create(scan->table, NULL);
	return scan;
}

/*
 * A bound on the runs' first keys: the row comparison (first_at,
 * first_user) "strategy" key, into header and its two members.
 */
static void
key_bound(ScanKey header, ScanKey members, StrategyNumber strategy,
		  const InviteKey *key)
{
	ScanKeyEntryInitialize(&members[0], SK_ROW_MEMBER, RUN_KEY_ATTNO(RUN_FIRST_AT),
						   strategy, TIMESTAMPTZOID, InvalidOid,
						   run_columns[RUN_FIRST_AT].order_proc,
						   TimestampTzGetDatum(key->at));
	ScanKeyEntryInitialize(&members[1], SK_ROW_MEMBER | SK_ROW_END,
						   RUN_KEY_ATTNO(RUN_FIRST_USER),
						   strategy, INT8OID, InvalidOid,
						   run_columns[RUN_FIRST_USER].order_proc,
						   Int64GetDatum(key->user));
	ScanKeyEntryInitialize(header, SK_ROW_HEADER, RUN_KEY_ATTNO(RUN_FIRST_AT), strategy,
						   InvalidOid, InvalidOid, InvalidOid,
						   PointerGetDatum(members));
}

void
run_scan_start(RunScan *scan, int64 event_id, int level,
			   const InviteKey *from, const InviteKey *before, bool backward)
{
	int			nkeys = 0;

	ScanKeyInit(&scan->keys[nkeys++], RUN_KEY_ATTNO(RUN_EVENT_ID),
				BTEqualStrategyNumber, F_INT8EQ, Int64GetDatum(event_id));
	ScanKeyInit(&scan->keys[nkeys++], RUN_KEY_ATTNO(RUN_LEVEL),
				BTEqualStrategyNumber, F_INT2EQ, Int16GetDatum((int16) level));
	if (from != NULL)
		key_bound(&scan->keys[nkeys++], scan->from_row, BTGreaterEqualStrategyNumber, from);
	if (before != NULL)
		key_bound(&scan->keys[nkeys++], scan->before_row, BTLessStrategyNumber, before);

	/* a scan begun with as many keys is started again with these */
	if (scan->scan != NULL && scan->nkeys != nkeys)
	{
		index_endscan(scan->scan);
		scan->scan = NULL;
	}
	if (scan->scan == NULL)
		scan->scan = index_beginscan(scan->table, scan->index, GetActiveSnapshot(),
									 nkeys, 0);
	scan->nkeys = nkeys;
	index_rescan(scan->scan, scan->keys, nkeys, NULL, 0);
	scan->direction = backward ? BackwardScanDirection : ForwardScanDirection;
}

/* Column c of the slot's row; false when it is null. */
static bool
slot_value(RunScan *scan, RunColumn c, Datum *value)
{
	bool		isnull;

	*value = slot_getattr(scan->slot, scan->attno[c], &isnull);
	return !isnull;
}

bool
run_scan_next(RunScan *scan, RunRow *run)
{
	Datum		at;
	Datum		user;
	Datum		invites;

	if (!index_getnext_slot(scan->scan, scan->direction, scan->slot))
		return false;
	if (!slot_value(scan, RUN_FIRST_AT, &at) ||
		!slot_value(scan, RUN_FIRST_USER, &user) ||
		!slot_value(scan, RUN_INVITES, &invites))
		elog(ERROR, "unexpected null in invite_api.invite_runs");
	run->first.at = DatumGetTimestampTz(at);
	run->first.user = DatumGetInt64(user);
	run->invites = DatumGetInt64(invites);

	run->last = !slot_value(scan, RUN_NEXT_AT, &at);
	if (!run->last)
	{
		if (!slot_value(scan, RUN_NEXT_USER, &user))
			elog(ERROR, "unexpected null in invite_api.invite_runs");
		run->next.at = DatumGetTimestampTz(at);
		run->next.user = DatumGetInt64(user);
	}
	return true;
}

void
run_scan_close(RunScan *scan)
{
	if (scan->scan != NULL)
		index_endscan(scan->scan);
	ExecDropSingleTupleTableSlot(scan->slot);
	/* the locks are kept to the end of the transaction */
	index_close(scan->index, NoLock);
	table_close(scan->table, NoLock);
	pfree(scan);
}

/*
 * run_scan.h
 *		Read an event's runs of one level straight from the runs' index.
 *
 * A page descends the tree of runs (sql/invite_api--1.1--1.2.sql) one level
 * at a time; run_scan.c reads each level's range of runs in the caller's
 * snapshot, in key order or backwards.  Open once per page, scan once per
 * level, close.
 */
#ifndef INVITE_API_RUN_SCAN_H
#define INVITE_API_RUN_SCAN_H

#include "invite_key.h"

/* One run of invite_api.invite_runs. */
typedef struct RunRow
{
	InviteKey	first;			/* its first key */
	bool		last;			/* the level's last run: "next" is unset */
	InviteKey	next;			/* the next run's first key */
	int64		invites;
} RunRow;

typedef struct RunScan RunScan;

/*
 * Open invite_api.invite_runs and its primary key for reading.  Raises 55000
 * when the owner changed them so that they cannot be read as the extension
 * wrote them (a column's type, the key's columns or order).
 */
extern RunScan *run_scan_open(void);

/*
 * Start reading the runs of "level" of the event whose first keys are at or
 * after *from and before *before; NULL for either means from the level's
 * first run or to its last.  "backward" reads them from the last on.
 */
extern void run_scan_start(RunScan *scan, int64 event_id, int level,
						   const InviteKey *from, const InviteKey *before,
						   bool backward);

/* The next run of the range into *run; false when there is none left. */
extern bool run_scan_next(RunScan *scan, RunRow *run);

extern void run_scan_close(RunScan *scan);

#endif							/* INVITE_API_RUN_SCAN_H */

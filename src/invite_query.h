/*
 * invite_query.h
 *		Read an event's invites through SPI.
 *
 * Call between SPI_connect() and SPI_finish(), read-only: every query of a
 * call then sees the same snapshot, so count and page agree.
 */
#ifndef INVITE_API_INVITE_QUERY_H
#define INVITE_API_INVITE_QUERY_H

#include "executor/spi.h"

/* How the installed version of the extension keeps the invites. */
typedef enum InviteLayout
{
	INVITES_PLAIN,				/* 1.0: event_invites alone */
	INVITES_RUNS,				/* 1.1: with a count and one level of runs */
	INVITES_TREE				/* 1.2: counts, runs of runs, pending changes */
} InviteLayout;

typedef enum EventAccess
{
	EVENT_MISSING,				/* no such event */
	EVENT_NOT_MANAGER,			/* the user does not manage it */
	EVENT_MANAGER
} EventAccess;

/* What invite_query_access() learns about a manager's event. */
typedef struct InviteCount
{
	int64		invites;		/* the count a page reports */
	/* INVITES_TREE only: */
	int			height;			/* levels of runs of runs; -1: no runs yet */
	int64		changes;		/* changes not yet folded into the runs */
	bool		trusted;		/* the triggers have kept the runs throughout */
} InviteCount;

/* Columns of a page row, in SPI attribute numbers. */
#define PAGE_COL_ID			1
#define PAGE_COL_USERNAME	2
#define PAGE_COL_REAL_NAME	3
#define PAGE_COL_EXT_ID		4
#define PAGE_COL_AVATAR		5

/*
 * May the user see the event's invites?  For a manager, also fill *count.
 */
extern EventAccess invite_query_access(InviteLayout layout, int64 event_id,
									   int64 user_id, InviteCount *count);

/*
 * Does the event exist, and does the user manage it?  The same for every
 * layout: it reads only events and event_managers.
 */
extern EventAccess invite_query_manager(int64 event_id, int64 user_id);

/*
 * The users invited to the event, ordered by invited_at then user id,
 * "limit" of them from "offset" on; the rows are in SPI_tuptable.  Raises
 * XX001 when the bookkeeping cannot place the page.
 */
extern uint64 invite_query_page(InviteLayout layout, int64 event_id,
								int32 limit, int32 offset,
								const InviteCount *count);

#endif							/* INVITE_API_INVITE_QUERY_H */

/*
 * saved_query.h
 *		A query prepared once per backend and run through SPI.
 */
#ifndef INVITE_API_SAVED_QUERY_H
#define INVITE_API_SAVED_QUERY_H

#include "executor/spi.h"

#define SAVED_QUERY_MAX_ARGS 10

/* A query text, how to plan it, and its plan once made (kept for life). */
typedef struct SavedQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[SAVED_QUERY_MAX_ARGS];
	int			cursor_options; /* SPI_prepare_cursor's; 0 for the default */
	int			expected_rc;	/* the SPI result it must give; 0: SPI_OK_SELECT */
	SPIPlanPtr	plan;
} SavedQuery;

/*
 * Run the query with these arguments (nulls as SPI_execute_plan takes them,
 * NULL when none is null), preparing and keeping its plan on first use.
 * read_only: in the caller's snapshot, as in a STABLE function.  Raises an
 * error unless SPI gives the expected result; returns SPI_processed.
 */
extern uint64 saved_query_run(SavedQuery *query, Datum *values,
							  const char *nulls, bool read_only);

/*
 * A cursor over the query's rows (a SELECT), for reading them in batches
 * with SPI_cursor_fetch(); the caller closes it.
 */
extern Portal saved_query_open(SavedQuery *query, Datum *values,
							   const char *nulls, bool read_only);

#endif							/* INVITE_API_SAVED_QUERY_H */

/*
 * saved_query.c
 *		Queries prepared once per backend and run through SPI.
 *
 * Every query of the module is a SavedQuery: planned on its first use in a
 * backend (SPI_keepplan), then run from that plan.  Call between
 * SPI_connect() and SPI_finish().
 */
#include "postgres.h"

#include "executor/spi.h"

#include "saved_query.h"

/* The query's plan, prepared and kept on first use. */
static SPIPlanPtr
saved_query_plan(SavedQuery *query)
{
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
	return query->plan;
}

uint64
saved_query_run(SavedQuery *query, Datum *values, const char *nulls,
				bool read_only)
{
	int			expected = query->expected_rc ? query->expected_rc : SPI_OK_SELECT;
	int			rc;

	saved_query_plan(query);
	rc = SPI_execute_plan(query->plan, values, nulls, read_only, 0);
	if (rc != expected)
	{
		/*
		 * Planned anew next time: a plan can stay wrong for good (a query a
		 * rule rewrote to nothing depends on no table, so no later change
		 * of the table invalidates it).
		 */
		SPI_freeplan(query->plan);
		query->plan = NULL;
		elog(ERROR, "SPI_execute_plan returned %s for \"%s\"",
			 SPI_result_code_string(rc), query->sql);
	}
	return SPI_processed;
}

Portal
saved_query_open(SavedQuery *query, Datum *values, const char *nulls,
				 bool read_only)
{
	Portal		portal = SPI_cursor_open(NULL, saved_query_plan(query), values,
										 nulls, read_only);

	if (portal == NULL)
		elog(ERROR, "SPI_cursor_open failed for \"%s\": %s",
			 query->sql, SPI_result_code_string(SPI_result));
	return portal;
}

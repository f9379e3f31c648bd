/*
 * invite_api.c
 *		The SQL entry point: GET /api/v2/event/{id}/invite/ as a function.
 *
 * Order of checks (and of errors): the token (auth.c), the paging
 * arguments, the event, the manager role.  Then count and page are read in one snapshot
 * and returned as jsonb.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "auth.h"
#include "invite_query.h"
#include "log_redact.h"
#include "page_json.h"
#include "settings.h"

/*
 * Only the entry points leave the module (the Makefile builds with
 * -fvisibility=hidden).  PostgreSQL 16 defines PGDLLEXPORT as default
 * visibility and declares PG_FUNCTION_INFO_V1's function with it; on 15
 * PGDLLEXPORT is empty on Linux, so define it here, before the expansions of
 * PG_MODULE_MAGIC and PG_FUNCTION_INFO_V1 below, and declare the functions.
 */
#if PG_VERSION_NUM < 160000 && defined(__GNUC__)
#undef PGDLLEXPORT
#define PGDLLEXPORT __attribute__((visibility("default")))
#endif

extern PGDLLEXPORT void _PG_init(void);
extern PGDLLEXPORT Datum event_invites_page(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum event_invites_page_1_1(PG_FUNCTION_ARGS);

PG_MODULE_MAGIC;

/*
 * Define the settings.  The library must be preloaded: how it is being
 * loaded is recorded here, where it can be told, and checked by every entry
 * point (auth.c).  Preloaded, it keeps the key out of the server log, the
 * postmaster's included when it is in shared_preload_libraries.
 */
void
_PG_init(void)
{
	auth_record_load();
	settings_init();
	if (auth_preloaded())
		log_redact_install();
}

/* The page asked for, with defaults applied and the limit clamped. */
static PageRequest
page_request(FunctionCallInfo fcinfo)
{
	PageRequest request;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("\"event_id\" must not be null"),
				 errdetail("The id of the event whose invites to list is required.")));
	request.event_id = PG_GETARG_INT64(0);

	request.limit = PG_ARGISNULL(1) ? invite_api_default_limit : PG_GETARG_INT32(1);
	if (request.limit < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for \"limit\": %d", request.limit),
				 errdetail("\"limit\" must be 1 or more.")));
	request.limit = Min(request.limit, invite_api_max_limit);

	request.offset = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
	if (request.offset < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for \"offset\": %d", request.offset),
				 errdetail("\"offset\" must be 0 or more.")));
	return request;
}

/* The endpoint, over the tables of the given layout. */
static Datum
serve_page(FunctionCallInfo fcinfo, InviteLayout layout)
{
	MemoryContext result_cxt = CurrentMemoryContext;
	int64		user_id;
	PageRequest request;
	int64		count;
	uint64		nrows;
	Jsonb	   *page;

	user_id = auth_user_from_token(PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3));
	request = page_request(fcinfo);

	SPI_connect();

	switch (invite_query_access(layout, request.event_id, user_id, &count))
	{
		case EVENT_MISSING:
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("event " INT64_FORMAT " does not exist", request.event_id),
					 errdetail("There is no event with this id.")));
			break;
		case EVENT_NOT_MANAGER:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for event " INT64_FORMAT, request.event_id),
					 errdetail("User " INT64_FORMAT " is not a manager of the event.", user_id)));
			break;
		case EVENT_MANAGER:
			break;
	}

	nrows = invite_query_page(layout, request.event_id, request.limit,
							  request.offset, count);
	page = page_json_build(&request, count, SPI_tuptable, nrows, result_cxt);

	SPI_finish();
	PG_RETURN_JSONB_P(page);
}

/*
 * invite_api.event_invites_page(event_id bigint, "limit" integer,
 *                               "offset" integer, token text) RETURNS jsonb
 *
 * Version 1.1 and later: the count and runs kept by triggers.
 */
PG_FUNCTION_INFO_V1(event_invites_page_1_1);
Datum
event_invites_page_1_1(PG_FUNCTION_ARGS)
{
	return serve_page(fcinfo, INVITES_COUNTED);
}

/*
 * The same, as version 1.0 declares it: counts and skips in event_invites.
 * Kept so that a database not yet updated keeps working with this library.
 */
PG_FUNCTION_INFO_V1(event_invites_page);
Datum
event_invites_page(PG_FUNCTION_ARGS)
{
	return serve_page(fcinfo, INVITES_PLAIN);
}

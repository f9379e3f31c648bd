/*
 * invite_api.c
 *		The SQL entry points: GET, POST and DELETE
 *		/api/v2/event/{id}/invite/ as functions.
 *
 * Order of checks (and of errors) of the page: the token (auth.c), the
 * paging arguments, the event, the manager role.  Then count and page are
 * read in one snapshot and returned as jsonb.
 *
 * Of a write: the token, the arguments (the list's form and size), the
 * event, the manager role, a read-only transaction, the listed users (once
 * the event is locked).  Then the write (invite_write.c), one statement for
 * the whole list.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "auth.h"
#include "entry_points.h"
#include "invite_query.h"
#include "invite_write.h"
#include "log_redact.h"
#include "page_json.h"
#include "settings.h"

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
	invite_write_init();
	if (auth_preloaded())
		log_redact_install();
}

/*
 * Refuse the request unless the user manages the event: P0002 when there is
 * no such event, 42501 when the user is not one of its managers.
 */
static void
require_manager(EventAccess access, int64 event_id, int64 user_id)
{
	switch (access)
	{
		case EVENT_MISSING:
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("event " INT64_FORMAT " does not exist", event_id),
					 errdetail("There is no event with this id.")));
			break;
		case EVENT_NOT_MANAGER:
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for event " INT64_FORMAT, event_id),
					 errdetail("User " INT64_FORMAT " is not a manager of the event.", user_id)));
			break;
		case EVENT_MANAGER:
			break;
	}
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
	InviteCount count;
	uint64		nrows;
	Jsonb	   *page;

	user_id = auth_user_from_token(PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3));
	request = page_request(fcinfo);

	SPI_connect();

	require_manager(invite_query_access(layout, request.event_id, user_id,
										&count),
					request.event_id, user_id);

	nrows = invite_query_page(layout, request.event_id, request.limit,
							  request.offset, &count);
	page = page_json_build(&request, count.invites, SPI_tuptable, nrows,
						   result_cxt);

	SPI_finish();
	PG_RETURN_JSONB_P(page);
}

/*
 * invite_api.event_invites_page(event_id bigint, "limit" integer,
 *                               "offset" integer, token text) RETURNS jsonb
 *
 * Version 1.2 and later: counts, runs of runs and pending changes.
 */
PG_FUNCTION_INFO_V1(event_invites_page_1_2);
Datum
event_invites_page_1_2(PG_FUNCTION_ARGS)
{
	return serve_page(fcinfo, INVITES_TREE);
}

/*
 * The same, as versions 1.0 and 1.1 declare it, over their own tables.  Kept
 * so that a database not yet updated keeps working with this library.
 */
PG_FUNCTION_INFO_V1(event_invites_page_1_1);
Datum
event_invites_page_1_1(PG_FUNCTION_ARGS)
{
	return serve_page(fcinfo, INVITES_RUNS);
}

PG_FUNCTION_INFO_V1(event_invites_page);
Datum
event_invites_page(PG_FUNCTION_ARGS)
{
	return serve_page(fcinfo, INVITES_PLAIN);
}

/*
 * Invite (or uninvite) the listed users for the token's user, a manager of
 * the event; the number of invites created (or removed).  "name" is the SQL
 * function's, for the error of a read-only transaction.
 */
static Datum
write_invites(FunctionCallInfo fcinfo, bool invite, const char *name)
{
	int64		user_id;
	int64		event_id;
	ArrayType  *users;
	uint64		changed;

	user_id = auth_user_from_token(PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2));

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("\"event_id\" must not be null"),
				 errdetail("The id of the event whose invites to change is required.")));
	event_id = PG_GETARG_INT64(0);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("\"users\" must not be null"),
				 errdetail("The list of the users whose invites to change is required.")));
	users = invite_write_user_list(PG_GETARG_ARRAYTYPE_P(1));

	SPI_connect();

	require_manager(invite_query_manager(event_id, user_id), event_id, user_id);

	/*
	 * Nothing can be written from here on, whatever the list: say so as
	 * PostgreSQL's own writing functions do (nextval(), for one).  The
	 * users' check below takes locks, which a read-only transaction cannot.
	 */
	PreventCommandIfReadOnly(name);
	invite_write_refuse_rules(invite);
	if (!invite_write_lock_event(event_id))
		require_manager(EVENT_MISSING, event_id, user_id);
	invite_write_check_users(users, invite);
	if (invite)
		changed = invite_write_insert(event_id, users, user_id);
	else
		changed = invite_write_delete(event_id, users);

	SPI_finish();
	PG_RETURN_INT32((int32) changed);
}

/*
 * invite_api.event_invite_users(event_id bigint, users bigint[], token text) RETURNS integer
 */
PG_FUNCTION_INFO_V1(event_invite_users);
Datum
event_invite_users(PG_FUNCTION_ARGS)
{
	return write_invites(fcinfo, true, "event_invite_users()");
}

/*
 * invite_api.event_uninvite_users(event_id bigint, users bigint[], token text) RETURNS integer
 */
PG_FUNCTION_INFO_V1(event_uninvite_users);
Datum
event_uninvite_users(PG_FUNCTION_ARGS)
{
	return write_invites(fcinfo, false, "event_uninvite_users()");
}

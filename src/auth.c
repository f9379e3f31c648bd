/*
 * auth.c
 *		Who is calling: the user a request's token speaks for.
 *
 * The SQL entry points call this first.  It checks that the library runs
 * the way it must (preloaded), reads the token settings, verifies the token
 * with jwt_verify() in a scratch memory context and turns its verdict into
 * the endpoint's errors.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "auth.h"
#include "jwt_loader.h"
#include "jwt_verify.h"
#include "keys.h"
#include "settings.h"

/* How the library came to be loaded into this process. */
typedef enum LoadMode
{
	LOADED_LATE,				/* LOAD, or the first call of a function */
	PRELOADED_SESSION,			/* session_preload_libraries */
	PRELOADED_SHARED			/* shared_preload_libraries */
} LoadMode;

static LoadMode load_mode = LOADED_LATE;

/*
 * Does the list (a preload setting's value) name this library, in any of the
 * spellings PostgreSQL accepts ("invite_api", "$libdir/invite_api",
 * "invite_api.so", a full path)?
 */
static bool
lists_this_library(const char *list)
{
	char	   *copy;
	List	   *entries;
	ListCell   *lc;
	bool		found = false;

	if (list == NULL || list[0] == '\0')
		return false;
	copy = pstrdup(list);
	if (SplitDirectoriesString(copy, ',', &entries))
	{
		foreach(lc, entries)
		{
			char	   *entry = lfirst(lc);
			char	   *base = last_dir_separator(entry);
			size_t		len;

			base = base ? base + 1 : entry;
			len = strlen(base);
			if (len > strlen(DLSUFFIX) &&
				strcmp(base + len - strlen(DLSUFFIX), DLSUFFIX) == 0)
				len -= strlen(DLSUFFIX);
			if (len == strlen("invite_api") && strncmp(base, "invite_api", len) == 0)
				found = true;
		}
	}
	list_free_deep(entries);
	pfree(copy);
	return found;
}

/*
 * Record how the library is being loaded; called from _PG_init().
 *
 * shared_preload_libraries says so itself.  session_preload_libraries (and
 * local_preload_libraries) are loaded by each backend at its start, from
 * InitPostgres(): in PostgreSQL 15 that is inside the start-up transaction,
 * but still in InitProcessing mode.  LOAD and the first call of a function
 * run in NormalProcessing mode, and so do parallel workers restoring the
 * leader's libraries.  A backend that loads us while initializing, with the
 * library in one of those lists, is being preloaded.
 */
void
auth_record_load(void)
{
	if (process_shared_preload_libraries_in_progress)
		load_mode = PRELOADED_SHARED;
	else if (IsUnderPostmaster && IsInitProcessingMode() &&
			 (lists_this_library(session_preload_libraries_string) ||
			  lists_this_library(local_preload_libraries_string)))
		load_mode = PRELOADED_SESSION;
	else
		load_mode = LOADED_LATE;
}

/* Is the library preloaded, so that its settings were never placeholders? */
bool
auth_preloaded(void)
{
	return load_mode != LOADED_LATE;
}

/*
 * Refuse to run unless preloaded.  Until a library defines its settings,
 * PostgreSQL keeps the values postgresql.conf gives them as placeholders
 * that any role can read: loaded late, the key was readable by everyone.
 */
static void
check_preloaded(void)
{
	if (load_mode == LOADED_LATE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("library \"invite_api\" is not preloaded"),
				 errdetail("It was loaded by LOAD or by the first call of one of its functions; "
						   "until then every role can read the values postgresql.conf gives its settings, "
						   "the signing key included."),
				 errhint("Add invite_api to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/* Seconds since the Unix epoch, now. */
static double
unix_now(void)
{
	TimestampTz now = GetCurrentTimestamp();

	return (double) now / USECS_PER_SEC +
		(double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

/*
 * A setting's value as UTF-8, which is what the token's claims are compared
 * in.  Settings are in the database encoding, as PostgreSQL takes every
 * setting, those from postgresql.conf included; in an SQL_ASCII database
 * they are taken as they are.
 */
static const char *
setting_utf8(const char *value)
{
	if (value == NULL)
		return "";
	return pg_server_to_any(value, strlen(value), PG_UTF8);
}

/*
 * The keys to verify tokens with: the inline secret, or those of the key
 * file; a 55000 error when there is none that may be used.
 */
static const JwtKey *
configured_keys(const JwtLibrary *lib, int *nkeys)
{
	size_t		len = 0;
	GucSource	source = PGC_S_DEFAULT;
	const char *secret = settings_jwt_secret(&len, &source);
	const char *file = invite_api_jwt_secret_file;
	static JwtKey inline_key;

	if (file != NULL && file[0] != '\0')
	{
		if (secret != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("invite_api.jwt_secret and invite_api.jwt_secret_file are both set"),
					 errdetail("Tokens are verified with the keys of one of them, and neither is preferred."),
					 errhint("Reset the inline key, wherever it is set, and keep the key file.")));
		return key_file_keys(lib, file, nkeys);
	}

	if (secret == NULL || len < INVITE_API_MIN_SECRET_LENGTH)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg(secret == NULL
						? "invite_api.jwt_secret is not set"
						: "invite_api.jwt_secret is too short"),
				 errdetail("Tokens are verified only with a secret of at least %d bytes.",
						   INVITE_API_MIN_SECRET_LENGTH),
				 errhint("Put the key in a file named by invite_api.jwt_secret_file, then reload.")));

	/*
	 * A key from postgresql.conf goes through the postmaster, which writes
	 * the new value to the server log when a reload changes it, unless it
	 * has loaded the library (whose log hook masks the key).
	 */
	if (source == PGC_S_FILE && load_mode != PRELOADED_SHARED)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("invite_api.jwt_secret needs invite_api in shared_preload_libraries"),
				 errdetail("The key is set in the configuration file, and a server that has not loaded the library "
						   "writes it to the server log when a reload changes it."),
				 errhint("Add invite_api to shared_preload_libraries and restart the server, "
						 "or put the key in a file named by invite_api.jwt_secret_file.")));

	inline_key.bytes = (const unsigned char *) secret;
	inline_key.len = len;
	inline_key.kid = NULL;
	inline_key.alg = NULL;
	*nkeys = 1;
	return &inline_key;
}

/*
 * The user the token speaks for, or an error: 28000 when the token is
 * missing or refused, 55000 when the library is not preloaded or no usable
 * key is configured.  No token, or text that cannot be one, is 28000 before
 * anything else is looked at (the contract's order).
 */
int64
auth_user_from_token(text *token)
{
	const JwtLibrary *lib;
	const char *load_error = NULL;
	JwtVerifySettings settings;
	JwtVerifyResult result;
	int64_t		user_id = 0;
	MemoryContext scratch;
	MemoryContext old_cxt;

	/* What needs no key is refused first, whatever the server's setup. */
	if (token == NULL)
		result = JWT_VERIFY_MISSING;
	else
		result = jwt_screen(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token));

	if (result == JWT_VERIFY_OK)
	{
		check_preloaded();

		lib = jwt_library_load(&load_error);
		if (lib == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not load libjwt"),
					 errdetail("%s", load_error)));

		settings.keys = configured_keys(lib, &settings.nkeys);

		scratch = AllocSetContextCreate(CurrentMemoryContext,
										"invite_api token",
										ALLOCSET_SMALL_SIZES);
		old_cxt = MemoryContextSwitchTo(scratch);

		settings.audience = setting_utf8(invite_api_jwt_audience);
		settings.user_claim = setting_utf8(invite_api_jwt_user_claim);
		settings.token_types = setting_utf8(invite_api_jwt_token_types);
		settings.require_exp = invite_api_jwt_require_exp;
		settings.leeway = invite_api_jwt_leeway;
		settings.now = unix_now();
		result = jwt_verify(lib, VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token),
							&settings, &user_id);
		MemoryContextSwitchTo(old_cxt);
		MemoryContextDelete(scratch);
	}

	switch (result)
	{
		case JWT_VERIFY_OK:
			return user_id;
		case JWT_VERIFY_MISSING:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("missing authorization token"),
					 errdetail("Pass a JWT as \"token\", bare or as \"Bearer <jwt>\".")));
			break;
		case JWT_VERIFY_OUT_OF_MEMORY:
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("%s", jwt_verify_reason(result))));
			break;
		case JWT_VERIFY_BAD_USER:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("invalid authorization token"),
					 errdetail("The token has no \"%s\" claim holding a user id.",
							   invite_api_jwt_user_claim)));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("invalid authorization token"),
					 errdetail("%s", jwt_verify_reason(result))));
			break;
	}
	pg_unreachable();
}


/*
 * settings.c
 *		Define the invite_api.* configuration parameters.
 */
#include "postgres.h"

#include <stdlib.h>
#include <string.h>

#include "access/parallel.h"
#include "utils/guc.h"

#include "settings.h"

/* MarkGUCPrefixReserved() is new in PostgreSQL 15. */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

/*
 * A check hook's new value and extra data are malloc'd on PostgreSQL 15, and
 * allocated with guc_malloc() from 16 on.
 */
#if PG_VERSION_NUM >= 160000
#define setting_malloc(size) guc_malloc(LOG, (size))
#define setting_strdup(str) guc_strdup(LOG, (str))
#define setting_free(ptr) guc_free(ptr)
#else
#define setting_malloc(size) malloc(size)
#define setting_strdup(str) strdup(str)
#define setting_free(ptr) free(ptr)
#endif

/*
 * The key of invite_api.jwt_secret, kept as the setting's extra data: the
 * setting's value is the mask.  GUC keeps each value with its extra data
 * through SET, SET LOCAL, RESET, transaction and subtransaction ends and
 * reloads, without calling the check hook again, so the key follows the
 * value everywhere.
 */
typedef struct SecretKey
{
	GucSource	source;			/* where the key was set */
	size_t		len;
	char		key[FLEXIBLE_ARRAY_MEMBER];
} SecretKey;

static const SecretKey *jwt_secret_key = NULL;

static char *invite_api_jwt_secret = NULL;	/* the mask, once set */
char	   *invite_api_jwt_secret_file = NULL;
char	   *invite_api_jwt_audience = NULL;
int			invite_api_jwt_leeway = 30;
char	   *invite_api_jwt_user_claim = NULL;
char	   *invite_api_jwt_token_types = NULL;
bool		invite_api_jwt_require_exp = true;
char	   *invite_api_base_url = NULL;
int			invite_api_default_limit = 20;
int			invite_api_max_limit = 100;
int			invite_api_run_size = 512;
int			invite_api_max_batch = 1000;

/*
 * Keep the key of invite_api.jwt_secret out of sight: store the mask as the
 * setting's value and the key as its extra data.
 *
 * The key is refused from ALTER DATABASE/ROLE ... SET and CREATE FUNCTION
 * ... SET: those values are stored in catalogs that every role can read.
 * They are validated with source PGC_S_TEST when stored, and applied with the
 * database/user sources at connection start (when stored before the library
 * was loaded).
 *
 * The mask itself is never a key.  Set by hand, or copied from the current
 * value (SET ... FROM CURRENT), it is refused.  A parallel worker receives
 * the leader's settings as text, the mask included: there it stands for "a
 * key is set" without giving the worker one (the entry points never run in
 * a worker).
 */
static bool
check_jwt_secret(char **newval, void **extra, GucSource source)
{
	SecretKey  *key;
	char	   *mask;
	size_t		len;

	switch (source)
	{
		case PGC_S_TEST:
		case PGC_S_GLOBAL:
		case PGC_S_DATABASE:
		case PGC_S_USER:
		case PGC_S_DATABASE_USER:
			GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
			GUC_check_errmsg("invite_api.jwt_secret cannot be set per database, per role or per function");
			GUC_check_errdetail("Such values are stored in catalogs that every role can read.");
			GUC_check_errhint("Put the key in the file named by invite_api.jwt_secret_file, or set it in postgresql.conf or with ALTER SYSTEM; then reload.");
			return false;
		default:
			break;
	}

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;

	if (strcmp(*newval, INVITE_API_SECRET_MASK) == 0)
	{
		if (InitializingParallelWorker)
			return true;
		GUC_check_errcode(ERRCODE_INVALID_PARAMETER_VALUE);
		GUC_check_errmsg("\"%s\" is the mask of invite_api.jwt_secret, not a key",
						 INVITE_API_SECRET_MASK);
		GUC_check_errdetail("SHOW and pg_settings print the mask in place of the key, which cannot be read back.");
		return false;
	}

	len = strlen(*newval);
	key = setting_malloc(offsetof(SecretKey, key) + len + 1);
	mask = setting_strdup(INVITE_API_SECRET_MASK);
	if (key == NULL || mask == NULL)
	{
		if (key != NULL)
			setting_free(key);
		if (mask != NULL)
			setting_free(mask);
		GUC_check_errcode(ERRCODE_OUT_OF_MEMORY);
		GUC_check_errmsg("out of memory");
		return false;
	}
	key->source = source;
	key->len = len;
	memcpy(key->key, *newval, len + 1);

	explicit_bzero(*newval, len);
	setting_free(*newval);
	*newval = mask;
	*extra = key;
	return true;
}

/* Verify tokens with the key the setting now holds. */
static void
assign_jwt_secret(const char *newval pg_attribute_unused(), void *extra)
{
	jwt_secret_key = extra;
}

/*
 * The key of invite_api.jwt_secret, or NULL when none is set; *source says
 * where it was set.
 */
const char *
settings_jwt_secret(size_t *len, GucSource *source)
{
	if (jwt_secret_key == NULL)
		return NULL;
	*len = jwt_secret_key->len;
	*source = jwt_secret_key->source;
	return jwt_secret_key->key;
}

/* The user claim must name something. */
static bool
check_jwt_user_claim(char **newval, void **extra pg_attribute_unused(),
					 GucSource source pg_attribute_unused())
{
	if (*newval == NULL || (*newval)[0] == '\0')
	{
		GUC_check_errdetail("invite_api.jwt_user_claim must not be empty.");
		return false;
	}
	return true;
}

/*
 * The token types: a comma-separated list whose items are not empty, or
 * nothing (blanks only) for any type.
 */
static bool
check_jwt_token_types(char **newval, void **extra pg_attribute_unused(),
					  GucSource source pg_attribute_unused())
{
	const char *p = *newval ? *newval : "";
	bool		blank = true;
	bool		item_empty = true;

	for (; *p; p++)
	{
		if (*p == ',')
		{
			if (item_empty)
				break;
			item_empty = true;
			blank = false;
		}
		else if (*p != ' ' && *p != '\t')
			item_empty = false;
	}
	if (item_empty && !(blank && *p == '\0'))
	{
		GUC_check_errdetail("Each item of invite_api.jwt_token_types must be a token type; an empty list accepts any.");
		return false;
	}
	return true;
}

void
settings_init(void)
{
	DefineCustomStringVariable("invite_api.jwt_secret",
							   "Sets the HMAC secret that verifies tokens (at least 32 bytes).",
							   "Shown as " INVITE_API_SECRET_MASK " once set, to superusers too; refused per database, "
							   "per role and per function.  invite_api.jwt_secret_file is preferred.",
							   &invite_api_jwt_secret,
							   "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE,
							   check_jwt_secret,
							   assign_jwt_secret,
							   NULL);

	DefineCustomStringVariable("invite_api.jwt_secret_file",
							   "Sets the file that holds the keys that verify tokens.",
							   "One raw secret, or a JWK Set of \"oct\" keys, in a file owned by the server's user that "
							   "group and others cannot access, read again when it changes; relative to the data directory.",
							   &invite_api_jwt_secret_file,
							   "",
							   PGC_SIGHUP,
							   GUC_SUPERUSER_ONLY,
							   NULL,
							   NULL,
							   NULL);

	DefineCustomStringVariable("invite_api.jwt_audience",
							   "Sets the audience a token's \"aud\" claim must contain.",
							   "Empty means that \"aud\" is not checked.",
							   &invite_api_jwt_audience,
							   "",
							   PGC_SUSET,
							   0,
							   NULL,
							   NULL,
							   NULL);

	DefineCustomIntVariable("invite_api.jwt_leeway",
							"Sets the clock skew allowed on a token's \"exp\" and \"nbf\" claims.",
							"A token that expired at most this long ago, or becomes valid within it, is accepted.",
							&invite_api_jwt_leeway,
							30,
							0,
							86400,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL,
							NULL,
							NULL);

	DefineCustomStringVariable("invite_api.jwt_user_claim",
							   "Sets the token claim that holds the user id.",
							   "Its value is a JSON integer or a string of decimal digits.",
							   &invite_api_jwt_user_claim,
							   "user_id",
							   PGC_SUSET,
							   0,
							   check_jwt_user_claim,
							   NULL,
							   NULL);

	DefineCustomStringVariable("invite_api.jwt_token_types",
							   "Sets the \"token_type\" values a token may have.",
							   "Comma-separated; a token whose \"token_type\" is not a string in the list is refused, "
							   "one without the claim is not.  Empty accepts any.",
							   &invite_api_jwt_token_types,
							   "access",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   check_jwt_token_types,
							   NULL,
							   NULL);

	DefineCustomBoolVariable("invite_api.jwt_require_exp",
							 "Sets whether tokens without an \"exp\" claim are refused.",
							 "Such a token never expires.",
							 &invite_api_jwt_require_exp,
							 true,
							 PGC_SUSET,
							 0,
							 NULL,
							 NULL,
							 NULL);

	DefineCustomStringVariable("invite_api.base_url",
							   "Sets the scheme and host put in front of the next and previous links.",
							   "Empty makes the links relative.",
							   &invite_api_base_url,
							   "",
							   PGC_USERSET,
							   0,
							   NULL,
							   NULL,
							   NULL);

	DefineCustomIntVariable("invite_api.default_limit",
							"Sets the page size used when \"limit\" is null.",
							"Above invite_api.max_limit, it is lowered to it.",
							&invite_api_default_limit,
							20,
							1,
							10000,
							PGC_USERSET,
							0,
							NULL,
							NULL,
							NULL);

	DefineCustomIntVariable("invite_api.max_limit",
							"Sets the largest page size.",
							"A larger \"limit\" is lowered to it.",
							&invite_api_max_limit,
							100,
							1,
							10000,
							PGC_USERSET,
							0,
							NULL,
							NULL,
							NULL);

	/* Read by the bookkeeping's SQL (invite_api.run_size()). */
	DefineCustomIntVariable("invite_api.run_size",
							"Sets how many invites the bookkeeping puts in one run.",
							"Runs are split above twice this and merged below a quarter of it. "
							"Smaller runs make writes restructure more often, larger ones make "
							"pages skip more.",
							&invite_api_run_size,
							512,
							8,
							1000000,
							PGC_SUSET,
							0,
							NULL,
							NULL,
							NULL);

	/*
	 * The write side: a bound on the work (and the locks) of one call, so
	 * that one request cannot hold an event's writers for long.
	 */
	DefineCustomIntVariable("invite_api.max_batch",
							"Sets the most distinct users one call may invite or uninvite.",
							"A longer list is refused (22023): one call is one statement "
							"that the event's other writers wait for.",
							&invite_api_max_batch,
							1000,
							1,
							10000,
							PGC_USERSET,
							0,
							NULL,
							NULL,
							NULL);

	MarkGUCPrefixReserved("invite_api");
}

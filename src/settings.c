/*
 * settings.c
 *		Define the invite_api.* configuration parameters.
 */
#include "postgres.h"

#include "utils/guc.h"

#include "settings.h"

/* MarkGUCPrefixReserved() is new in PostgreSQL 15. */
#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

char	   *invite_api_jwt_secret = NULL;
char	   *invite_api_jwt_audience = NULL;
int			invite_api_jwt_leeway = 30;
char	   *invite_api_jwt_user_claim = NULL;
char	   *invite_api_jwt_token_types = NULL;
bool		invite_api_jwt_require_exp = true;
char	   *invite_api_base_url = NULL;
int			invite_api_default_limit = 20;
int			invite_api_max_limit = 100;

/*
 * Refuse the secret from ALTER DATABASE/ROLE ... SET and CREATE FUNCTION ...
 * SET: those values are stored in catalogs that every role can read.  They
 * are validated with source PGC_S_TEST when stored, and applied with the
 * database/user sources at connection start (when stored before the library
 * was loaded).
 */
static bool
check_jwt_secret(char **newval pg_attribute_unused(),
				 void **extra pg_attribute_unused(), GucSource source)
{
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
			GUC_check_errhint("Set it in postgresql.conf or with ALTER SYSTEM, then reload.");
			return false;
		default:
			return true;
	}
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
							   "Readable by superusers only; refused per database, role or function.",
							   &invite_api_jwt_secret,
							   "",
							   PGC_SUSET,
							   GUC_SUPERUSER_ONLY | GUC_NOT_IN_SAMPLE,
							   check_jwt_secret,
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
							NULL,
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
							   NULL,
							   &invite_api_jwt_user_claim,
							   "user_id",
							   PGC_SUSET,
							   0,
							   check_jwt_user_claim,
							   NULL,
							   NULL);

	DefineCustomStringVariable("invite_api.jwt_token_types",
							   "Sets the \"token_type\" values a token may have.",
							   "A comma-separated list; a token whose \"token_type\" is not a string in it is refused, "
							   "one without the claim is judged by the other rules.  Empty accepts any.",
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
							NULL,
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
							"Sets the largest page size; a larger \"limit\" is lowered to it.",
							NULL,
							&invite_api_max_limit,
							100,
							1,
							10000,
							PGC_USERSET,
							0,
							NULL,
							NULL,
							NULL);

	MarkGUCPrefixReserved("invite_api");
}

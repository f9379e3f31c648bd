/*
 * auth.c
 *		Who is calling: the user a request's token speaks for.
 *
 * The SQL entry points call this first.  It reads the token settings,
 * verifies the token with jwt_verify() in a scratch memory context and turns
 * its verdict into the endpoint's errors.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "auth.h"
#include "jwt_loader.h"
#include "jwt_verify.h"
#include "settings.h"

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
 * The user the token speaks for, or an error: 28000 when the token is
 * missing or refused, 55000 when no usable secret is configured.
 */
int64
auth_user_from_token(text *token)
{
	size_t		secret_len = 0;
	GucSource	secret_source;
	const char *secret = settings_jwt_secret(&secret_len, &secret_source);
	const JwtLibrary *lib;
	const char *load_error = NULL;
	JwtVerifySettings settings;
	JwtVerifyResult result;
	int64_t		user_id = 0;
	MemoryContext scratch;
	MemoryContext old_cxt;

	if (token == NULL)
		result = JWT_VERIFY_MISSING;
	else
	{
		if (secret_len < INVITE_API_MIN_SECRET_LENGTH)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg(secret == NULL
							? "invite_api.jwt_secret is not set"
							: "invite_api.jwt_secret is too short"),
					 errdetail("Tokens are verified only with a secret of at least %d bytes.",
							   INVITE_API_MIN_SECRET_LENGTH),
					 errhint("Set invite_api.jwt_secret in postgresql.conf or with ALTER SYSTEM, then reload.")));

		lib = jwt_library_load(&load_error);
		if (lib == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("could not load libjwt"),
					 errdetail("%s", load_error)));

		scratch = AllocSetContextCreate(CurrentMemoryContext,
										"invite_api token",
										ALLOCSET_SMALL_SIZES);
		old_cxt = MemoryContextSwitchTo(scratch);

		settings.secret = (const unsigned char *) secret;
		settings.secret_len = secret_len;
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


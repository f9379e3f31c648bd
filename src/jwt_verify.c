/*
 * jwt_verify.c
 *		Verify a JWT with libjwt, then check its claims ourselves.
 *
 * libjwt 1.10 checks the signature and nothing else, and has bugs that input
 * must be kept away from (see screen_token).  The order is therefore:
 *
 *	1. screen the text: length, three non-empty base64url parts;
 *	2. jwt_decode() with the secret; insist on HS256/384/512, as the header
 *	   says it, with no "crit"; free everything libjwt allocated;
 *	3. decode the (now authenticated) payload with PostgreSQL's base64 and
 *	   JSON parser and check exp, nbf, aud and the user claim.
 *
 * Scratch memory comes from palloc (the caller's memory context in the
 * server, plain malloc in a frontend build); none of it is allocated while
 * libjwt's memory is live, so an out-of-memory error cannot leak it.
 */
#ifdef FRONTEND
#include "postgres_fe.h"
#else
#include "postgres.h"
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/base64.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"

#include "jwt_verify.h"

/* PostgreSQL 16 made JSON semantic actions return an error code. */
#if PG_VERSION_NUM >= 160000
#define JSON_ACTION_RESULT JsonParseErrorType
#define JSON_ACTION_DONE return JSON_SUCCESS
#else
#define JSON_ACTION_RESULT void
#define JSON_ACTION_DONE return
#endif

/* Roles a top-level claim can play (one name may play several). */
#define CLAIM_EXP	0x01
#define CLAIM_NBF	0x02
#define CLAIM_AUD	0x04
#define CLAIM_USER	0x08

/* What the payload walk found. */
typedef struct ClaimsState
{
	const JwtVerifySettings *settings;
	int			depth;			/* 1 inside the payload object */
	int			roles;			/* roles of the current top-level claim */
	int			seen;			/* roles whose claim was present */
	int			valid;			/* roles whose claim had a usable value */
	int			is_object;		/* the payload is a JSON object */
	int			duplicate;		/* a checked claim appeared twice */
	int			aud_wrong_type; /* aud, or one of its elements, not a string */
	int			aud_match;
	double		exp;
	double		nbf;
	int64_t		user_id;
} ClaimsState;

static const char *const reasons[] = {
	[JWT_VERIFY_OK] = "The token is valid.",
	[JWT_VERIFY_MISSING] = "No token was given.",
	[JWT_VERIFY_TOO_LONG] = "The token is longer than 8192 bytes.",
	[JWT_VERIFY_MALFORMED] = "The token is not three base64url-encoded parts separated by dots.",
	[JWT_VERIFY_BAD_SIGNATURE] = "The token signature is invalid.",
	[JWT_VERIFY_BAD_ALGORITHM] = "The token is not signed with HS256, HS384 or HS512.",
	[JWT_VERIFY_BAD_HEADER] = "The token header has a \"crit\" parameter, which is not supported.",
	[JWT_VERIFY_BAD_PAYLOAD] = "The token payload is not a JSON object with distinct claims.",
	[JWT_VERIFY_BAD_TIME] = "The token's \"exp\" or \"nbf\" claim is not a number.",
	[JWT_VERIFY_EXPIRED] = "The token has expired.",
	[JWT_VERIFY_NOT_YET_VALID] = "The token is not valid yet.",
	[JWT_VERIFY_BAD_AUDIENCE] = "The token is not meant for this audience.",
	[JWT_VERIFY_BAD_USER] = "The token has no claim holding a user id.",
	[JWT_VERIFY_OUT_OF_MEMORY] = "Out of memory while verifying the token.",
};

const char *
jwt_verify_reason(JwtVerifyResult result)
{
	if ((unsigned) result < lengthof(reasons) && reasons[result] != NULL)
		return reasons[result];
	return "The token was refused.";
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

static int
is_base64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Drop surrounding blanks and an optional "Bearer" prefix (any case), which
 * is followed by blanks or stands alone; the token left is [*start, *start +
 * *len), empty for "Bearer" alone.
 */
static void
strip_bearer(const char **start, size_t *len)
{
	const char *p = *start;
	const char *end = p + *len;

	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	if (end - p >= 6 && pg_strncasecmp(p, "bearer", 6) == 0 &&
		(end - p == 6 || is_space(p[6])))
	{
		p += 6;
		while (p < end && is_space(*p))
			p++;
	}
	*start = p;
	*len = end - p;
}

/*
 * Keep libjwt 1.10.2 away from what it mishandles: it alloca()s the length of
 * a segment (a long token overflows the stack) and writes out of bounds on
 * empty segments.  Accept exactly three non-empty base64url segments, none
 * of a length that is 1 mod 4 (no base64 string has one).  On success set
 * *payload and *payload_len to the middle segment.
 */
static JwtVerifyResult
screen_token(const char *token, size_t len,
			 const char **payload, size_t *payload_len)
{
	size_t		seglen[3] = {0, 0, 0};
	size_t		dot[2] = {0, 0};
	int			ndots = 0;

	if (len > JWT_VERIFY_MAX_LENGTH)
		return JWT_VERIFY_TOO_LONG;
	for (size_t i = 0; i < len; i++)
	{
		if (token[i] == '.')
		{
			if (ndots == 2)
				return JWT_VERIFY_MALFORMED;
			dot[ndots++] = i;
		}
		else if (is_base64url(token[i]))
			seglen[ndots]++;
		else
			return JWT_VERIFY_MALFORMED;
	}
	if (ndots != 2)
		return JWT_VERIFY_MALFORMED;
	for (int i = 0; i < 3; i++)
		if (seglen[i] == 0 || seglen[i] % 4 == 1)
			return JWT_VERIFY_MALFORMED;

	*payload = token + dot[0] + 1;
	*payload_len = seglen[1];
	return JWT_VERIFY_OK;
}

/*
 * Let libjwt check the signature.  Frees all libjwt memory before returning.
 */
static JwtVerifyResult
check_signature(const JwtLibrary *lib, const char *token,
				const JwtVerifySettings *settings)
{
	jwt_t	   *jwt = NULL;
	const char *header_alg;
	const char *expected;
	char	   *crit;
	JwtVerifyResult result = JWT_VERIFY_OK;
	int			rc;

	/* A NULL or empty key makes jwt_decode() skip verification. */
	if (settings->secret == NULL || settings->secret_len == 0 ||
		settings->secret_len > INT32_MAX)
		return JWT_VERIFY_BAD_SIGNATURE;

	rc = lib->decode(&jwt, token, settings->secret, (int) settings->secret_len);
	if (rc != 0)
	{
		if (jwt != NULL)
			lib->free(jwt);
		return rc == ENOMEM ? JWT_VERIFY_OUT_OF_MEMORY : JWT_VERIFY_BAD_SIGNATURE;
	}

	/*
	 * jwt_decode() also says yes without verifying when it could not copy
	 * the key; the algorithm is then "none".  libjwt matches "alg" without
	 * regard to case: insist on the exact spelling too.
	 */
	switch (lib->get_alg(jwt))
	{
		case JWT_ALG_HS256:
			expected = "HS256";
			break;
		case JWT_ALG_HS384:
			expected = "HS384";
			break;
		case JWT_ALG_HS512:
			expected = "HS512";
			break;
		default:
			expected = NULL;
			break;
	}
	header_alg = lib->get_header(jwt, "alg");
	if (expected == NULL || header_alg == NULL || strcmp(header_alg, expected) != 0)
		result = JWT_VERIFY_BAD_ALGORITHM;
	else
	{
		/* RFC 7515 4.1.11: refuse extensions we do not understand. */
		errno = 0;
		crit = lib->get_headers_json(jwt, "crit");
		if (crit != NULL)
		{
			free(crit);
			result = JWT_VERIFY_BAD_HEADER;
		}
		else if (errno == ENOMEM)
			result = JWT_VERIFY_OUT_OF_MEMORY;
	}
	lib->free(jwt);
	return result;
}

/* Decode a base64url segment (no padding) into a palloc'd string. */
static char *
decode_segment(const char *segment, size_t len, int *decoded_len)
{
	size_t		padded_len = (len + 3) & ~(size_t) 3;
	char	   *b64 = palloc(padded_len);
	char	   *out = palloc(pg_b64_dec_len((int) padded_len) + 1);
	size_t		i;

	for (i = 0; i < len; i++)
		b64[i] = segment[i] == '-' ? '+' : segment[i] == '_' ? '/' : segment[i];
	for (; i < padded_len; i++)
		b64[i] = '=';
	*decoded_len = pg_b64_decode(b64, (int) padded_len, out,
								 pg_b64_dec_len((int) padded_len));
	pfree(b64);
	if (*decoded_len < 0)
	{
		pfree(out);
		return NULL;
	}
	out[*decoded_len] = '\0';
	return out;
}

/* A JSON number token as a double; 0 unless it parses whole. */
static int
parse_number(const char *text, double *value)
{
	char	   *end;

	errno = 0;
	*value = strtod(text, &end);
	return end != text && *end == '\0' && errno != ERANGE;
}

/*
 * A user id: a JSON integer (optionally negative), or a string of decimal
 * digits, within bigint.
 */
static int
parse_user_id(const char *text, JsonTokenType type, int64_t *value)
{
	const char *digits = text;
	char	   *end;
	long long	parsed;

	if (type == JSON_TOKEN_NUMBER && *digits == '-')
		digits++;
	else if (type != JSON_TOKEN_STRING && type != JSON_TOKEN_NUMBER)
		return 0;
	if (*digits == '\0')
		return 0;
	for (const char *p = digits; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;

	errno = 0;
	parsed = strtoll(text, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return 0;
	*value = (int64_t) parsed;
	return 1;
}

static JSON_ACTION_RESULT
claims_object_start(void *arg)
{
	ClaimsState *state = arg;

	if (state->depth == 0)
		state->is_object = 1;
	else if (state->depth >= 1 && (state->roles & CLAIM_AUD))
		state->aud_wrong_type = 1;
	state->depth++;
	JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
claims_array_start(void *arg)
{
	ClaimsState *state = arg;

	/* aud may be an array of strings; nothing deeper */
	if (state->depth >= 2 && (state->roles & CLAIM_AUD))
		state->aud_wrong_type = 1;
	state->depth++;
	JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
claims_struct_end(void *arg)
{
	ClaimsState *state = arg;

	state->depth--;
	JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
claims_field_start(void *arg, char *fname, bool isnull)
{
	ClaimsState *state = arg;

	if (state->depth == 1)
	{
		state->roles = 0;
		if (strcmp(fname, "exp") == 0)
			state->roles |= CLAIM_EXP;
		if (strcmp(fname, "nbf") == 0)
			state->roles |= CLAIM_NBF;
		if (strcmp(fname, "aud") == 0)
			state->roles |= CLAIM_AUD;
		if (strcmp(fname, state->settings->user_claim) == 0)
			state->roles |= CLAIM_USER;

		/* jansson keeps the last of duplicate keys; refuse the ambiguity */
		if (state->seen & state->roles)
			state->duplicate = 1;
		state->seen |= state->roles;
	}

	/*
	 * The name is ours to free, and nothing needs it later (the end action
	 * is handed the same pointer but does not read it).  Freeing it here
	 * rather than there leaks nothing when the value fails to parse.
	 */
	pfree(fname);
	JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
claims_field_end(void *arg, char *fname, bool isnull)
{
	ClaimsState *state = arg;

	if (state->depth == 1)
		state->roles = 0;
	JSON_ACTION_DONE;
}

static JSON_ACTION_RESULT
claims_scalar(void *arg, char *token, JsonTokenType type)
{
	ClaimsState *state = arg;
	const char *audience = state->settings->audience;

	if (state->depth == 1 && state->roles != 0)
	{
		double		number;

		if ((state->roles & (CLAIM_EXP | CLAIM_NBF)) &&
			type == JSON_TOKEN_NUMBER && parse_number(token, &number))
		{
			if (state->roles & CLAIM_EXP)
			{
				state->exp = number;
				state->valid |= CLAIM_EXP;
			}
			if (state->roles & CLAIM_NBF)
			{
				state->nbf = number;
				state->valid |= CLAIM_NBF;
			}
		}
		if ((state->roles & CLAIM_USER) &&
			parse_user_id(token, type, &state->user_id))
			state->valid |= CLAIM_USER;
	}

	/* aud itself (depth 1) or an element of an aud array (depth 2) */
	if ((state->depth == 1 || state->depth == 2) && (state->roles & CLAIM_AUD))
	{
		if (type != JSON_TOKEN_STRING)
			state->aud_wrong_type = 1;
		else if (audience != NULL && strcmp(token, audience) == 0)
			state->aud_match = 1;
	}

	if (token != NULL)
		pfree(token);
	JSON_ACTION_DONE;
}

/* Parse the payload JSON and fill state; 0 when it is not valid JSON. */
static int
walk_claims(char *json, int len, ClaimsState *state)
{
	JsonSemAction sem = {0};
	JsonLexContext *lex;
	JsonParseErrorType rc;

	sem.semstate = state;
	sem.object_start = claims_object_start;
	sem.object_end = claims_struct_end;
	sem.array_start = claims_array_start;
	sem.array_end = claims_struct_end;
	sem.object_field_start = claims_field_start;
	sem.object_field_end = claims_field_end;
	sem.scalar = claims_scalar;

#if PG_VERSION_NUM >= 170000
	lex = makeJsonLexContextCstringLen(NULL, json, len, PG_UTF8, true);
	rc = pg_parse_json(lex, &sem);
	freeJsonLexContext(lex);
#else
	lex = makeJsonLexContextCstringLen(json, len, PG_UTF8, true);
	rc = pg_parse_json(lex, &sem);
	pfree(lex->strval->data);
	pfree(lex->strval);
	pfree(lex);
#endif
	return rc == JSON_SUCCESS;
}

/* Check the claims of an authenticated payload. */
static JwtVerifyResult
check_claims(const char *segment, size_t segment_len,
			 const JwtVerifySettings *settings, int64_t *user_id)
{
	ClaimsState state = {0};
	char	   *json;
	int			json_len;
	int			parsed;
	int			audience_required;

	json = decode_segment(segment, segment_len, &json_len);
	if (json == NULL)
		return JWT_VERIFY_MALFORMED;
	state.settings = settings;
	parsed = walk_claims(json, json_len, &state);
	pfree(json);

	if (!parsed || !state.is_object || state.duplicate)
		return JWT_VERIFY_BAD_PAYLOAD;
	if ((state.seen & ~state.valid) & (CLAIM_EXP | CLAIM_NBF))
		return JWT_VERIFY_BAD_TIME;
	if ((state.valid & CLAIM_EXP) && settings->now >= state.exp + settings->leeway)
		return JWT_VERIFY_EXPIRED;
	if ((state.valid & CLAIM_NBF) && settings->now < state.nbf - settings->leeway)
		return JWT_VERIFY_NOT_YET_VALID;

	audience_required = settings->audience != NULL && settings->audience[0] != '\0';
	if (audience_required && (state.aud_wrong_type || !state.aud_match))
		return JWT_VERIFY_BAD_AUDIENCE;

	if (!(state.valid & CLAIM_USER))
		return JWT_VERIFY_BAD_USER;
	*user_id = state.user_id;
	return JWT_VERIFY_OK;
}

JwtVerifyResult
jwt_verify(const JwtLibrary *lib, const char *token, size_t len,
		   const JwtVerifySettings *settings, int64_t *user_id)
{
	const char *payload;
	size_t		payload_len;
	char	   *copy;
	JwtVerifyResult result;

	strip_bearer(&token, &len);
	if (len == 0)
		return JWT_VERIFY_MISSING;
	result = screen_token(token, len, &payload, &payload_len);
	if (result != JWT_VERIFY_OK)
		return result;

	/* libjwt wants a C string; allocate it before libjwt runs */
	copy = pnstrdup(token, len);
	result = check_signature(lib, copy, settings);
	pfree(copy);
	if (result != JWT_VERIFY_OK)
		return result;

	return check_claims(payload, payload_len, settings, user_id);
}

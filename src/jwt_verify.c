/*
 * jwt_verify.c
 *		Verify a JWT with libjwt, then check its claims ourselves.
 *
 * libjwt 1.10 checks the signature and nothing else, and has bugs that input
 * must be kept away from (see screen_token).  The order is therefore:
 *
 *	1. screen the text: length, three non-empty base64url parts;
 *	2. choose the keys the header's "kid" and "alg" allow;
 *	3. jwt_decode() with each of them until one verifies; insist on
 *	   HS256/384/512, as the header says it, with no "crit"; free everything
 *	   libjwt allocated;
 *	4. decode the (now authenticated) payload with PostgreSQL's base64, parse
 *	   it with jansson (libjwt's JSON parser, so both read the same claims)
 *	   and check exp, nbf, token_type, aud and the user claim as UTF-8,
 *	   whatever the database encoding.
 *
 * Scratch memory comes from palloc (the caller's memory context in the
 * server, plain malloc in a frontend build); none of it is allocated while
 * libjwt's or jansson's memory is live, so an out-of-memory error cannot
 * leak it.
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

#include "jwt_verify.h"

static const char *const reasons[] = {
	[JWT_VERIFY_OK] = "The token is valid.",
	[JWT_VERIFY_MISSING] = "No token was given.",
	[JWT_VERIFY_TOO_LONG] = "The token is longer than 8192 bytes.",
	[JWT_VERIFY_MALFORMED] = "The token is not three base64url-encoded parts separated by dots.",
	[JWT_VERIFY_BAD_SIGNATURE] = "The token signature is invalid, or its header or payload is not JSON.",
	[JWT_VERIFY_BAD_ALGORITHM] = "The token is not signed with HS256, HS384 or HS512.",
	[JWT_VERIFY_BAD_HEADER] = "The token header has a \"crit\" parameter, which is not supported.",
	[JWT_VERIFY_BAD_KID] = "The token header's \"kid\" is not a string.",
	[JWT_VERIFY_NO_KEY] = "No key is configured for the token's \"kid\" and \"alg\".",
	[JWT_VERIFY_BAD_PAYLOAD] = "The token payload is not a JSON object with distinct claims.",
	[JWT_VERIFY_BAD_TIME] = "The token's \"exp\" or \"nbf\" claim is not a number.",
	[JWT_VERIFY_EXPIRED] = "The token has expired.",
	[JWT_VERIFY_NOT_YET_VALID] = "The token is not valid yet.",
	[JWT_VERIFY_NO_EXP] = "The token has no \"exp\" claim, and invite_api.jwt_require_exp is on.",
	[JWT_VERIFY_BAD_TOKEN_TYPE] = "The token's \"token_type\" is not a string listed in invite_api.jwt_token_types.",
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
 * Drop surrounding blanks and an optional "Bearer " prefix (any case); the
 * token left is [*start, *start + *len).  "Bearer" alone leaves nothing.
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
 * *header_len to the first segment's length, and *payload and *payload_len
 * to the middle segment.
 */
static JwtVerifyResult
screen_token(const char *token, size_t len, size_t *header_len,
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

	*header_len = seglen[0];
	*payload = token + dot[0] + 1;
	*payload_len = seglen[1];
	return JWT_VERIFY_OK;
}

/*
 * Let libjwt check the signature with one key.  Frees all libjwt memory
 * before returning.
 */
static JwtVerifyResult
check_signature(const JwtLibrary *lib, const char *token, const JwtKey *key)
{
	jwt_t	   *jwt = NULL;
	const char *header_alg;
	const char *expected;
	char	   *crit;
	JwtVerifyResult result = JWT_VERIFY_OK;
	int			rc;

	/* A NULL or empty key makes jwt_decode() skip verification. */
	if (key->bytes == NULL || key->len == 0 || key->len > INT32_MAX)
		return JWT_VERIFY_BAD_SIGNATURE;

	rc = lib->decode(&jwt, token, key->bytes, (int) key->len);
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

/*
 * Mark in candidate[] the keys that the header's "kid" and "alg" allow:
 * with a kid, a key with another kid is left out (keys without one are
 * tried for any); with an alg, a key meant for another algorithm is.  The
 * header is read with jansson as libjwt reads it (the last of a name given
 * twice counts).  A header that is not a JSON object leaves every key in:
 * libjwt refuses the token.
 */
static JwtVerifyResult
choose_keys(const JwtLibrary *lib, const char *segment, size_t segment_len,
			const JwtVerifySettings *settings, bool *candidate)
{
	char	   *json;
	int			json_len;
	json_t	   *header = NULL;
	json_error_t error;
	JwtVerifyResult result = JWT_VERIFY_NO_KEY;

	json = decode_segment(segment, segment_len, &json_len);
	if (json != NULL)
		header = lib->json_loadb(json, (size_t) json_len, 0, &error);

	if (header == NULL || !json_is_object(header))
	{
		for (int i = 0; i < settings->nkeys; i++)
			candidate[i] = true;
		result = settings->nkeys > 0 ? JWT_VERIFY_OK : JWT_VERIFY_NO_KEY;
	}
	else
	{
		json_t	   *kid = lib->json_object_get(header, "kid");
		json_t	   *alg = lib->json_object_get(header, "alg");
		const char *kid_text = NULL;
		const char *alg_text = NULL;

		if (kid != NULL && !json_is_string(kid))
			result = JWT_VERIFY_BAD_KID;
		else
		{
			if (kid != NULL)
				kid_text = lib->json_string_value(kid);
			if (alg != NULL && json_is_string(alg))
				alg_text = lib->json_string_value(alg);
			for (int i = 0; i < settings->nkeys; i++)
			{
				const JwtKey *key = &settings->keys[i];

				candidate[i] =
					(kid_text == NULL || key->kid == NULL ||
					 strcmp(kid_text, key->kid) == 0) &&
					(key->alg == NULL ||
					 (alg_text != NULL && strcmp(alg_text, key->alg) == 0));
				if (candidate[i])
					result = JWT_VERIFY_OK;
			}
		}
	}
	jwt_json_release(lib, header);
	if (json != NULL)
		pfree(json);
	return result;
}

/*
 * A user id: a JSON integer (optionally negative), or a string of decimal
 * digits, within bigint.
 */
static int
parse_user_id(const JwtLibrary *lib, json_t *claim, int64_t *value)
{
	const char *digits;
	char	   *end;
	long long	parsed;

	if (json_is_integer(claim))
	{
		*value = (int64_t) lib->json_integer_value(claim);
		return 1;
	}
	if (!json_is_string(claim))
		return 0;

	digits = lib->json_string_value(claim);
	if (*digits == '\0')
		return 0;
	for (const char *p = digits; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	errno = 0;
	parsed = strtoll(digits, &end, 10);
	if (errno == ERANGE || *end != '\0')
		return 0;
	*value = (int64_t) parsed;
	return 1;
}

/* Is value one of the items of list (comma separated, blanks around)? */
static int
type_listed(const char *list, const char *value)
{
	const char *p = list;
	size_t		value_len = strlen(value);

	for (;;)
	{
		const char *item;
		const char *end;

		while (is_space(*p))
			p++;
		item = p;
		while (*p != '\0' && *p != ',')
			p++;
		end = p;
		while (end > item && is_space(end[-1]))
			end--;
		if ((size_t) (end - item) == value_len &&
			memcmp(item, value, value_len) == 0)
			return 1;
		if (*p == '\0')
			return 0;
		p++;
	}
}

/* Is the list of token types empty (nothing but blanks)? */
static int
list_is_blank(const char *list)
{
	if (list == NULL)
		return 1;
	while (is_space(*list))
		list++;
	return *list == '\0';
}

/* Is aud (a string, or an array of strings) for the audience? */
static int
audience_matches(const JwtLibrary *lib, json_t *aud, const char *audience)
{
	size_t		n;
	int			found = 0;

	if (json_is_string(aud))
		return strcmp(lib->json_string_value(aud), audience) == 0;
	if (!json_is_array(aud))
		return 0;
	/* every element must be a string, whether or not one matches */
	n = lib->json_array_size(aud);
	for (size_t i = 0; i < n; i++)
	{
		json_t	   *element = lib->json_array_get(aud, i);

		if (!json_is_string(element))
			return 0;
		if (strcmp(lib->json_string_value(element), audience) == 0)
			found = 1;
	}
	return found;
}

/*
 * Judge the claims of a parsed, authenticated payload.  Allocates nothing:
 * the caller frees the JSON afterwards, whatever the verdict.
 */
static JwtVerifyResult
judge_claims(const JwtLibrary *lib, json_t *claims,
			 const JwtVerifySettings *settings, int64_t *user_id)
{
	json_t	   *exp = lib->json_object_get(claims, "exp");
	json_t	   *nbf = lib->json_object_get(claims, "nbf");
	json_t	   *user = lib->json_object_get(claims, settings->user_claim);
	const char *audience = settings->audience;

	if ((exp != NULL && !json_is_number(exp)) ||
		(nbf != NULL && !json_is_number(nbf)))
		return JWT_VERIFY_BAD_TIME;
	if (exp != NULL &&
		settings->now >= lib->json_number_value(exp) + settings->leeway)
		return JWT_VERIFY_EXPIRED;
	if (nbf != NULL &&
		settings->now < lib->json_number_value(nbf) - settings->leeway)
		return JWT_VERIFY_NOT_YET_VALID;
	if (exp == NULL && settings->require_exp)
		return JWT_VERIFY_NO_EXP;

	/* a token without the claim is judged by the other rules */
	if (!list_is_blank(settings->token_types))
	{
		json_t	   *type = lib->json_object_get(claims, "token_type");

		if (type != NULL &&
			(!json_is_string(type) ||
			 !type_listed(settings->token_types, lib->json_string_value(type))))
			return JWT_VERIFY_BAD_TOKEN_TYPE;
	}

	if (audience != NULL && audience[0] != '\0')
	{
		json_t	   *aud = lib->json_object_get(claims, "aud");

		if (aud == NULL || !audience_matches(lib, aud, audience))
			return JWT_VERIFY_BAD_AUDIENCE;
	}

	if (user == NULL || !parse_user_id(lib, user, user_id))
		return JWT_VERIFY_BAD_USER;
	return JWT_VERIFY_OK;
}

/*
 * Check the claims of an authenticated payload: decode it, parse it with
 * jansson (as libjwt did, but refusing duplicate names) and judge it.  The
 * strings compared are UTF-8, as the token's JSON is: nothing is converted
 * to the database encoding.
 */
static JwtVerifyResult
check_claims(const JwtLibrary *lib, const char *segment, size_t segment_len,
			 const JwtVerifySettings *settings, int64_t *user_id)
{
	char	   *json;
	int			json_len;
	json_t	   *claims;
	json_error_t error;
	JwtVerifyResult result;
	int64_t		user = 0;

	json = decode_segment(segment, segment_len, &json_len);
	if (json == NULL)
		return JWT_VERIFY_MALFORMED;

	/*
	 * RFC 7519 4: a JWT whose claim names are not unique is refused (jansson
	 * alone keeps the last).  The whole decoded length is parsed: libjwt
	 * stopped at a NUL, and what follows one is not an object.
	 */
	claims = lib->json_loadb(json, (size_t) json_len, JSON_REJECT_DUPLICATES,
							 &error);
	if (claims == NULL)
		result = json_error_code(&error) == json_error_out_of_memory ?
			JWT_VERIFY_OUT_OF_MEMORY : JWT_VERIFY_BAD_PAYLOAD;
	else if (!json_is_object(claims))
		result = JWT_VERIFY_BAD_PAYLOAD;
	else
		result = judge_claims(lib, claims, settings, &user);
	jwt_json_release(lib, claims);
	pfree(json);

	if (result == JWT_VERIFY_OK)
		*user_id = user;
	return result;
}

JwtVerifyResult
jwt_screen(const char *token, size_t len)
{
	size_t		header_len;
	const char *payload;
	size_t		payload_len;

	strip_bearer(&token, &len);
	if (len == 0)
		return JWT_VERIFY_MISSING;
	return screen_token(token, len, &header_len, &payload, &payload_len);
}

JwtVerifyResult
jwt_verify(const JwtLibrary *lib, const char *token, size_t len,
		   const JwtVerifySettings *settings, int64_t *user_id)
{
	size_t		header_len;
	const char *payload;
	size_t		payload_len;
	char	   *copy;
	bool	   *candidate;
	JwtVerifyResult result;

	strip_bearer(&token, &len);
	if (len == 0)
		return JWT_VERIFY_MISSING;
	result = screen_token(token, len, &header_len, &payload, &payload_len);
	if (result != JWT_VERIFY_OK)
		return result;

	/* libjwt wants a C string; allocate it before libjwt runs */
	copy = pnstrdup(token, len);
	candidate = palloc(sizeof(bool) * (settings->nkeys + 1));
	result = choose_keys(lib, token, header_len, settings, candidate);
	if (result == JWT_VERIFY_OK)
	{
		/*
		 * The first key that verifies the signature decides.  Whatever else
		 * libjwt or we refuse after the signature does not depend on the key.
		 */
		result = JWT_VERIFY_BAD_SIGNATURE;
		for (int i = 0; i < settings->nkeys; i++)
		{
			JwtVerifyResult r;

			if (!candidate[i])
				continue;
			r = check_signature(lib, copy, &settings->keys[i]);
			if (r != JWT_VERIFY_BAD_SIGNATURE)
			{
				result = r;
				break;
			}
		}
	}
	pfree(candidate);
	pfree(copy);
	if (result != JWT_VERIFY_OK)
		return result;

	return check_claims(lib, payload, payload_len, settings, user_id);
}

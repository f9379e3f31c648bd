/*
 * jwt_verify.h
 *		Verify a JWT and return the user it speaks for.
 *
 * No PostgreSQL types in this interface: token, secret and settings in, a
 * user id or a reason out, so that it can be tested and fuzzed outside the
 * server.
 */
#ifndef INVITE_API_JWT_VERIFY_H
#define INVITE_API_JWT_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "jwt_loader.h"

/* Longest token accepted (after "Bearer "); real ones are a few hundred. */
#define JWT_VERIFY_MAX_LENGTH 8192

/* An HMAC key, and what a token must say to be verified with it. */
typedef struct JwtKey
{
	const unsigned char *bytes;
	size_t		len;
	const char *kid;			/* its id (UTF-8), or NULL: tried for any kid */
	const char *alg;			/* "HS256", "HS384", "HS512"; NULL: any */
} JwtKey;

typedef struct JwtVerifySettings
{
	/*
	 * The keys: a token is accepted when one of those its header allows
	 * verifies it.  With a "kid" in the header, a key with another kid is
	 * not tried; with "alg", a key meant for another algorithm is not.
	 */
	const JwtKey *keys;
	int			nkeys;
	const char *audience;		/* required "aud" (UTF-8); NULL or "" for none */
	const char *user_claim;		/* claim holding the user id (UTF-8) */
	const char *token_types;	/* "token_type" values accepted (UTF-8), comma
								 * separated, blanks around each ignored;
								 * NULL or blank: any, or none */
	int			require_exp;	/* refuse tokens without "exp" */
	double		leeway;			/* seconds of clock skew on exp and nbf */
	double		now;			/* seconds since the Unix epoch */
} JwtVerifySettings;

typedef enum JwtVerifyResult
{
	JWT_VERIFY_OK = 0,
	JWT_VERIFY_MISSING,			/* empty, or "Bearer" alone */
	JWT_VERIFY_TOO_LONG,		/* over JWT_VERIFY_MAX_LENGTH */
	JWT_VERIFY_MALFORMED,		/* not three base64url parts */
	JWT_VERIFY_BAD_SIGNATURE,	/* libjwt refused it */
	JWT_VERIFY_BAD_ALGORITHM,	/* not HS256, HS384 or HS512 */
	JWT_VERIFY_BAD_HEADER,		/* a "crit" header we cannot honour */
	JWT_VERIFY_BAD_KID,			/* a "kid" that is not a string */
	JWT_VERIFY_NO_KEY,			/* no key for the header's "kid" and "alg" */
	JWT_VERIFY_BAD_PAYLOAD,		/* not a JSON object, or a claim twice */
	JWT_VERIFY_BAD_TIME,		/* "exp" or "nbf" not a number */
	JWT_VERIFY_EXPIRED,
	JWT_VERIFY_NOT_YET_VALID,
	JWT_VERIFY_NO_EXP,			/* no "exp", and require_exp is set */
	JWT_VERIFY_BAD_TOKEN_TYPE,	/* "token_type" not a string listed */
	JWT_VERIFY_BAD_AUDIENCE,
	JWT_VERIFY_BAD_USER,		/* user claim missing or not a bigint */
	JWT_VERIFY_OUT_OF_MEMORY
} JwtVerifyResult;

/*
 * What can be told of token[0..len) without a key: JWT_VERIFY_MISSING,
 * _TOO_LONG, _MALFORMED, or JWT_VERIFY_OK when it may be a token.
 */
extern JwtVerifyResult jwt_screen(const char *token, size_t len);

/*
 * Verify token[0..len) with the settings; on JWT_VERIFY_OK set *user_id.
 * The token may start with "Bearer " (any case).  Allocates only scratch
 * memory in the current memory context, and raises no error while libjwt's
 * memory is live.
 */
extern JwtVerifyResult jwt_verify(const JwtLibrary *lib,
								  const char *token, size_t len,
								  const JwtVerifySettings *settings,
								  int64_t *user_id);

/* A sentence for the client saying why a token was refused. */
extern const char *jwt_verify_reason(JwtVerifyResult result);

#endif							/* INVITE_API_JWT_VERIFY_H */

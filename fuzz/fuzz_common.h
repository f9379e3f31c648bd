/*
 * fuzz_common.h
 *		What the two libFuzzer targets of jwt_verify() share: fixed settings,
 *		OpenSSL signing, and the invariants every verification must keep.
 *
 * A violated invariant prints what it saw and calls abort(), which libFuzzer
 * reports as a crash and saves as a reproducer.
 */
#ifndef INVITE_API_FUZZ_COMMON_H
#define INVITE_API_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "jwt_verify.h"

/* The secret the seed corpus is signed with (fuzz/make_seeds.py knows it). */
#define FUZZ_SECRET "invite-api-fuzz-secret-0123456789abcdef"
/* Another secret of the same length: nothing signed with it may pass. */
#define FUZZ_WRONG_SECRET "invite-api-fuzz-secret-0123456789abcdeF"
/*
 * The key ring of a rotation: the old key, for HS512 only, with kid "old",
 * and FUZZ_SECRET with kid "current".
 */
#define FUZZ_OLD_SECRET "invite-api-fuzz-old-key-0123456789abcdef"
#define FUZZ_OLD_KID "old"
#define FUZZ_OLD_ALG "HS512"
#define FUZZ_KID "current"
#define FUZZ_AUDIENCE "invite-api"
#define FUZZ_USER_CLAIM "user_id"
#define FUZZ_LEEWAY 30.0
/* The rules' defaults; the relaxed settings require no exp and any type. */
#define FUZZ_TOKEN_TYPES "access"
/* 2023-11-14 22:13:20 UTC; seeds expire an hour later. */
#define FUZZ_NOW 1700000000.0

/* Room fuzz_b64url() needs for n bytes: padded base64 and a NUL. */
#define FUZZ_B64_SIZE(n) (((n) + 2) / 3 * 4 + 1)
/* Room for the longest HMAC, base64url-encoded. */
#define FUZZ_MAX_SIG_B64 FUZZ_B64_SIZE(EVP_MAX_MD_SIZE)

/* Verification settings and the keys they point to. */
typedef struct FuzzSettings
{
	JwtVerifySettings s;
	JwtKey		keys[2];
} FuzzSettings;

/*
 * Settings with one key (secret, no kid, any algorithm), with or without the
 * required audience, with the rules' defaults (exp required, token_type
 * "access") or relaxed (neither).
 */
extern void fuzz_settings(FuzzSettings *settings, int with_audience,
						  int relaxed, const char *secret);

/* The rules' defaults, no audience, and the key ring of a rotation. */
extern void fuzz_ring_settings(FuzzSettings *settings);

/*
 * The key ring against the single FUZZ_SECRET: the screen and a "kid" that
 * is not a string are judged alike; otherwise the ring gives the same
 * verdict, or refuses because the header's kid or alg leaves FUZZ_SECRET
 * out (NO_KEY, or BAD_SIGNATURE when only the old key is tried), or -- when
 * the single key refused the signature -- may verify with the old key.
 */
extern void fuzz_check_ring(JwtVerifyResult single, int64_t user_single,
							JwtVerifyResult ring, int64_t user_ring,
							const char *token, size_t len);

/* Did the verdict get past the signature (a key verified it)? */
extern int	fuzz_signature_verified(JwtVerifyResult result);

/*
 * jwt_verify() run twice on the same input, with different values left in
 * *user_id beforehand; aborts unless both runs agree, the result is one of
 * the enum's, and an OK result set the user id.
 */
extern JwtVerifyResult fuzz_verify(const char *token, size_t len,
								   const JwtVerifySettings *settings,
								   int64_t *user_id);

/*
 * Requiring an audience can only refuse more: aborts unless the result with
 * the audience set (with_aud) is what the result without it allows.
 */
extern void fuzz_check_audience(JwtVerifyResult without_aud,
								int64_t user_without,
								JwtVerifyResult with_aud,
								int64_t user_with,
								const char *token, size_t len);

/*
 * Relaxing the rules (no exp required, any token_type) only turns NO_EXP or
 * BAD_TOKEN_TYPE into a verdict of a later check (OK, BAD_AUDIENCE,
 * BAD_USER); aborts on anything else.
 */
extern void fuzz_check_relaxed(JwtVerifyResult strict, int64_t user_strict,
							   JwtVerifyResult relaxed, int64_t user_relaxed,
							   const char *token, size_t len);

/* Whether "Bearer " prefixes can be added to this input and change nothing. */
extern int	fuzz_can_prefix_bearer(const char *token, size_t len);

/* "Bearer " in one of several spellings (chosen by seed) + token; malloc'd. */
extern char *fuzz_prefix_bearer(const char *token, size_t len,
								unsigned seed, size_t *out_len);

/*
 * base64url without padding of in[0..len) into out (FUZZ_B64_SIZE(len)
 * bytes); returns its length.
 */
extern size_t fuzz_b64url(const unsigned char *in, size_t len, char *out);

/* base64url(HMAC(md, secret, data[0..len))) into out (FUZZ_MAX_SIG_B64). */
extern size_t fuzz_sign(const EVP_MD *md, const char *secret,
						const char *data, size_t len, char *out);

/* A result's name, for messages and the seed check. */
extern const char *fuzz_result_name(JwtVerifyResult result);

/* Report an invariant violation and abort(). */
extern void fuzz_fail(const char *what, const char *token, size_t len)
			__attribute__((noreturn));

/* With JWT_FUZZ_TRACE set in the environment, print a result to stderr. */
extern void fuzz_trace(const char *label, JwtVerifyResult result,
					   int64_t user_id);

#endif							/* INVITE_API_FUZZ_COMMON_H */

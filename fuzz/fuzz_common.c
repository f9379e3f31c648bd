/*
 * fuzz_common.c
 *		Settings, signing and invariant checks shared by the fuzz targets.
 *
 * Signing uses OpenSSL's HMAC() and EVP_EncodeBlock(): the harness must not
 * share code, or mistakes, with the module under test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/hmac.h>

#include "fuzz_common.h"

#define SENTINEL_A ((int64_t) -7777777777777777777LL)
#define SENTINEL_B ((int64_t) 7777777777777777777LL)

static const char *const result_names[] = {
	[JWT_VERIFY_OK] = "OK",
	[JWT_VERIFY_MISSING] = "MISSING",
	[JWT_VERIFY_TOO_LONG] = "TOO_LONG",
	[JWT_VERIFY_MALFORMED] = "MALFORMED",
	[JWT_VERIFY_BAD_SIGNATURE] = "BAD_SIGNATURE",
	[JWT_VERIFY_BAD_ALGORITHM] = "BAD_ALGORITHM",
	[JWT_VERIFY_BAD_HEADER] = "BAD_HEADER",
	[JWT_VERIFY_BAD_KID] = "BAD_KID",
	[JWT_VERIFY_NO_KEY] = "NO_KEY",
	[JWT_VERIFY_BAD_PAYLOAD] = "BAD_PAYLOAD",
	[JWT_VERIFY_BAD_TIME] = "BAD_TIME",
	[JWT_VERIFY_EXPIRED] = "EXPIRED",
	[JWT_VERIFY_NOT_YET_VALID] = "NOT_YET_VALID",
	[JWT_VERIFY_NO_EXP] = "NO_EXP",
	[JWT_VERIFY_BAD_TOKEN_TYPE] = "BAD_TOKEN_TYPE",
	[JWT_VERIFY_BAD_AUDIENCE] = "BAD_AUDIENCE",
	[JWT_VERIFY_BAD_USER] = "BAD_USER",
	[JWT_VERIFY_OUT_OF_MEMORY] = "OUT_OF_MEMORY",
};

#define N_RESULTS (sizeof(result_names) / sizeof(result_names[0]))

const char *
fuzz_result_name(JwtVerifyResult result)
{
	if ((unsigned) result < N_RESULTS && result_names[result] != NULL)
		return result_names[result];
	return "OUT_OF_RANGE";
}

void
fuzz_fail(const char *what, const char *token, size_t len)
{
	fprintf(stderr, "\n*** invariant violated: %s\n*** input (%zu bytes): \"",
			what, len);
	for (size_t i = 0; i < len && i < 512; i++)
	{
		unsigned char c = (unsigned char) token[i];

		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			fputc(c, stderr);
		else
			fprintf(stderr, "\\x%02x", c);
	}
	fprintf(stderr, "%s\"\n", len > 512 ? "..." : "");
	abort();
}

/* libjwt, opened once; without it nothing can be tested. */
static const JwtLibrary *
library(void)
{
	static const JwtLibrary *lib = NULL;

	if (lib == NULL)
	{
		const char *error = "unknown error";

		lib = jwt_library_load(&error);
		if (lib == NULL)
		{
			fprintf(stderr, "cannot load libjwt: %s\n", error);
			exit(2);
		}
	}
	return lib;
}

void
fuzz_settings(FuzzSettings *settings, int with_audience, int relaxed,
			  const char *secret)
{
	memset(settings, 0, sizeof(*settings));
	settings->keys[0].bytes = (const unsigned char *) secret;
	settings->keys[0].len = strlen(secret);
	settings->s.keys = settings->keys;
	settings->s.nkeys = 1;
	settings->s.audience = with_audience ? FUZZ_AUDIENCE : NULL;
	settings->s.user_claim = FUZZ_USER_CLAIM;
	settings->s.token_types = relaxed ? "" : FUZZ_TOKEN_TYPES;
	settings->s.require_exp = !relaxed;
	settings->s.leeway = FUZZ_LEEWAY;
	settings->s.now = FUZZ_NOW;
}

void
fuzz_ring_settings(FuzzSettings *settings)
{
	fuzz_settings(settings, 0, 0, FUZZ_OLD_SECRET);
	settings->keys[0].kid = FUZZ_OLD_KID;
	settings->keys[0].alg = FUZZ_OLD_ALG;
	settings->keys[1].bytes = (const unsigned char *) FUZZ_SECRET;
	settings->keys[1].len = strlen(FUZZ_SECRET);
	settings->keys[1].kid = FUZZ_KID;
	settings->s.nkeys = 2;
}

int
fuzz_signature_verified(JwtVerifyResult result)
{
	switch (result)
	{
		case JWT_VERIFY_MISSING:
		case JWT_VERIFY_TOO_LONG:
		case JWT_VERIFY_MALFORMED:
		case JWT_VERIFY_BAD_SIGNATURE:
		case JWT_VERIFY_BAD_KID:
		case JWT_VERIFY_NO_KEY:
		case JWT_VERIFY_OUT_OF_MEMORY:
			return 0;
		default:
			return 1;
	}
}

void
fuzz_check_ring(JwtVerifyResult single, int64_t user_single,
				JwtVerifyResult ring, int64_t user_ring,
				const char *token, size_t len)
{
	switch (single)
	{
		case JWT_VERIFY_MISSING:
		case JWT_VERIFY_TOO_LONG:
		case JWT_VERIFY_MALFORMED:
		case JWT_VERIFY_BAD_KID:
			if (ring != single)
				fuzz_fail("the key ring changed a verdict made before any key is chosen",
						  token, len);
			return;
		case JWT_VERIFY_BAD_SIGNATURE:
			return;				/* the old key may verify it */
		default:
			if (ring != single && ring != JWT_VERIFY_NO_KEY &&
				ring != JWT_VERIFY_BAD_SIGNATURE)
				fuzz_fail("the key ring changed a verdict other than by leaving the key out",
						  token, len);
			if (ring == JWT_VERIFY_OK && user_ring != user_single)
				fuzz_fail("the key ring changed the user id", token, len);
			return;
	}
}

JwtVerifyResult
fuzz_verify(const char *token, size_t len, const JwtVerifySettings *settings,
			int64_t *user_id)
{
	const JwtLibrary *lib = library();
	int64_t		user_a = SENTINEL_A;
	int64_t		user_b = SENTINEL_B;
	JwtVerifyResult first;
	JwtVerifyResult second;

	first = jwt_verify(lib, token, len, settings, &user_a);
	second = jwt_verify(lib, token, len, settings, &user_b);

	if ((unsigned) first >= N_RESULTS)
		fuzz_fail("result outside JwtVerifyResult", token, len);
	if (jwt_verify_reason(first) == NULL)
		fuzz_fail("no reason for a result", token, len);
	if (first != second)
		fuzz_fail("two verifications of one input disagree", token, len);
	if (first == JWT_VERIFY_OK && user_a != user_b)
		fuzz_fail("OK without a user id (or with two)", token, len);
	if (first != JWT_VERIFY_OK && (user_a != SENTINEL_A || user_b != SENTINEL_B))
		fuzz_fail("user id written for a refused token", token, len);

	*user_id = first == JWT_VERIFY_OK ? user_a : 0;
	return first;
}

void
fuzz_check_audience(JwtVerifyResult without_aud, int64_t user_without,
					JwtVerifyResult with_aud, int64_t user_with,
					const char *token, size_t len)
{
	/*
	 * The audience is checked after signature, payload and times, before the
	 * user: anything refused earlier is refused alike.
	 */
	if (without_aud == JWT_VERIFY_OK || without_aud == JWT_VERIFY_BAD_USER)
	{
		if (with_aud != without_aud && with_aud != JWT_VERIFY_BAD_AUDIENCE)
			fuzz_fail("requiring an audience changed a result other than to BAD_AUDIENCE",
					  token, len);
		if (with_aud == JWT_VERIFY_OK && user_with != user_without)
			fuzz_fail("requiring an audience changed the user id", token, len);
	}
	else if (with_aud != without_aud)
		fuzz_fail("requiring an audience changed an earlier refusal", token, len);
}

void
fuzz_check_relaxed(JwtVerifyResult strict, int64_t user_strict,
				   JwtVerifyResult relaxed, int64_t user_relaxed,
				   const char *token, size_t len)
{
	if (strict == JWT_VERIFY_NO_EXP || strict == JWT_VERIFY_BAD_TOKEN_TYPE)
	{
		if (relaxed != JWT_VERIFY_OK && relaxed != JWT_VERIFY_BAD_AUDIENCE &&
			relaxed != JWT_VERIFY_BAD_USER)
			fuzz_fail("relaxing the rules gave a verdict of an earlier check",
					  token, len);
	}
	else if (relaxed != strict)
		fuzz_fail("relaxing the rules changed a verdict they do not make",
				  token, len);
	else if (strict == JWT_VERIFY_OK && user_relaxed != user_strict)
		fuzz_fail("relaxing the rules changed the user id", token, len);
}

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Does token[0..len) start with the word "bearer" (any case)? */
static int
starts_with_bearer_word(const char *token, size_t len)
{
	static const char word[] = "bearer";

	if (len < 6)
		return 0;
	for (int i = 0; i < 6; i++)
	{
		char		c = token[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != word[i])
			return 0;
	}
	return len == 6 || blank(token[6]);
}

int
fuzz_can_prefix_bearer(const char *token, size_t len)
{
	size_t		start = 0;
	size_t		end = len;

	while (start < end && blank(token[start]))
		start++;
	while (end > start && blank(token[end - 1]))
		end--;
	return !starts_with_bearer_word(token + start, end - start);
}

char *
fuzz_prefix_bearer(const char *token, size_t len, unsigned seed,
				   size_t *out_len)
{
	static const char *const prefixes[] = {
		"Bearer ", "bearer ", "BEARER ", "Bearer\t", "bEaReR   ", " \tBearer \t",
	};
	const char *prefix = prefixes[seed % (sizeof(prefixes) / sizeof(prefixes[0]))];
	size_t		prefix_len = strlen(prefix);
	char	   *out = malloc(prefix_len + len + 1);

	if (out == NULL)
		abort();
	memcpy(out, prefix, prefix_len);
	memcpy(out + prefix_len, token, len);
	out[prefix_len + len] = '\0';
	*out_len = prefix_len + len;
	return out;
}

size_t
fuzz_b64url(const unsigned char *in, size_t len, char *out)
{
	size_t		n;
	size_t		j = 0;

	if (len > (size_t) INT32_MAX / 2)
		abort();
	n = (size_t) EVP_EncodeBlock((unsigned char *) out, in, (int) len);
	for (size_t i = 0; i < n; i++)
	{
		if (out[i] == '=')
			break;
		out[j++] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
	out[j] = '\0';
	return j;
}

size_t
fuzz_sign(const EVP_MD *md, const char *secret, const char *data, size_t len,
		  char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	if (HMAC(md, secret, (int) strlen(secret), (const unsigned char *) data,
			 len, mac, &mac_len) == NULL)
		abort();
	return fuzz_b64url(mac, mac_len, out);
}

void
fuzz_trace(const char *label, JwtVerifyResult result, int64_t user_id)
{
	static int	enabled = -1;

	if (enabled < 0)
		enabled = getenv("JWT_FUZZ_TRACE") != NULL;
	if (enabled)
		fprintf(stderr, "jwt-fuzz-result: %s=%s user=%lld\n",
				label, fuzz_result_name(result), (long long) user_id);
}

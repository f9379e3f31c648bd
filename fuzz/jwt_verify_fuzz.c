/*
 * jwt_verify_fuzz.c
 *		libFuzzer target: the input, as it is, is the token given to
 *		jwt_verify().
 *
 * This is what an attacker controls: arbitrary bytes, "Bearer " prefixes,
 * lengths, dots.  Random bytes never carry a valid HMAC, so this target
 * mostly tests the screen in front of libjwt and libjwt's refusals; the seed
 * corpus holds real tokens signed with FUZZ_SECRET, whose mutations reach the
 * claims too.  jwt_claims_fuzz.c signs what it is given instead.
 *
 * Besides what the sanitizers catch, each input must keep these invariants:
 *	- fuzz_verify()'s: deterministic, result within the enum, a user id
 *	  exactly when OK;
 *	- requiring an audience only turns OK or BAD_USER into BAD_AUDIENCE;
 *	- relaxing the rules (exp required, token_type "access") only turns
 *	  NO_EXP or BAD_TOKEN_TYPE into a later check's verdict;
 *	- a key ring (an old key for HS512 with kid "old", the secret with kid
 *	  "current") judges as the single secret does but where the header's
 *	  kid or alg leaves the secret out, or where the old key verifies;
 *	- the screen's results (MISSING, TOO_LONG, MALFORMED) agree with an
 *	  independent reading of jwt_verify.h's rules;
 *	- a token that got past the signature has a third part that is an
 *	  HMAC-SHA2 of the first two with the secret (or, for the ring, with the
 *	  old key), computed here with OpenSSL;
 *	- a "Bearer " prefix, in any case and spacing, changes nothing.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fuzz_common.h"

static int
blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
base64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '_';
}

static int
is_bearer_word(const char *s)
{
	return strncasecmp(s, "bearer", 6) == 0;
}

/*
 * What the screen must answer, read from jwt_verify.h: blanks around and a
 * "Bearer" prefix (any case) do not count; nothing left, or "Bearer" alone,
 * is MISSING; more than JWT_VERIFY_MAX_LENGTH bytes TOO_LONG; anything but
 * three non-empty base64url parts, none of a length that is 1 mod 4,
 * MALFORMED.  JWT_VERIFY_OK here means "past the screen"; the token left is
 * returned in *start and *len.
 */
static JwtVerifyResult
expected_screen(const char **start, size_t *len)
{
	const char *s = *start;
	size_t		n = *len;
	size_t		seg = 0;
	int			dots = 0;

	while (n > 0 && blank(s[0]))
		s++, n--;
	while (n > 0 && blank(s[n - 1]))
		n--;
	if (n >= 6 && is_bearer_word(s) && (n == 6 || blank(s[6])))
	{
		s += 6, n -= 6;
		while (n > 0 && blank(s[0]))
			s++, n--;
	}
	*start = s;
	*len = n;

	if (n == 0)
		return JWT_VERIFY_MISSING;
	if (n > JWT_VERIFY_MAX_LENGTH)
		return JWT_VERIFY_TOO_LONG;
	for (size_t i = 0; i <= n; i++)
	{
		if (i == n || s[i] == '.')
		{
			if (seg == 0 || seg % 4 == 1)
				return JWT_VERIFY_MALFORMED;
			if (i < n && ++dots > 2)
				return JWT_VERIFY_MALFORMED;
			seg = 0;
		}
		else if (base64url_char(s[i]))
			seg++;
		else
			return JWT_VERIFY_MALFORMED;
	}
	return dots == 2 ? JWT_VERIFY_OK : JWT_VERIFY_MALFORMED;
}

/* Is token = h.p.s with s = base64url(HMAC-SHA2(secret, "h.p"))? */
static int
signed_with(const char *secret, const char *token, size_t len)
{
	const EVP_MD *mds[3] = {EVP_sha256(), EVP_sha384(), EVP_sha512()};
	const char *last_dot = NULL;
	char		sig[FUZZ_MAX_SIG_B64];

	for (size_t i = 0; i < len; i++)
		if (token[i] == '.')
			last_dot = token + i;
	if (last_dot == NULL)
		return 0;
	for (int i = 0; i < 3; i++)
	{
		size_t		sig_len = fuzz_sign(mds[i], secret, token,
										last_dot - token, sig);

		if (sig_len == (size_t) (token + len - last_dot - 1) &&
			memcmp(sig, last_dot + 1, sig_len) == 0)
			return 1;
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *token = (const char *) data;
	const char *bare = token;
	size_t		bare_len = size;
	FuzzSettings plain;
	FuzzSettings with_aud;
	FuzzSettings relaxed;
	FuzzSettings ring;
	JwtVerifyResult result;
	JwtVerifyResult result_aud;
	JwtVerifyResult result_relaxed;
	JwtVerifyResult result_ring;
	JwtVerifyResult screen;
	int64_t		user;
	int64_t		user_aud;
	int64_t		user_relaxed;
	int64_t		user_ring;

	fuzz_settings(&plain, 0, 0, FUZZ_SECRET);
	fuzz_settings(&with_aud, 1, 0, FUZZ_SECRET);
	fuzz_settings(&relaxed, 0, 1, FUZZ_SECRET);
	fuzz_ring_settings(&ring);

	result = fuzz_verify(token, size, &plain.s, &user);
	result_aud = fuzz_verify(token, size, &with_aud.s, &user_aud);
	result_relaxed = fuzz_verify(token, size, &relaxed.s, &user_relaxed);
	result_ring = fuzz_verify(token, size, &ring.s, &user_ring);
	fuzz_trace("plain", result, user);
	fuzz_trace("audience", result_aud, user_aud);
	fuzz_trace("relaxed", result_relaxed, user_relaxed);
	fuzz_trace("ring", result_ring, user_ring);
	fuzz_check_audience(result, user, result_aud, user_aud, token, size);
	fuzz_check_relaxed(result, user, result_relaxed, user_relaxed, token, size);
	fuzz_check_ring(result, user, result_ring, user_ring, token, size);

	screen = expected_screen(&bare, &bare_len);
	if (screen != JWT_VERIFY_OK && result != screen)
		fuzz_fail("the screen's answer is not what jwt_verify.h says", token, size);
	if (screen == JWT_VERIFY_OK && (result == JWT_VERIFY_MISSING ||
									result == JWT_VERIFY_TOO_LONG ||
									result == JWT_VERIFY_MALFORMED))
		fuzz_fail("a well-formed token was refused as malformed", token, size);

	if ((fuzz_signature_verified(result) ||
		 fuzz_signature_verified(result_relaxed)) &&
		!signed_with(FUZZ_SECRET, bare, bare_len))
		fuzz_fail("verified a token not signed with the secret", token, size);
	if (fuzz_signature_verified(result_ring) &&
		!signed_with(FUZZ_SECRET, bare, bare_len) &&
		!signed_with(FUZZ_OLD_SECRET, bare, bare_len))
		fuzz_fail("the key ring verified a token signed with neither of its keys",
				  token, size);

	if (fuzz_can_prefix_bearer(token, size))
	{
		size_t		prefixed_len;
		char	   *prefixed = fuzz_prefix_bearer(token, size,
												  size + (size ? data[0] : 0),
												  &prefixed_len);
		int64_t		user_prefixed;
		JwtVerifyResult result_prefixed;

		result_prefixed = fuzz_verify(prefixed, prefixed_len, &plain.s,
									  &user_prefixed);
		free(prefixed);
		if (result_prefixed != result || user_prefixed != user)
			fuzz_fail("a \"Bearer \" prefix changed the result", token, size);
	}
	return 0;
}

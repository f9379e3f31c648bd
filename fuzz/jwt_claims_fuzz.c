/*
 * jwt_claims_fuzz.c
 *		libFuzzer target: the input is a header and a payload, which the
 *		harness encodes and signs with the secret, so that the fuzzer reaches
 *		libjwt's JSON parsing and our claims walker with authenticated tokens.
 *
 * Input layout:
 *	byte 0		mode: bits 0-1 the HMAC (0: the one the header names,
 *				found by looking for "HS384"/"HS512" in it, else HS256;
 *				1: HS256; 2: HS384; 3: HS512); bit 2 require the audience;
 *				bit 3 also try the token with a "Bearer " prefix;
 *				bit 4 sign with the key ring's old key instead of the
 *				secret; bits 5-7 choose the prefix's spelling.
 *				The seeds use '@' (0x40) to '_' (0x5f) to stay readable.
 *	then		header JSON, '\n', payload JSON; without a '\n' all of it
 *				is the payload and the header is {"alg":"HS256","typ":"JWT"}
 *				with the mode's algorithm.
 *
 * Invariants, besides fuzz_verify()'s:
 *	- requiring the audience only turns OK or BAD_USER into BAD_AUDIENCE;
 *	- relaxing the rules (exp required, token_type "access") only turns
 *	  NO_EXP or BAD_TOKEN_TYPE into a later check's verdict;
 *	- the same header and payload signed with another secret is refused as
 *	  BAD_SIGNATURE (or as the screen refused the real one: too long, or
 *	  malformed when a part is empty);
 *	- a key ring (old key for HS512 with kid "old", the secret with kid
 *	  "current") judges as the secret alone does, but where the header's kid
 *	  or alg leaves the secret out, or where the old key signed the token;
 *	- a "Bearer " prefix changes nothing;
 *	- an OK payload is a JSON object: its first non-blank byte is '{'.
 */
#define _GNU_SOURCE				/* memmem */

#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#define MODE_ALG		0x03
#define MODE_AUDIENCE	0x04
#define MODE_BEARER		0x08
#define MODE_OLD_KEY	0x10

static const EVP_MD *
choose_md(unsigned mode, const char *header, size_t header_len)
{
	switch (mode & MODE_ALG)
	{
		case 1:
			return EVP_sha256();
		case 2:
			return EVP_sha384();
		case 3:
			return EVP_sha512();
	}
	if (memmem(header, header_len, "HS512", 5) != NULL)
		return EVP_sha512();
	if (memmem(header, header_len, "HS384", 5) != NULL)
		return EVP_sha384();
	return EVP_sha256();
}

static const char *
default_header(unsigned mode)
{
	switch (mode & MODE_ALG)
	{
		case 2:
			return "{\"alg\":\"HS384\",\"typ\":\"JWT\"}";
		case 3:
			return "{\"alg\":\"HS512\",\"typ\":\"JWT\"}";
	}
	return "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
}

/*
 * "b64(header).b64(payload).sig" signed with secret, malloc'd; the part
 * before the signature is the same whatever the secret.
 */
static char *
make_token(const EVP_MD *md, const char *secret,
		   const char *header, size_t header_len,
		   const char *payload, size_t payload_len, size_t *token_len)
{
	size_t		room = FUZZ_B64_SIZE(header_len) + FUZZ_B64_SIZE(payload_len) +
		FUZZ_MAX_SIG_B64 + 2;
	char	   *token = malloc(room);
	size_t		n;

	if (token == NULL)
		abort();
	n = fuzz_b64url((const unsigned char *) header, header_len, token);
	token[n++] = '.';
	n += fuzz_b64url((const unsigned char *) payload, payload_len, token + n);
	/* fuzz_sign() writes the NUL */
	token[n] = '.';
	n += 1 + fuzz_sign(md, secret, token, n, token + n + 1);
	*token_len = n;
	return token;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned	mode;
	const char *rest;
	size_t		rest_len;
	const char *newline;
	const char *header;
	size_t		header_len;
	const char *payload;
	size_t		payload_len;
	const EVP_MD *md;
	FuzzSettings settings;
	FuzzSettings other;
	FuzzSettings relaxed;
	FuzzSettings ring;
	char	   *token;
	size_t		token_len;
	char	   *forged;
	size_t		forged_len;
	JwtVerifyResult result;
	JwtVerifyResult result_other;
	JwtVerifyResult result_relaxed;
	JwtVerifyResult result_ring;
	JwtVerifyResult result_forged;
	int64_t		user;
	int64_t		user_other;
	int64_t		user_relaxed;
	int64_t		user_ring;
	int64_t		user_forged;

	if (size == 0)
		return 0;
	mode = data[0];
	rest = (const char *) data + 1;
	rest_len = size - 1;
	newline = memchr(rest, '\n', rest_len);
	if (newline != NULL)
	{
		header = rest;
		header_len = newline - rest;
		payload = newline + 1;
		payload_len = rest_len - header_len - 1;
	}
	else
	{
		header = default_header(mode);
		header_len = strlen(header);
		payload = rest;
		payload_len = rest_len;
	}
	md = choose_md(mode, header, header_len);

	token = make_token(md, (mode & MODE_OLD_KEY) ? FUZZ_OLD_SECRET : FUZZ_SECRET,
					   header, header_len, payload, payload_len, &token_len);
	fuzz_settings(&settings, (mode & MODE_AUDIENCE) != 0, 0, FUZZ_SECRET);
	fuzz_settings(&other, (mode & MODE_AUDIENCE) == 0, 0, FUZZ_SECRET);
	fuzz_settings(&relaxed, (mode & MODE_AUDIENCE) != 0, 1, FUZZ_SECRET);
	fuzz_ring_settings(&ring);
	ring.s.audience = settings.s.audience;
	result = fuzz_verify(token, token_len, &settings.s, &user);
	result_other = fuzz_verify(token, token_len, &other.s, &user_other);
	result_relaxed = fuzz_verify(token, token_len, &relaxed.s, &user_relaxed);
	result_ring = fuzz_verify(token, token_len, &ring.s, &user_ring);
	fuzz_trace("signed", result, user);
	fuzz_trace("relaxed", result_relaxed, user_relaxed);
	fuzz_trace("ring", result_ring, user_ring);
	fuzz_check_relaxed(result, user, result_relaxed, user_relaxed,
					   token, token_len);
	fuzz_check_ring(result, user, result_ring, user_ring, token, token_len);
	if ((mode & MODE_OLD_KEY) && fuzz_signature_verified(result))
		fuzz_fail("the secret verified a token signed with the old key", token, token_len);
	if (mode & MODE_AUDIENCE)
		fuzz_check_audience(result_other, user_other, result, user,
							token, token_len);
	else
		fuzz_check_audience(result, user, result_other, user_other,
							token, token_len);

	forged = make_token(md, FUZZ_WRONG_SECRET, header, header_len,
						payload, payload_len, &forged_len);
	result_forged = fuzz_verify(forged, forged_len, &ring.s, &user_forged);
	free(forged);
	if (result == JWT_VERIFY_TOO_LONG || result == JWT_VERIFY_MALFORMED ||
		result == JWT_VERIFY_BAD_KID)
	{
		if (result_forged != result)
			fuzz_fail("another secret changed a verdict made before the signature",
					  token, token_len);
	}
	else if (result_forged != JWT_VERIFY_BAD_SIGNATURE &&
			 result_forged != JWT_VERIFY_NO_KEY)
		fuzz_fail("a token signed with another secret was not refused as BAD_SIGNATURE or NO_KEY",
				  token, token_len);

	if (mode & MODE_BEARER)
	{
		size_t		prefixed_len;
		char	   *prefixed = fuzz_prefix_bearer(token, token_len, mode >> 5,
												  &prefixed_len);
		int64_t		user_prefixed;
		JwtVerifyResult result_prefixed;

		result_prefixed = fuzz_verify(prefixed, prefixed_len, &settings.s,
									  &user_prefixed);
		free(prefixed);
		if (result_prefixed != result || user_prefixed != user)
			fuzz_fail("a \"Bearer \" prefix changed the result", token, token_len);
	}

	if (result == JWT_VERIFY_OK || result_relaxed == JWT_VERIFY_OK ||
		result_ring == JWT_VERIFY_OK)
	{
		size_t		i = 0;

		while (i < payload_len && strchr(" \t\n\r", payload[i]) != NULL &&
			   payload[i] != '\0')
			i++;
		if (i == payload_len || payload[i] != '{')
			fuzz_fail("accepted a payload that is not a JSON object", token, token_len);
	}

	free(token);
	return 0;
}

#!/usr/bin/env python3
"""Write the fuzzers' seed corpus and the result each seed must give.

    python3 fuzz/make_seeds.py          (rewrites fuzz/corpus/ and
                                         fuzz/seeds.expected)

corpus/jwt_verify_fuzz/   whole tokens, as a client would send them
corpus/jwt_claims_fuzz/   a mode byte, header JSON, a newline and payload JSON,
                          which jwt_claims_fuzz.c encodes and signs itself
seeds.expected            per seed, the results the targets print with
                          JWT_FUZZ_TRACE set; "make -C fuzz check-seeds"
                          compares them

Tokens are signed with the harness's fixed secret (fuzz_common.h) and are
valid at its fixed "now", so the good ones verify.  Standard library only.
"""

import base64
import hashlib
import hmac
import json
import os
import shutil
import sys

# Some seeds nest thousands deep; Python's parser recurses.
sys.setrecursionlimit(100000)

# Keep in step with fuzz_common.h.
SECRET = b"invite-api-fuzz-secret-0123456789abcdef"
WRONG_SECRET = b"invite-api-fuzz-secret-0123456789abcdeF"
# The key ring: the old key (kid "old", HS512 only) and SECRET (kid "current").
OLD_SECRET = b"invite-api-fuzz-old-key-0123456789abcdef"
AUDIENCE = "invite-api"
NOW = 1700000000
LEEWAY = 30
MAX_LENGTH = 8192

HERE = os.path.dirname(os.path.abspath(__file__))
DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}

# Headers as the issuers write them: pgjwt's sign() and PyJWT both emit this.
HEADER = {alg: '{"alg":"%s","typ":"JWT"}' % alg for alg in DIGESTS}


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(obj):
    """JSON as PyJWT writes it."""
    return json.dumps(obj, separators=(",", ":"))


def pg_json(pairs):
    """JSON as PostgreSQL's json_build_object() writes it (pgjwt's input)."""
    return "{" + ", ".join('"%s" : %s' % (k, v) for k, v in pairs) + "}"


def sign(signing_input, alg="HS256", secret=SECRET):
    mac = hmac.new(secret, signing_input.encode(), DIGESTS[alg]).digest()
    return b64url(mac)


def token(payload, alg="HS256", header=None, secret=SECRET, sign_alg=None):
    """header.payload.signature; payload and header are JSON text or bytes."""
    if not isinstance(payload, (str, bytes)):
        payload = compact(payload)
    head = HEADER[alg] if header is None else header
    signing_input = b64url(head) + "." + b64url(payload)
    return signing_input + "." + sign(signing_input, sign_alg or alg, secret)


# The verdicts of the checks after the rules, which the rules can preempt.
LATER = ("OK", "BAD_AUDIENCE", "BAD_USER")


def payload_of(tok):
    """The claims of a token (Bearer and blanks stripped), or None."""
    parts = tok.strip(" \t")
    if parts[:6].lower() == "bearer" and (len(parts) == 6 or parts[6] in " \t"):
        parts = parts[6:].strip(" \t")
    parts = parts.split(".")
    if len(parts) != 3:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None


def strict(relaxed, claims):
    """The verdict with the rules' defaults (exp required, token_type
    "access"), from the verdict without them: the rules are checked after
    the times, before the audience and the user."""
    if relaxed not in LATER or not isinstance(claims, dict):
        return relaxed
    if "exp" not in claims:
        return "NO_EXP"
    if "token_type" in claims and claims["token_type"] != "access":
        return "BAD_TOKEN_TYPE"
    return relaxed


def platform(user_id=42, **extra):
    """The platform issuer's access-token claims."""
    claims = {
        "token_type": "access",
        "exp": NOW + 3600,
        "iat": NOW - 60,
        "jti": "8d2f0c4b9a7e41d6b3c5e2f1a0d9c8b7",
        "user_id": user_id,
    }
    claims.update(extra)
    return claims


def raw_seeds():
    """(name, token, result without audience, result with it, user id),
    the results without the rules on exp and token_type."""
    good = token(platform())
    head, body, sig = good.split(".")
    out = []

    def add(name, tok, plain, audience=None, user=None, ring=None):
        if audience is None:
            # the audience is checked after the times, before the user
            audience = "BAD_AUDIENCE" if plain in ("OK", "BAD_USER") else plain
        if user is None:
            user = 42 if "OK" in (plain, audience, ring) else 0
        out.append((name, tok, plain, audience, user, plain if ring is None else ring))

    # What the issuers make.
    for alg in DIGESTS:
        add("platform_%s" % alg.lower(), token(platform(), alg), "OK")
    add("platform_with_audience", token(platform(aud=AUDIENCE)), "OK", "OK")
    add("pgjwt_fractional_exp",
        token(pg_json([("user_id", 7), ("exp", "%d.123456" % (NOW + 3600))])),
        "OK", user=7)
    add("pgjwt_hs512", token(pg_json([("user_id", 7), ("iat", NOW)]), "HS512"),
        "OK", user=7)
    add("pyjwt_style",
        token(compact({"user_id": 5, "aud": [AUDIENCE, "other"], "iat": NOW, "nbf": NOW})),
        "OK", "OK", user=5)
    add("no_exp", token({"user_id": 42}), "OK")

    # The rules: a refresh token of the same issuer, token types that are
    # not the string "access", a token without exp (the results here are
    # those without the rules; main() derives those with them).
    add("refresh_token", token(platform(token_type="refresh")), "OK")
    add("token_type_escaped", token(compact(platform(token_type="x")).replace(
        '"x"', '"acc\\u0065ss"')), "OK")
    add("token_type_upper", token(platform(token_type="Access")), "OK")
    add("token_type_array", token(platform(token_type=["access"])), "OK")
    add("token_type_null", token(platform(token_type=None)), "OK")
    add("refresh_no_exp", token({"token_type": "refresh", "user_id": 42}), "OK")
    add("refresh_expired", token(platform(token_type="refresh", exp=NOW - 3600)), "EXPIRED")

    # Keys chosen by kid, against the key ring (the old key for HS512 with
    # kid "old", SECRET with kid "current"); one key without kid otherwise.
    def kid_header(kid, alg="HS256"):
        return '{"alg":"%s","typ":"JWT","kid":%s}' % (alg, kid)
    add("kid_current", token(platform(), header=kid_header('"current"')), "OK", ring="OK")
    add("kid_unknown", token(platform(), header=kid_header('"2019"')), "OK", ring="NO_KEY")
    add("kid_old_hs512", token(platform(), "HS512", header=kid_header('"old"', "HS512"),
                               secret=OLD_SECRET), "BAD_SIGNATURE", ring="OK")
    add("kid_old_hs256", token(platform(), header=kid_header('"old"'), secret=OLD_SECRET),
        "BAD_SIGNATURE", ring="NO_KEY")
    add("kid_old_signed_with_current", token(platform(), "HS512", header=kid_header('"old"', "HS512")),
        "OK", ring="BAD_SIGNATURE")
    add("no_kid_old_key_hs512", token(platform(), "HS512", secret=OLD_SECRET),
        "BAD_SIGNATURE", ring="OK")
    add("no_kid_old_key_hs256", token(platform(), secret=OLD_SECRET), "BAD_SIGNATURE")
    add("kid_number", token(platform(), header=kid_header("5")), "BAD_KID")
    add("kid_null", token(platform(), header=kid_header("null")), "BAD_KID")
    add("kid_twice", token(platform(), header='{"alg":"HS256","kid":"old","kid":"current"}'),
        "OK", ring="OK")

    # Bearer prefixes and blanks.
    add("bearer", "Bearer " + good, "OK")
    add("bearer_lower", "bearer " + good, "OK")
    add("bearer_upper_tab", "BEARER\t" + good, "OK")
    add("bearer_blanks_around", "  Bearer \t " + good + " \t", "OK")
    add("bearer_alone", "Bearer", "MISSING")
    add("bearer_space", "Bearer ", "MISSING")
    add("empty", "", "MISSING")
    add("blanks", " \t ", "MISSING")
    add("bearer_twice", "Bearer Bearer " + good, "MALFORMED")
    add("bearer_no_space", "Bearer" + good, "BAD_SIGNATURE")
    add("newline_after", good + "\n", "MALFORMED")

    # Shapes the screen refuses.
    add("dots_only", "..", "MALFORMED")
    add("empty_header", "." + body + "." + sig, "MALFORMED")
    add("empty_payload", head + ".." + sig, "MALFORMED")
    add("empty_signature", head + "." + body + ".", "MALFORMED")
    add("two_parts", head + "." + body, "MALFORMED")
    add("four_parts", good + "." + sig, "MALFORMED")
    add("padding", head + "." + body + "==." + sig, "MALFORMED")
    add("standard_base64", good.replace("-", "+").replace("_", "/") + "+/", "MALFORMED")
    add("length_1_mod_4", head + "." + body + "A" * ((1 - len(body)) % 4 or 4) + "." + sig,
        "MALFORMED")
    add("huge_segment", head + "." + "A" * 9000 + "." + sig, "TOO_LONG")
    add("space_inside", head + ". " + body + "." + sig, "MALFORMED")

    # Exactly at the length limit, and just over it.
    at_limit = over_limit = None
    for filler in range(5800, 6200):
        for tail in ("", " "):
            t = token(compact(platform(pad="x" * filler)) + tail)
            if len(t) == MAX_LENGTH and at_limit is None:
                at_limit = t
            if len(t) > MAX_LENGTH and over_limit is None:
                over_limit = t
    add("at_length_limit", at_limit, "OK")
    add("over_length_limit", over_limit, "TOO_LONG")

    # Algorithms and headers.
    none_head = b64url('{"alg":"none","typ":"JWT"}')
    add("alg_none_unsigned", none_head + "." + body + ".", "MALFORMED")
    add("alg_none_fake_signature", none_head + "." + body + "." + sig, "BAD_SIGNATURE")
    add("rs256_header_hmac", token(platform(), header='{"alg":"RS256","typ":"JWT"}',
                                   sign_alg="HS256"), "BAD_SIGNATURE")
    add("alg_lower_case", token(platform(), header='{"alg":"hs256","typ":"JWT"}',
                                sign_alg="HS256"), "BAD_ALGORITHM")
    add("alg_header_hs384_signed_hs256", token(platform(), "HS384", sign_alg="HS256"),
        "BAD_SIGNATURE")
    add("crit_header", token(platform(), header='{"alg":"HS256","crit":["exp"]}'),
        "BAD_HEADER")
    add("typ_lower_case", token(platform(), header='{"alg":"HS256","typ":"jwt"}'), "OK")
    add("typ_other", token(platform(), header='{"alg":"HS256","typ":"JOSE"}'),
        "BAD_SIGNATURE")
    add("no_typ", token(platform(), header='{"alg":"HS256"}'), "OK")
    add("header_array", token(platform(), header='[{"alg":"HS256"}]', sign_alg="HS256"),
        "BAD_SIGNATURE")
    add("wrong_secret", token(platform(), secret=WRONG_SECRET), "BAD_SIGNATURE")
    add("tampered_payload", head + "." + b64url(compact(platform(user_id=1))) + "." + sig,
        "BAD_SIGNATURE")
    # The last character of a 43-character HS256 signature carries 2 unused
    # bits: another spelling of the same MAC must still be refused.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = sig[:-1] + alphabet[alphabet.index(sig[-1]) ^ 1]
    add("signature_other_spelling", head + "." + body + "." + twin, "BAD_SIGNATURE")

    # Payloads.
    add("payload_array", token("[" + compact(platform()) + "]"), "BAD_PAYLOAD")
    add("payload_nul_after_object", token(compact(platform()).encode() + b"\0junk"),
        "BAD_PAYLOAD")
    add("duplicate_user_id", token('{"user_id":1,"user_id":42}'), "BAD_PAYLOAD")
    add("duplicate_exp", token('{"user_id":42,"exp":%d,"exp":%d}' % (NOW - 999, NOW + 999)),
        "BAD_PAYLOAD")
    # Any name twice, claim or not, at any depth: refused as RFC 7519 allows.
    add("duplicate_other_claim", token('{"user_id":42,"x":1,"x":2}'), "BAD_PAYLOAD")
    add("escaped_claim_name", token('{"user\\u005fid":42}'), "OK")
    add("deep_nesting_2000", token('{"user_id":42,"x":' + "[" * 2000 + "]" * 2000 + "}"),
        "OK")
    add("deep_nesting_3000", token('{"user_id":42,"x":' + "[" * 3000 + "]" * 3000 + "}"),
        "BAD_SIGNATURE")

    # Audiences.
    add("aud_other", token(platform(aud="someone-else")), "OK")
    add("aud_array", token(platform(aud=["x", AUDIENCE])), "OK", "OK")
    add("aud_empty_array", token(platform(aud=[])), "OK")
    add("aud_nested_array", token(platform(aud=[[AUDIENCE]])), "OK")
    add("aud_object", token(platform(aud={"x": AUDIENCE})), "OK")
    add("aud_array_with_number", token(platform(aud=[AUDIENCE, 1])), "OK")
    add("aud_duplicate", token('{"user_id":42,"aud":"%s","aud":"x"}' % AUDIENCE),
        "BAD_PAYLOAD")

    # Times.
    add("expired", token(platform(exp=NOW - LEEWAY - 1)), "EXPIRED")
    add("expired_within_leeway", token(platform(exp=NOW - LEEWAY + 1)), "OK")
    add("exp_fractional_expired", token(platform(exp=NOW - LEEWAY - 0.5)), "EXPIRED")
    add("exp_string", token(platform(exp=str(NOW + 3600))), "BAD_TIME")
    add("exp_null", token(platform(exp=None)), "BAD_TIME")
    add("exp_huge", token('{"user_id":42,"exp":1e308}'), "OK")
    add("exp_overflow", token('{"user_id":42,"exp":1e400}'), "BAD_SIGNATURE")
    add("exp_negative", token(platform(exp=-1e308)), "EXPIRED")
    add("nbf_future", token(platform(nbf=NOW + LEEWAY + 1)), "NOT_YET_VALID")
    add("nbf_within_leeway", token(platform(nbf=NOW + LEEWAY - 1)), "OK")
    add("nbf_bool", token(platform(nbf=True)), "BAD_TIME")

    # User ids.
    for name, value, result, user in [
            ("string", '"123"', "OK", 123),
            ("negative", "-5", "OK", -5),
            ("zero", "0", "OK", 0),
            ("bigint_max", "9223372036854775807", "OK", 9223372036854775807),
            ("bigint_min", "-9223372036854775808", "OK", -9223372036854775808),
            ("over_bigint", "9223372036854775808", "BAD_SIGNATURE", 0),
            ("string_over_bigint", '"9223372036854775808"', "BAD_USER", 0),
            ("string_negative", '"-5"', "BAD_USER", 0),
            ("string_empty", '""', "BAD_USER", 0),
            ("string_blank", '" 5"', "BAD_USER", 0),
            ("float", "42.0", "BAD_USER", 0),
            ("exponent", "4.2e1", "BAD_USER", 0),
            ("bool", "true", "BAD_USER", 0),
            ("null", "null", "BAD_USER", 0),
            ("array", "[42]", "BAD_USER", 0),
            ("object", '{"id":42}', "BAD_USER", 0)]:
        add("user_id_" + name, token('{"exp":%d,"user_id":%s}' % (NOW + 3600, value)),
            result, None, user)
    add("user_id_missing", token({"sub": "42", "exp": NOW + 3600}), "BAD_USER")
    add("user_id_nested", token({"data": {"user_id": 42}}), "BAD_USER")
    return out


def claims_seeds():
    """(name, input, result without the rules on exp and token_type, user).
    Mode bytes '@'..'O': see jwt_claims_fuzz.c."""
    out = []

    def add(name, mode, payload, result, user=0, header=None, ring=None):
        if not isinstance(payload, (str, bytes)):
            payload = compact(payload)
        if isinstance(payload, str):
            payload = payload.encode()
        data = mode.encode()
        if header is not None:
            data += header.encode() + b"\n"
        out.append((name, data + payload, result, user, result if ring is None else ring))

    # Mode: '@' HS256 (or as the header says), 'A' HS256, 'B' HS384,
    # 'C' HS512; +4 requires the audience; +8 also tries "Bearer "; +16
    # ('P'..'_') signs with the key ring's old key.
    add("platform", "@", platform(), "OK", 42)
    add("ring_old_key", "P", platform(), "BAD_SIGNATURE", 42,
        header='{"alg":"HS512","kid":"old"}', ring="OK")
    add("ring_old_key_hs256", "P", platform(), "BAD_SIGNATURE",
        header='{"alg":"HS256","kid":"old"}', ring="NO_KEY")
    add("ring_current", "@", platform(), "OK", 42, header='{"alg":"HS256","kid":"current"}',
        ring="OK")
    add("kid_not_a_string", "@", platform(), "BAD_KID", header='{"alg":"HS256","kid":["old"]}')
    add("refresh", "@", platform(token_type="refresh"), "OK", 42)
    add("token_type_number", "D", platform(token_type=1, aud=AUDIENCE), "OK", 42)
    add("token_type_escaped", "@", compact(platform()).replace('"access"', '"\\u0061ccess"'),
        "OK", 42)
    add("platform_hs384", "B", platform(), "OK", 42)
    add("platform_hs512_bearer", "K", platform(), "OK", 42)
    add("platform_audience_missing", "D", platform(), "BAD_AUDIENCE")
    add("platform_audience", "L", platform(aud=AUDIENCE), "OK", 42)
    add("aud_array", "D", platform(aud=["x", AUDIENCE]), "OK", 42)
    add("aud_nested", "D", platform(aud=[[AUDIENCE]]), "BAD_AUDIENCE")
    add("pgjwt", "@", pg_json([("user_id", 7), ("exp", "%d.5" % (NOW + 60))]), "OK", 7,
        header=HEADER["HS256"])
    add("pyjwt_hs384", "@", {"user_id": 9, "iat": NOW, "nbf": NOW - 10}, "OK", 9,
        header=HEADER["HS384"])
    add("header_hs512_no_typ", "@", platform(), "OK", 42, header='{"alg":"HS512"}')
    add("header_alg_mismatch", "A", platform(), "BAD_SIGNATURE", header=HEADER["HS384"])
    add("header_none", "@", platform(), "BAD_SIGNATURE", header='{"alg":"none"}')
    add("header_rs256", "@", platform(), "BAD_SIGNATURE",
        header='{"alg":"RS256","typ":"JWT"}')
    add("header_es256", "@", platform(), "BAD_SIGNATURE", header='{"alg":"ES256"}')
    add("header_lower_case", "@", platform(), "BAD_ALGORITHM", header='{"alg":"hs256"}')
    add("header_crit", "@", platform(), "BAD_HEADER",
        header='{"alg":"HS256","crit":["exp"],"exp":1}')
    add("header_crit_null", "@", platform(), "BAD_HEADER",
        header='{"alg":"HS256","crit":null}')
    add("header_alg_twice", "@", platform(), "OK", 42,
        header='{"alg":"none","alg":"HS256"}')
    add("header_not_json", "@", platform(), "BAD_SIGNATURE", header='{"alg":"HS256"')
    add("header_empty", "@", platform(), "MALFORMED", header="")
    add("payload_empty", "@", "", "MALFORMED")
    add("payload_array", "@", "[" + compact(platform()) + "]", "BAD_PAYLOAD")
    add("payload_string", "@", '"user_id"', "BAD_SIGNATURE")
    add("payload_nul", "@", compact(platform()).encode() + b"\0x", "BAD_PAYLOAD")
    add("payload_blanks", "@", " \r\n\t" + compact(platform()) + "\n ", "OK", 42,
        header=HEADER["HS256"])
    add("duplicate_user_id", "@", '{"user_id":1,"user_id":2}', "BAD_PAYLOAD")
    add("duplicate_nbf", "@", '{"user_id":1,"nbf":1,"nbf":2}', "BAD_PAYLOAD")
    add("escaped_names", "@", '{"\\u0075ser_id":3,"e\\u0078p":%d}' % (NOW - 99), "EXPIRED")
    add("unicode", "@", '{"user_id":3,"name":"\\ud83d\\ude00 \u00e9"}', "OK", 3)
    add("lone_surrogate", "@", '{"user_id":3,"name":"\\ud83d"}', "BAD_SIGNATURE")
    add("user_id_string", "@", '{"user_id":"18"}', "OK", 18)
    add("user_id_float", "@", '{"user_id":1.5}', "BAD_USER")
    add("user_id_negative_zero", "@", '{"user_id":-0}', "OK", 0)
    add("user_id_over_bigint", "@", '{"user_id":"99999999999999999999"}', "BAD_USER")
    add("exp_within_leeway", "@", {"user_id": 1, "exp": NOW - LEEWAY + 0.25}, "OK", 1)
    add("exp_at_leeway", "@", {"user_id": 1, "exp": NOW - LEEWAY}, "EXPIRED")
    add("nbf_at_leeway", "@", {"user_id": 1, "nbf": NOW + LEEWAY}, "OK", 1)
    # jansson reads an underflowing real as 0: long expired.
    add("exp_tiny", "@", '{"user_id":1,"exp":1e-400}', "EXPIRED")
    add("deep", "@", '{"user_id":1,"x":' + "{\"a\":" * 1000 + "1" + "}" * 1000 + "}",
        "OK", 1)
    return out


def write_dir(path, files):
    if os.path.isdir(path):
        shutil.rmtree(path)
    os.makedirs(path)
    for name, data in files:
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


def main():
    raw = raw_seeds()
    claims = claims_seeds()
    write_dir(os.path.join(HERE, "corpus", "jwt_verify_fuzz"),
              [(name, tok) for name, tok, _, _, _, _ in raw])
    write_dir(os.path.join(HERE, "corpus", "jwt_claims_fuzz"),
              [(name, data) for name, data, _, _, _ in claims])
    lines = []
    # The seeds' verdicts are written without the rules (relaxed); with them
    # (plain, audience, signed) they follow from the claims.
    for name, tok, relaxed, relaxed_aud, user, relaxed_ring in raw:
        payload = payload_of(tok)
        plain, audience = strict(relaxed, payload), strict(relaxed_aud, payload)
        ring = strict(relaxed_ring, payload)
        lines.append(("jwt_verify_fuzz/%s plain=%s user=%d audience=%s user=%d relaxed=%s user=%d"
                      " ring=%s user=%d") % (
            name, plain, user if plain == "OK" else 0,
            audience, user if audience == "OK" else 0,
            relaxed, user if relaxed == "OK" else 0,
            ring, user if ring == "OK" else 0))
    for name, data, relaxed, user, relaxed_ring in claims:
        try:
            payload = json.loads(data[1:].split(b"\n", 1)[-1])
        except ValueError:
            payload = None
        result, ring = strict(relaxed, payload), strict(relaxed_ring, payload)
        lines.append("jwt_claims_fuzz/%s signed=%s user=%d relaxed=%s user=%d ring=%s user=%d" % (
            name, result, user if result == "OK" else 0,
            relaxed, user if relaxed == "OK" else 0,
            ring, user if ring == "OK" else 0))
    with open(os.path.join(HERE, "seeds.expected"), "w") as f:
        f.write("# written by make_seeds.py: seed, then what the target prints\n")
        f.write("\n".join(sorted(lines)) + "\n")
    print("%d raw tokens, %d claims inputs" % (len(raw), len(claims)))


if __name__ == "__main__":
    main()

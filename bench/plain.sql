-- The invite list without the extension: the contract of
-- invite_api.event_invites_page written the way an application does it today,
-- in plain SQL and PL/pgSQL with pgcrypto.  The benchmark times it beside the
-- extension, so it is written to be as fast as plain SQL can reasonably be:
--
--   * the token is checked with pgcrypto's hmac(): base64url parts, HS256,
--     HS384 or HS512, exp and nbf with 30 seconds of leeway, the user in the
--     "user_id" claim (an integer or a string of digits, within bigint);
--   * the manager check and count(*) read through indexes;
--   * OFFSET is applied to the invites alone, in the order of an index on
--     (event_id, invited_at, user_id), and only the page's users are joined;
--   * the answer is built with jsonb_build_object / jsonb_agg, with DRF
--     LimitOffsetPagination links.
--
-- Its invites live in bench_plain.event_invites: the contract's columns,
-- primary key, foreign keys and indexes, and no triggers.  Users, events and
-- managers are read from the extension's tables (nothing maintains them but
-- the loader).  Settings are constants here (default limit 20, max 100,
-- relative links, no audience), except the secret, which is the placeholder
-- setting bench_plain.jwt_secret (ALTER SYSTEM, superuser).
--
-- Needs a database without a schema bench_plain; installs pgcrypto into it.

CREATE SCHEMA bench_plain;
CREATE EXTENSION pgcrypto WITH SCHEMA bench_plain;

CREATE TABLE bench_plain.event_invites (
    event_id    bigint NOT NULL REFERENCES invite_api.events ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES invite_api.users ON DELETE CASCADE,
    invited_by  bigint REFERENCES invite_api.users,
    invited_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, user_id)
);
CREATE INDEX event_invites_page_idx
    ON bench_plain.event_invites (event_id, invited_at, user_id);
CREATE INDEX event_invites_user_id_idx ON bench_plain.event_invites (user_id);
CREATE INDEX event_invites_invited_by_idx ON bench_plain.event_invites (invited_by);

-- base64url without padding (RFC 7515) to bytes.  The caller has checked
-- the alphabet and that length % 4 <> 1.
CREATE FUNCTION bench_plain.b64url_decode(data text) RETURNS bytea
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT pg_catalog.decode(
        pg_catalog.rpad(pg_catalog.translate(data, '-_', '+/'),
                        (pg_catalog.length(data) + 3) / 4 * 4, '='),
        'base64')
$$;

-- Bytes to base64url without padding.  encode() breaks lines every 76
-- characters: drop the newlines too.
CREATE FUNCTION bench_plain.b64url_encode(data bytea) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT pg_catalog.translate(pg_catalog.encode(data, 'base64'), E'+/=\n', '-_')
$$;

-- pgcrypto's name of the hash behind a JWS HMAC algorithm; NULL for any other.
CREATE FUNCTION bench_plain.jwt_hash(alg text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE alg WHEN 'HS256' THEN 'sha256'
                    WHEN 'HS384' THEN 'sha384'
                    WHEN 'HS512' THEN 'sha512' END
$$;

-- A signed token with header {"alg": alg, "typ": "JWT"}, as pgjwt's sign()
-- makes them.  The benchmark signs its managers' tokens with it.
CREATE FUNCTION bench_plain.jwt_sign(claims jsonb, secret text,
                                     alg text DEFAULT 'HS256') RETURNS text
LANGUAGE sql IMMUTABLE STRICT
AS $$
    SELECT s.input || '.' || bench_plain.b64url_encode(
               bench_plain.hmac(s.input, secret, bench_plain.jwt_hash(alg)))
      FROM (SELECT bench_plain.b64url_encode(pg_catalog.convert_to(
                       pg_catalog.jsonb_build_object('alg', alg, 'typ', 'JWT')::text,
                       'UTF8'))
                   || '.' ||
                   bench_plain.b64url_encode(pg_catalog.convert_to(claims::text, 'UTF8'))
                   AS input) s
$$;

-- Refuse a token: 28000, as the extension does.
CREATE FUNCTION bench_plain.jwt_refuse(reason text) RETURNS bigint
LANGUAGE plpgsql
AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'invalid_authorization_specification',
        MESSAGE = 'invalid authorization token',
        DETAIL = reason;
END
$$;

-- The user a token speaks for: 28000 when it is missing or refused, 55000
-- when no secret of 32 bytes or more is set.  Called only from
-- event_invites_page, whose search_path it runs under.
CREATE FUNCTION bench_plain.jwt_user_id(token text) RETURNS bigint
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    leeway  constant numeric := 30;
    secret  text := current_setting('bench_plain.jwt_secret', true);
    parts   text[];
    header  jsonb;
    claims  jsonb;
    hash    text;
    now_s   numeric := extract(epoch FROM now());
    claim   jsonb;
    digits  text;
BEGIN
    token := regexp_replace(btrim(token, E' \t'), '^bearer[ \t]+', '', 'i');
    IF token IS NULL OR token = '' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_authorization_specification',
            MESSAGE = 'missing authorization token',
            DETAIL = 'Pass a JWT as "token", bare or as "Bearer <jwt>".';
    END IF;
    IF octet_length(coalesce(secret, '')) < 32 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state',
            MESSAGE = 'bench_plain.jwt_secret is not set or too short',
            DETAIL = 'Tokens are verified only with a secret of at least 32 bytes.';
    END IF;

    IF length(token) > 8192
       OR token !~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' THEN
        RETURN bench_plain.jwt_refuse('The token is not three base64url-encoded parts separated by dots.');
    END IF;
    parts := string_to_array(token, '.');
    IF length(parts[1]) % 4 = 1 OR length(parts[2]) % 4 = 1
       OR length(parts[3]) % 4 = 1 THEN
        RETURN bench_plain.jwt_refuse('The token is not three base64url-encoded parts separated by dots.');
    END IF;

    -- Text that is not UTF-8 or not JSON raises a data exception.
    BEGIN
        header := convert_from(bench_plain.b64url_decode(parts[1]), 'UTF8')::jsonb;
        claims := convert_from(bench_plain.b64url_decode(parts[2]), 'UTF8')::jsonb;
    EXCEPTION WHEN data_exception THEN
        RETURN bench_plain.jwt_refuse('The token header or payload is not JSON.');
    END;

    IF jsonb_typeof(header) IS DISTINCT FROM 'object' THEN
        RETURN bench_plain.jwt_refuse('The token header is not a JSON object.');
    END IF;
    hash := bench_plain.jwt_hash(header->>'alg');
    IF hash IS NULL OR jsonb_typeof(header->'alg') <> 'string' THEN
        RETURN bench_plain.jwt_refuse('The token is not signed with HS256, HS384 or HS512.');
    END IF;
    IF header ? 'crit' THEN
        RETURN bench_plain.jwt_refuse('The token header has a "crit" parameter, which is not supported.');
    END IF;
    IF bench_plain.b64url_encode(
           bench_plain.hmac(parts[1] || '.' || parts[2], secret, hash)) <> parts[3] THEN
        RETURN bench_plain.jwt_refuse('The token signature is invalid.');
    END IF;

    IF jsonb_typeof(claims) IS DISTINCT FROM 'object' THEN
        RETURN bench_plain.jwt_refuse('The token payload is not a JSON object.');
    END IF;
    IF (claims ? 'exp' AND jsonb_typeof(claims->'exp') <> 'number')
       OR (claims ? 'nbf' AND jsonb_typeof(claims->'nbf') <> 'number') THEN
        RETURN bench_plain.jwt_refuse('The token''s "exp" or "nbf" claim is not a number.');
    END IF;
    IF now_s >= (claims->>'exp')::numeric + leeway THEN
        RETURN bench_plain.jwt_refuse('The token has expired.');
    END IF;
    IF now_s < (claims->>'nbf')::numeric - leeway THEN
        RETURN bench_plain.jwt_refuse('The token is not valid yet.');
    END IF;

    claim := claims->'user_id';
    digits := claims->>'user_id';
    IF (CASE jsonb_typeof(claim)
            WHEN 'number' THEN digits ~ '^-?[0-9]+$'
            WHEN 'string' THEN digits ~ '^[0-9]+$'
            ELSE false END) THEN
        IF digits::numeric BETWEEN -9223372036854775808 AND 9223372036854775807 THEN
            RETURN digits::bigint;
        END IF;
    END IF;
    RETURN bench_plain.jwt_refuse('The token has no "user_id" claim holding a user id.');
END
$$;

-- GET /api/v2/event/{id}/invite/ in plain PL/pgSQL: same arguments, checks,
-- errors and answer as invite_api.event_invites_page.
CREATE FUNCTION bench_plain.event_invites_page(
    event_id    bigint,
    "limit"     integer DEFAULT NULL,
    "offset"    integer DEFAULT NULL,
    token       text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    default_limit   constant integer := 20;
    max_limit       constant integer := 100;
    ev      bigint := event_invites_page.event_id;
    lim     integer := coalesce("limit", default_limit);
    off     bigint := coalesce("offset", 0);
    uid     bigint;
    total   bigint;
    link    text;
BEGIN
    uid := bench_plain.jwt_user_id(token);

    IF ev IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = '"event_id" must not be null',
            DETAIL = 'The id of the event whose invites to list is required.';
    END IF;
    IF lim < 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('invalid value for "limit": %s', lim),
            DETAIL = '"limit" must be 1 or more.';
    END IF;
    lim := least(lim, max_limit);
    IF off < 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('invalid value for "offset": %s', off),
            DETAIL = '"offset" must be 0 or more.';
    END IF;

    IF NOT EXISTS (SELECT FROM invite_api.events e WHERE e.id = ev) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found',
            MESSAGE = format('event %s does not exist', ev),
            DETAIL = 'There is no event with this id.';
    END IF;
    IF NOT EXISTS (SELECT FROM invite_api.event_managers m
                    WHERE m.event_id = ev AND m.user_id = uid) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'insufficient_privilege',
            MESSAGE = format('permission denied for event %s', ev),
            DETAIL = format('User %s is not a manager of the event.', uid);
    END IF;

    -- A STABLE function reads every statement in the caller's snapshot:
    -- count and page agree.
    SELECT count(*) INTO total
      FROM bench_plain.event_invites i WHERE i.event_id = ev;

    link := '/api/v2/event/' || ev || '/invite/?limit=' || lim;
    RETURN jsonb_build_object(
        'count', total,
        'next', CASE WHEN off + lim >= total THEN NULL
                     ELSE link || '&offset=' || (off + lim) END,
        'previous', CASE WHEN off <= 0 THEN NULL
                         WHEN off - lim <= 0 THEN link
                         ELSE link || '&offset=' || (off - lim) END,
        'results', coalesce(
            (SELECT jsonb_agg(jsonb_build_object(
                                  'id', u.id,
                                  'username', u.username,
                                  'real_name', u.real_name,
                                  'ext_id', u.ext_id,
                                  'avatar', u.avatar)
                              ORDER BY p.invited_at, p.user_id)
               FROM (SELECT i.user_id, i.invited_at
                       FROM bench_plain.event_invites i
                      WHERE i.event_id = ev
                      ORDER BY i.invited_at, i.user_id
                      LIMIT lim OFFSET off) p
               JOIN invite_api.users u ON u.id = p.user_id),
            '[]'::jsonb));
END
$$;

REVOKE ALL ON FUNCTION bench_plain.jwt_sign(jsonb, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION bench_plain.jwt_refuse(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION bench_plain.jwt_user_id(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION bench_plain.event_invites_page(bigint, integer, integer, text)
    FROM PUBLIC;

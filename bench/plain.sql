-- The invite resource without the extension: the contract of
-- invite_api.event_invites_page, event_invite_users and event_uninvite_users
-- written the way an application does it today, in plain SQL and PL/pgSQL
-- with pgcrypto.  The benchmark times it beside the extension, so it is
-- written to be as fast as plain SQL can reasonably be:
--
--   * the token is checked with pgcrypto's hmac(): base64url parts, HS256,
--     HS384 or HS512, exp and nbf with 30 seconds of leeway, the user in the
--     "user_id" claim (an integer or a string of digits, within bigint);
--   * the manager check and count(*) read through indexes;
--   * OFFSET is applied to the invites alone, in the order of an index on
--     (event_id, invited_at, user_id), and only the page's users are joined;
--   * the answer is built with jsonb_build_object / jsonb_agg, with DRF
--     LimitOffsetPagination links;
--   * inviting is one INSERT ... ON CONFLICT DO NOTHING and uninviting one
--     DELETE for the whole list, after the same checks as the extension's
--     (the list, the event, the manager, the users), in the same order.
--
-- Its invites live in bench_plain.event_invites: the contract's columns,
-- primary key, foreign keys and indexes, and no triggers.  Users, events and
-- managers are read from the extension's tables (nothing maintains them but
-- the loader).  Settings are constants here (default limit 20, max 100,
-- max_batch 1000, relative links, no audience), except the secret, which is
-- the placeholder setting bench_plain.jwt_secret (postgresql.conf).
--
-- Tokens are made by the test suites' signer, test/helpers/tokens.sql: only
-- verifying them is part of the plain way.
--
-- Needs a database without a schema bench_plain; installs pgcrypto into
-- schema public (where the signer expects it too) unless it is there.

CREATE SCHEMA bench_plain;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA public;

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
-- when no secret of 32 bytes or more is set.  Called only from the
-- SECURITY DEFINER functions below, whose search_path it runs under.
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
           public.hmac(parts[1] || '.' || parts[2], secret, hash)) <> parts[3] THEN
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

-- The list of a write call sorted and without repeats, after the checks of
-- its form and size (22023), as the extension makes them.
CREATE FUNCTION bench_plain.user_list(users bigint[]) RETURNS bigint[]
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    max_batch   constant integer := 1000;
    ids         bigint[];
BEGIN
    IF array_ndims(users) > 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = '"users" must be a one-dimensional array',
            DETAIL = format('The array has %s dimensions.', array_ndims(users));
    END IF;
    IF coalesce(cardinality(users), 0) = 0 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = '"users" must not be empty',
            DETAIL = 'The list must name at least one user.';
    END IF;
    IF array_position(users, NULL) IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = '"users" must not contain nulls',
            DETAIL = format('Element %s of the list is null.', array_position(users, NULL));
    END IF;
    SELECT array_agg(DISTINCT u ORDER BY u) INTO ids FROM unnest(users) u;
    IF cardinality(ids) > max_batch THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = format('too many distinct users: %s', cardinality(ids)),
            DETAIL = format('At most %s distinct users can be invited or uninvited in one call.',
                            max_batch),
            HINT = 'Split the list.';
    END IF;
    RETURN ids;
END
$$;

-- The checks of a write call after the token and the list: the event (P0002),
-- the manager (42501), then the users (22023, naming the first five missing).
CREATE FUNCTION bench_plain.check_write(ev bigint, uid bigint, ids bigint[])
RETURNS void
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    missing bigint[];
BEGIN
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
    SELECT array_agg(l.id ORDER BY l.id) INTO missing
      FROM unnest(ids) l(id)
     WHERE NOT EXISTS (SELECT FROM invite_api.users x WHERE x.id = l.id);
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value',
            MESSAGE = CASE WHEN cardinality(missing) = 1
                           THEN format('user %s does not exist', missing[1])
                           ELSE format('%s of the listed users do not exist',
                                       cardinality(missing)) END,
            DETAIL = CASE WHEN cardinality(missing) = 1
                          THEN format('There is no user with id %s.', missing[1])
                          ELSE format('There are no users with ids %s%s.',
                                      array_to_string(missing[1:5], ', '),
                                      CASE WHEN cardinality(missing) > 5
                                           THEN format(' and %s more', cardinality(missing) - 5)
                                           ELSE '' END) END;
    END IF;
END
$$;

-- POST /api/v2/event/{id}/invite/ in plain PL/pgSQL: same arguments, checks,
-- errors and result as invite_api.event_invite_users: every listed user not
-- invited yet is invited by the token's user at statement_timestamp(); a
-- user invited already keeps the invite.  Returns how many it created.
CREATE FUNCTION bench_plain.event_invite_users(
    event_id    bigint,
    users       bigint[],
    token       text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    ev      bigint := event_invite_users.event_id;
    uid     bigint;
    ids     bigint[];
    created integer;
BEGIN
    uid := bench_plain.jwt_user_id(token);
    IF ev IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = '"event_id" must not be null',
            DETAIL = 'The id of the event whose invites to change is required.';
    END IF;
    IF users IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = '"users" must not be null',
            DETAIL = 'The list of the users whose invites to change is required.';
    END IF;
    ids := bench_plain.user_list(users);
    PERFORM bench_plain.check_write(ev, uid, ids);

    INSERT INTO bench_plain.event_invites AS i (event_id, user_id, invited_by, invited_at)
    SELECT ev, u.id, uid, statement_timestamp()
      FROM unnest(ids) u(id)
     ORDER BY u.id
    ON CONFLICT (event_id, user_id) DO NOTHING;
    GET DIAGNOSTICS created = ROW_COUNT;
    RETURN created;
END
$$;

-- DELETE /api/v2/event/{id}/invite/ in plain PL/pgSQL, as
-- invite_api.event_uninvite_users: removes the invites of the listed users
-- that have one and returns how many it removed.
CREATE FUNCTION bench_plain.event_uninvite_users(
    event_id    bigint,
    users       bigint[],
    token       text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    ev      bigint := event_uninvite_users.event_id;
    uid     bigint;
    ids     bigint[];
    removed integer;
BEGIN
    uid := bench_plain.jwt_user_id(token);
    IF ev IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = '"event_id" must not be null',
            DETAIL = 'The id of the event whose invites to change is required.';
    END IF;
    IF users IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'null_value_not_allowed',
            MESSAGE = '"users" must not be null',
            DETAIL = 'The list of the users whose invites to change is required.';
    END IF;
    ids := bench_plain.user_list(users);
    PERFORM bench_plain.check_write(ev, uid, ids);

    DELETE FROM bench_plain.event_invites i
     WHERE i.event_id = ev AND i.user_id = ANY (ids);
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END
$$;

REVOKE ALL ON FUNCTION bench_plain.jwt_refuse(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION bench_plain.jwt_user_id(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION bench_plain.event_invites_page(bigint, integer, integer, text)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION bench_plain.user_list(bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION bench_plain.check_write(bigint, bigint, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION bench_plain.event_invite_users(bigint, bigint[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION bench_plain.event_uninvite_users(bigint, bigint[], text) FROM PUBLIC;

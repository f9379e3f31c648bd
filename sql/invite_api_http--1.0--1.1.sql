-- invite_api_http 1.0 -> 1.1: the write side (POST and DELETE of
-- /api/v2/event/{id}/invite/), and no error passed on unmapped.
\echo Use "ALTER EXTENSION invite_api_http UPDATE TO '1.1'" to load this file. \quit

-- The helpers below live in a schema of their own, outside the schema
-- PostgREST exposes: PostgREST offers every function of its db-schemas as
-- /rpc/..., and these are not for calling over HTTP.  Only the owner of the
-- extension (who runs the SECURITY DEFINER functions) uses them; no role
-- needs USAGE on it.
CREATE SCHEMA invite_api_http;
REVOKE ALL ON SCHEMA invite_api_http FROM PUBLIC;
COMMENT ON SCHEMA invite_api_http IS
    'internal helpers of the invite_api_http extension';

-- The token: the Authorization header PostgREST puts in request.headers
-- (a JSON object with lower-case keys), "Bearer <jwt>" as the client sent it.
CREATE FUNCTION invite_api_http.request_token()
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT NULLIF(pg_catalog.current_setting('request.headers', true), '')
               ::pg_catalog.json OPERATOR(pg_catalog.->>) 'authorization'
$$;

-- Raise an error of invite_api's as the HTTP answer PostgREST sends: SQLSTATE
-- PGRST, whose MESSAGE is the JSON body and whose DETAIL the status and
-- headers.  Never returns.
--
--   28000          401, WWW-Authenticate: Bearer (token missing or refused)
--   22004, 22023   400 (a NULL or bad argument; the DETAIL says which)
--   P0002          404 (no such event; PostgREST's own mapping says 500)
--   42501          403 (not a manager of the event)
--   25006          405, Allow: POST (a write in a read-only transaction:
--                  only when the function is called with GET, which
--                  PostgREST runs READ ONLY; PostgREST's own mapping is 405)
--   anything else  500 with a bare body: 55000 (no usable key, library not
--                  preloaded), XX001 (positions to rebuild), a cancelled
--                  statement, a deadlock, an internal error, an error of a
--                  trigger the deployment added...
--
-- The client's body carries the core's message and DETAIL for the mapped
-- codes, and never a HINT (hints are written for whoever runs the server).
-- A 500 tells the client nothing at all; its cause, with the original
-- SQLSTATE, message, DETAIL and HINT, goes to the server log (RAISE LOG:
-- logged with the default log_min_messages, and not sent to the client with
-- the default client_min_messages).
CREATE FUNCTION invite_api_http.raise_http_error(
    caller  text,
    state   text,
    message text,
    detail  text,
    hint    text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    http_status  integer;
    http_headers pg_catalog.json := pg_catalog.json_build_object();
    cause        text;
BEGIN
    http_status := CASE state
        WHEN '28000' THEN 401
        WHEN '22004' THEN 400
        WHEN '22023' THEN 400
        WHEN 'P0002' THEN 404
        WHEN '42501' THEN 403
        WHEN '25006' THEN 405
        ELSE 500
    END;

    IF http_status = 401 THEN
        -- Missing or refused alike: the client needs a new token.
        http_headers := pg_catalog.json_build_object(
            'WWW-Authenticate', 'Bearer error="invalid_token"');
    ELSIF http_status = 405 THEN
        http_headers := pg_catalog.json_build_object('Allow', 'POST');
        message := 'cannot write in a read-only transaction';
        detail := 'Call this function with POST.';
    ELSIF http_status = 500 THEN
        cause := pg_catalog.format('invite_api_http: %s() failed with SQLSTATE %s: %s',
                                   caller, state, message);
        IF NULLIF(detail, '') IS NOT NULL AND NULLIF(hint, '') IS NOT NULL THEN
            RAISE LOG '%', cause USING ERRCODE = state, DETAIL = detail, HINT = hint;
        ELSIF NULLIF(detail, '') IS NOT NULL THEN
            RAISE LOG '%', cause USING ERRCODE = state, DETAIL = detail;
        ELSIF NULLIF(hint, '') IS NOT NULL THEN
            RAISE LOG '%', cause USING ERRCODE = state, HINT = hint;
        ELSE
            RAISE LOG '%', cause USING ERRCODE = state;
        END IF;
        state := '500';
        message := 'internal server error';
        detail := NULL;
    END IF;

    RAISE SQLSTATE 'PGRST'
        USING MESSAGE = pg_catalog.json_build_object(
                  'code', state,
                  'message', message,
                  'details', NULLIF(detail, ''),
                  'hint', NULL),
              DETAIL = pg_catalog.json_build_object(
                  'status', http_status,
                  'headers', http_headers);
END
$$;

REVOKE ALL ON FUNCTION invite_api_http.request_token() FROM PUBLIC;
REVOKE ALL ON FUNCTION invite_api_http.raise_http_error(text, text, text, text, text)
    FROM PUBLIC;

-- GET /rpc/event_invites?id=&page_limit=&page_offset=, as in 1.0, with every
-- error mapped (1.0 passed unmapped errors on as they were, hints and all).
-- query_canceled is named: WHEN OTHERS does not catch it, and a statement
-- cancelled by statement_timeout must reach the client as a bare 500 too.
CREATE OR REPLACE FUNCTION @extschema@.event_invites(
    id          bigint,
    page_limit  integer DEFAULT NULL,
    page_offset integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    err_state   text;
    err_message text;
    err_detail  text;
    err_hint    text;
BEGIN
    RETURN invite_api.event_invites_page(id, page_limit, page_offset,
                                         invite_api_http.request_token());
EXCEPTION WHEN OTHERS OR query_canceled THEN
    GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE,
                            err_message = MESSAGE_TEXT,
                            err_detail = PG_EXCEPTION_DETAIL,
                            err_hint = PG_EXCEPTION_HINT;
    PERFORM invite_api_http.raise_http_error('event_invites', err_state,
                                             err_message, err_detail, err_hint);
    RETURN NULL;                -- not reached
END
$$;

-- POST /rpc/event_invite_users with the body {"id": ..., "users": [...]}
-- (the reverse proxy maps the public POST /api/v2/event/{id}/invite/ here,
-- the id taken from the path): invites the users, answered 204 (a function
-- returning void).  VOLATILE, so PostgREST runs it READ WRITE.
CREATE FUNCTION @extschema@.event_invite_users(id bigint, users bigint[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    err_state   text;
    err_message text;
    err_detail  text;
    err_hint    text;
BEGIN
    PERFORM invite_api.event_invite_users(id, users,
                                          invite_api_http.request_token());
EXCEPTION WHEN OTHERS OR query_canceled THEN
    GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE,
                            err_message = MESSAGE_TEXT,
                            err_detail = PG_EXCEPTION_DETAIL,
                            err_hint = PG_EXCEPTION_HINT;
    PERFORM invite_api_http.raise_http_error('event_invite_users', err_state,
                                             err_message, err_detail, err_hint);
END
$$;

-- POST /rpc/event_uninvite_users, the same way (the public DELETE).
CREATE FUNCTION @extschema@.event_uninvite_users(id bigint, users bigint[])
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    err_state   text;
    err_message text;
    err_detail  text;
    err_hint    text;
BEGIN
    PERFORM invite_api.event_uninvite_users(id, users,
                                            invite_api_http.request_token());
EXCEPTION WHEN OTHERS OR query_canceled THEN
    GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE,
                            err_message = MESSAGE_TEXT,
                            err_detail = PG_EXCEPTION_DETAIL,
                            err_hint = PG_EXCEPTION_HINT;
    PERFORM invite_api_http.raise_http_error('event_uninvite_users', err_state,
                                             err_message, err_detail, err_hint);
END
$$;

COMMENT ON FUNCTION @extschema@.event_invite_users(bigint, bigint[]) IS
    'invite users to an event, for a manager of the event; '
    'the token is the request''s Authorization header';
COMMENT ON FUNCTION @extschema@.event_uninvite_users(bigint, bigint[]) IS
    'remove the invitations of users to an event, for a manager of the event; '
    'the token is the request''s Authorization header';

-- Nobody calls them until granted: GRANT EXECUTE to the role PostgREST
-- switches to (deploy/roles.sql).
REVOKE ALL ON FUNCTION @extschema@.event_invite_users(bigint, bigint[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.event_uninvite_users(bigint, bigint[]) FROM PUBLIC;

COMMENT ON FUNCTION invite_api_http.request_token() IS
    'the Authorization header of the request PostgREST is serving';
COMMENT ON FUNCTION invite_api_http.raise_http_error(text, text, text, text, text) IS
    'turns an error of invite_api into the HTTP answer PostgREST sends, or into a bare 500';

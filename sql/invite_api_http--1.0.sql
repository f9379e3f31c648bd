-- invite_api_http 1.0: invite_api's page as a PostgREST RPC.
\echo Use "CREATE EXTENSION invite_api_http" to load this file. \quit

-- GET /rpc/event_invites?id=&page_limit=&page_offset= as PostgREST calls it
-- (the reverse proxy maps the public GET /api/v2/event/{id}/invite/ here,
-- renaming limit and offset, which PostgREST keeps for itself).
--
-- The token is the Authorization header PostgREST puts in request.headers.
-- The page comes back unchanged; invite_api's errors come back as
-- RAISE SQLSTATE 'PGRST', whose MESSAGE becomes the JSON body and whose
-- DETAIL the HTTP status and headers.  Other errors pass through as they are.
--
-- SECURITY DEFINER so that the web role needs only USAGE on this schema and
-- EXECUTE on this function; the search_path is pinned and every name below
-- is schema-qualified.
CREATE FUNCTION @extschema@.event_invites(
    id          bigint,
    page_limit  integer DEFAULT NULL,
    page_offset integer DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    token       text := NULLIF(pg_catalog.current_setting('request.headers', true), '')
                        ::pg_catalog.json OPERATOR(pg_catalog.->>) 'authorization';
    err_state   text;
    err_message text;
    err_detail  text;
    err_hint    text;
    http_status integer;
    http_headers pg_catalog.json := pg_catalog.json_build_object();
BEGIN
    RETURN invite_api.event_invites_page(id, page_limit, page_offset, token);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS err_state = RETURNED_SQLSTATE,
                            err_message = MESSAGE_TEXT,
                            err_detail = PG_EXCEPTION_DETAIL,
                            err_hint = PG_EXCEPTION_HINT;
    http_status := CASE err_state
        WHEN '28000' THEN 401   -- token missing or refused
        WHEN '22023' THEN 400   -- bad limit or offset
        WHEN '22004' THEN 400   -- NULL id
        WHEN 'P0002' THEN 404   -- no such event (PostgREST would say 500)
        WHEN '42501' THEN 403   -- not a manager of the event
        WHEN '55000' THEN 500   -- no usable secret, or no libjwt
    END;
    IF http_status IS NULL THEN
        RAISE;
    END IF;

    IF http_status = 401 THEN
        -- Missing or refused alike: the client needs a new token.
        http_headers := pg_catalog.json_build_object(
            'WWW-Authenticate', 'Bearer error="invalid_token"');
    ELSIF http_status = 500 THEN
        -- The cause is for the operator's log, not for the client.
        RAISE LOG 'invite_api_http: %', err_message
            USING DETAIL = err_detail, HINT = err_hint;
        err_message := 'the invite list is not available';
        err_detail := 'The server is misconfigured; the cause is in its log.';
        err_hint := '';
    END IF;

    RAISE SQLSTATE 'PGRST'
        USING MESSAGE = pg_catalog.json_build_object(
                  'code', err_state,
                  'message', err_message,
                  'details', NULLIF(err_detail, ''),
                  'hint', NULLIF(err_hint, '')),
              DETAIL = pg_catalog.json_build_object(
                  'status', http_status,
                  'headers', http_headers);
END
$$;

COMMENT ON FUNCTION @extschema@.event_invites(bigint, integer, integer) IS
    'one page of the users invited to an event, for a manager of the event; '
    'the token is the request''s Authorization header';

-- Nobody calls it until granted: GRANT EXECUTE to the role PostgREST switches to.
REVOKE ALL ON FUNCTION @extschema@.event_invites(bigint, integer, integer)
    FROM PUBLIC;

-- invite_api 1.1 -> 1.2: inviting and uninviting users (POST and DELETE of
-- the invite resource), by the event's managers.
\echo Use "ALTER EXTENSION invite_api UPDATE TO '1.2'" to load this file. \quit

-- The write side: POST and DELETE /api/v2/event/{id}/invite/ with the body
-- {"users": [...]}.  For a manager of the event who proves it with a JWT,
-- checked as for the page.  Each call writes its whole list with one
-- statement, all or nothing, and returns how many invites it created or
-- removed (a user listed twice counts once).  SECURITY DEFINER so that a
-- caller needs only EXECUTE, under a pinned search_path, as the page.
CREATE FUNCTION @extschema@.event_invite_users(
    event_id    bigint,
    users       bigint[],
    token       text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'event_invite_users'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION @extschema@.event_uninvite_users(
    event_id    bigint,
    users       bigint[],
    token       text DEFAULT NULL)
RETURNS integer
AS 'MODULE_PATHNAME', 'event_uninvite_users'
LANGUAGE C VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.event_invite_users(bigint, bigint[], text) IS
    'invite users to an event, for a manager of the event; returns how many invites it created';
COMMENT ON FUNCTION @extschema@.event_uninvite_users(bigint, bigint[], text) IS
    'remove the invites of users to an event, for a manager of the event; returns how many it removed';

-- Nobody calls them until granted: GRANT EXECUTE to the role that serves the API.
REVOKE ALL ON FUNCTION
    @extschema@.event_invite_users(bigint, bigint[], text),
    @extschema@.event_uninvite_users(bigint, bigint[], text)
FROM PUBLIC;

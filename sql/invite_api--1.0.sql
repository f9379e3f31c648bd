-- invite_api 1.0: the tables of the invite list and the function that pages it.
\echo Use "CREATE EXTENSION invite_api" to load this file. \quit

-- The community's users, events, managers and invites.  Clients and loaders
-- write these tables directly; the extension only reads them.
CREATE TABLE @extschema@.users (
    id          bigint PRIMARY KEY,
    username    text NOT NULL UNIQUE,
    real_name   text NOT NULL DEFAULT '',
    ext_id      bigint,
    avatar      text
);

CREATE TABLE @extschema@.events (
    id      bigint PRIMARY KEY,
    name    text NOT NULL
);

CREATE TABLE @extschema@.event_managers (
    event_id    bigint NOT NULL REFERENCES @extschema@.events ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES @extschema@.users ON DELETE CASCADE,
    PRIMARY KEY (event_id, user_id)
);

CREATE TABLE @extschema@.event_invites (
    event_id    bigint NOT NULL REFERENCES @extschema@.events ON DELETE CASCADE,
    user_id     bigint NOT NULL REFERENCES @extschema@.users ON DELETE CASCADE,
    invited_by  bigint REFERENCES @extschema@.users,
    invited_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, user_id)
);

-- The page order, read in index order (and index-only for count and skip).
CREATE INDEX event_invites_page_idx
    ON @extschema@.event_invites (event_id, invited_at, user_id);
-- The foreign keys' other ends: deleting a user must not scan every invite.
CREATE INDEX event_invites_user_id_idx ON @extschema@.event_invites (user_id);
CREATE INDEX event_invites_invited_by_idx ON @extschema@.event_invites (invited_by);
CREATE INDEX event_managers_user_id_idx ON @extschema@.event_managers (user_id);

-- Extension tables are left out of pg_dump unless registered: keep their rows.
SELECT pg_catalog.pg_extension_config_dump('@extschema@.users', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.events', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event_managers', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.event_invites', '');

-- GET /api/v2/event/{id}/invite/: one page of the event's invited users as
-- {count, next, previous, results}, for a manager of the event who proves it
-- with a JWT.  SECURITY DEFINER so that a caller needs only EXECUTE: it reads
-- the tables and the secret with the extension owner's rights, through
-- schema-qualified names under a pinned search_path.
CREATE FUNCTION @extschema@.event_invites_page(
    event_id    bigint,
    "limit"     integer DEFAULT NULL,
    "offset"    integer DEFAULT NULL,
    token       text DEFAULT NULL)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'event_invites_page'
LANGUAGE C STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION @extschema@.event_invites_page(bigint, integer, integer, text) IS
    'one page of the users invited to an event, for a manager of the event';

-- Nobody calls it until granted: GRANT EXECUTE to the role that serves the API.
REVOKE ALL ON FUNCTION @extschema@.event_invites_page(bigint, integer, integer, text)
    FROM PUBLIC;

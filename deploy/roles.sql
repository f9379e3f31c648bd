-- The database roles that serve GET, POST and DELETE
-- /api/v2/event/{id}/invite/ through PostgREST.  Run once, as a superuser,
-- in the database where
--     CREATE SCHEMA api;
--     CREATE EXTENSION invite_api_http SCHEMA api CASCADE;
-- was run:
--     psql -d community -v base_url=https://community.example.com -f deploy/roles.sql
-- psql variables (all optional):
--     authenticator  the role PostgREST logs in as       (default authenticator)
--     web_role       the role every request runs as      (default invite_api_web)
--     base_url       scheme and host of the public links (default: links stay relative)
-- The extension creates no role: these are the deployment's to name.
-- Running it again (after ALTER EXTENSION invite_api_http UPDATE, say)
-- creates only the roles that are missing and grants what the installed
-- version has.
\if :{?authenticator}
\else
\set authenticator authenticator
\endif
\if :{?web_role}
\else
\set web_role invite_api_web
\endif

-- PostgREST logs in as the authenticator (db-uri).  NOINHERIT: by itself it
-- holds no privilege at all; for each request PostgREST switches to the web
-- role (SET ROLE), which it may only because it is a member.  Give it a
-- password with \password, or map it in pg_hba.conf.
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'authenticator') AS create_authenticator,
       NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'web_role') AS create_web_role
\gset
\if :create_authenticator
CREATE ROLE :"authenticator" LOGIN NOINHERIT;
\endif

-- The role of every request: PostgREST's db-anon-role, used for requests
-- without a token and for tokens without a "role" claim (the platform's
-- tokens have none).  A token whose "role" claim names another role runs as
-- that role, which must then be granted to the authenticator like this one.
\if :create_web_role
CREATE ROLE :"web_role" NOLOGIN;
\endif
GRANT :"web_role" TO :"authenticator";

-- All the web role may do: call the three functions of the endpoint (GET,
-- and POST and DELETE as RPCs).  It needs no privilege on the invite_api
-- schema, its tables or the invite_api_http schema: the api functions are
-- SECURITY DEFINER.
GRANT USAGE ON SCHEMA api TO :"web_role";
GRANT EXECUTE ON FUNCTION api.event_invites(bigint, integer, integer) TO :"web_role";
GRANT EXECUTE ON FUNCTION api.event_invite_users(bigint, bigint[]) TO :"web_role";
GRANT EXECUTE ON FUNCTION api.event_uninvite_users(bigint, bigint[]) TO :"web_role";

-- The next and previous links point at the public URL.  PostgREST applies
-- the settings of the role it switches to in every request's transaction.
\if :{?base_url}
ALTER ROLE :"web_role" SET invite_api.base_url = :'base_url';
\endif

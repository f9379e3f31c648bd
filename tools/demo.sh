#!/usr/bin/env bash
# The demo on a fresh Debian 12 machine: installs the build dependencies,
# builds and installs invite_api, starts a private throwaway cluster, loads a
# small community, and shows a real page and refused requests.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh
export PATH=$(pg_config --bindir):$PATH

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
make -s
$SUDO make -s install

# The secret lives in the server's configuration (readable by superusers
# only), never in the database.
SECRET=demo-secret-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

. tools/cluster.sh
cluster_start "invite_api.jwt_secret = '$SECRET'" \
              "invite_api.base_url = 'https://community.example.com'"

run() { psql -X -q -v ON_ERROR_STOP=1 -v secret="$SECRET" "$@"; }

run <<'SQL'
CREATE EXTENSION pgcrypto;
CREATE EXTENSION invite_api;
\i demo/sample.sql
SQL

run <<'SQL'
-- A token as the platform's issuer makes one, signed like pgjwt's sign().
CREATE FUNCTION pg_temp.b64url(bytea) RETURNS text LANGUAGE sql AS
    $$ SELECT translate(rtrim(encode($1, 'base64'), '='), E'+/\n', '-_') $$;
CREATE FUNCTION pg_temp.sign(payload json, secret text) RETURNS text LANGUAGE sql AS $$
    SELECT s || '.' || pg_temp.b64url(hmac(s, secret, 'sha256'))
      FROM (SELECT pg_temp.b64url(convert_to('{"alg":"HS256","typ":"JWT"}', 'utf8'))
                   || '.' || pg_temp.b64url(convert_to(payload::text, 'utf8')) AS s) t
$$;
SELECT 'Bearer ' || pg_temp.sign(json_build_object(
           'token_type', 'access', 'user_id', 1, 'jti', md5(random()::text),
           'iat', floor(extract(epoch FROM now())),
           'exp', floor(extract(epoch FROM now())) + 300), :'secret') AS manager \gset
SELECT 'Bearer ' || pg_temp.sign(json_build_object('user_id', 2,
           'exp', floor(extract(epoch FROM now())) + 300), :'secret') AS other \gset

\echo
\echo '== GET /api/v2/event/42/invite/?limit=5&offset=10 as user 1, a manager of event 42'
SELECT jsonb_pretty(invite_api.event_invites_page(42, 5, 10, :'manager')) AS "200 OK";

\echo '== the same event, as user 2, who manages only event 43'
\set VERBOSITY default
\set ON_ERROR_STOP 0
SELECT invite_api.event_invites_page(42, 5, 10, :'other');
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE '(403 through the gateway)'
\echo
\echo '== a token that was tampered with'
SELECT invite_api.event_invites_page(42, 5, 0, :'manager' || 'x');
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE '(401 through the gateway)'
SQL

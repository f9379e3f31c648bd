#!/usr/bin/env bash
# The demo on a fresh Debian 12 machine: installs the build dependencies,
# builds and installs invite_api, starts a private throwaway cluster with the
# library preloaded and its signing key in a key file, loads a small
# community (demo/sample.sql), and shows a page, an invite and an uninvite by
# the event's manager, the page that follows, and refused requests.  Tokens
# are signed with PyJWT (python3-jwt) and the same key, as the platform's
# issuer signs them.  The cluster is removed when it ends.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh python3-jwt
export PATH=$(pg_config --bindir):$PATH

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
make -s
$SUDO make -s install

. tools/cluster.sh

# Debian's Python, where python3-jwt installs PyJWT.
PYTHON=/usr/bin/python3

# The signing key: 32 random bytes, in a JWK Set (the form PostgREST's
# jwt-secret reads too) owned by the server's OS user, mode 0600.
KEY_HEX=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
jwk_set() {
    "$PYTHON" - "$KEY_HEX" <<'PY'
import base64, json, sys
k = base64.urlsafe_b64encode(bytes.fromhex(sys.argv[1])).rstrip(b"=").decode()
print(json.dumps({"keys": [{"kty": "oct", "kid": "demo-1", "k": k}]}))
PY
}

cluster_start "shared_preload_libraries = 'invite_api'" \
              "invite_api.base_url = 'https://community.example.com'"
as_postgres install -m 0600 /dev/null "$CLUSTER_DIR/data/invite_api_jwt.json"
jwk_set | as_postgres tee "$CLUSTER_DIR/data/invite_api_jwt.json" >/dev/null
run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
run -c "ALTER SYSTEM SET invite_api.jwt_secret_file = 'invite_api_jwt.json'" \
    -c "SELECT pg_reload_conf()" >/dev/null

# A token as the platform's issuer (djangorestframework-simplejwt) makes one.
token() {
    "$PYTHON" - "$KEY_HEX" "$1" "$2" <<'PY'
import sys, time, uuid, jwt
key, user, kind = bytes.fromhex(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
now = int(time.time())
print(jwt.encode({"token_type": kind, "exp": now + 300, "iat": now,
                  "jti": uuid.uuid4().hex, "user_id": user}, key, algorithm="HS256"))
PY
}

run -c 'CREATE EXTENSION invite_api' -f demo/sample.sql

manager=$(token 1 access)
other=$(token 2 access)
refresh=$(token 1 refresh)
run -v manager="Bearer $manager" -v other="Bearer $other" -v refresh="Bearer $refresh" <<'SQL'
\pset footer off
\pset format unaligned
\echo
\echo '== GET /api/v2/event/42/invite/?limit=5&offset=10 as user 1, a manager of event 42'
SELECT jsonb_pretty(invite_api.event_invites_page(42, 5, 10, :'manager')) AS "200 OK";

\echo
\echo '== POST /api/v2/event/42/invite/ {"users": [58, 59]}: user 1 invites two users'
SELECT invite_api.event_invite_users(42, '{58, 59}', :'manager') AS "invitations created";
\echo
\echo '== the last page now ends with them'
SELECT jsonb_pretty(invite_api.event_invites_page(42, 3, 44, :'manager')) AS "200 OK";

\echo
\echo '== DELETE /api/v2/event/42/invite/ {"users": [58]}: user 1 uninvites one of them'
SELECT invite_api.event_uninvite_users(42, '{58}', :'manager') AS "invitations removed";
SELECT invite_api.event_invites_page(42, 1, 0, :'manager') -> 'count' AS "count now";

\set ON_ERROR_STOP 0
\set VERBOSITY default
\echo
\echo '== the same event as user 2, who manages only event 43: refused'
SELECT invite_api.event_invite_users(42, '{57}', :'other');
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE '(403 through the gateway)'
\echo
\echo '== a refresh token is not an access token: refused'
SELECT invite_api.event_invites_page(42, 5, 0, :'refresh');
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE '(401 through the gateway)'
\echo
\echo '== a token that was tampered with: refused'
SELECT invite_api.event_invites_page(42, 5, 0, :'manager' || 'x');
\echo 'SQLSTATE' :LAST_ERROR_SQLSTATE '(401 through the gateway)'
SQL

#!/usr/bin/env bash
# Install what building and testing invite_api needs on Debian 12:
# the PostgreSQL 15 server and its PGXS headers, libjwt (headers; the shared
# library is opened at run time) and jansson's headers (its functions are
# called through libjwt's handle), pkg-config; for the tests, nginx with its
# JavaScript module, curl and openssl (the HTTP route's test), jemalloc (a
# server started with it in LD_PRELOAD must refuse tokens, not crash), and
# the packages named as arguments (tools/test.sh adds the test and packaging
# tools).  Idempotent: installs only what is missing, with apt-get, as root
# or through sudo.  Elsewhere (no dpkg) it only names what must be there.
set -euo pipefail

packages=(postgresql-15 postgresql-server-dev-15 libjwt-dev libjansson-dev pkg-config make gcc
          libjemalloc2)
packages+=(nginx libnginx-mod-http-js curl openssl)
packages+=("$@")

if ! command -v dpkg-query >/dev/null; then
    echo "tools/deps.sh: not a Debian system; install the equivalents of: ${packages[*]}" >&2
    exit 0
fi

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
((${#missing[@]})) || exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=
elif command -v sudo >/dev/null; then
    SUDO=sudo
else
    echo "tools/deps.sh: missing packages: ${missing[*]} (as root: apt-get install ${missing[*]})" >&2
    exit 1
fi
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null

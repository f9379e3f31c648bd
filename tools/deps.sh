#!/usr/bin/env bash
# Install what building and testing invite_api needs on Debian 12:
# the PostgreSQL 15 server and its PGXS headers, libjwt (headers; the shared
# library is opened at run time), pkg-config, and for the HTTP route's test
# (test/http/nginx_test.sh) nginx with its JavaScript module, curl and
# openssl.  Idempotent; needs root or sudo.
set -euo pipefail

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

packages=(postgresql-15 postgresql-server-dev-15 libjwt-dev pkg-config make gcc)
packages+=(nginx libnginx-mod-http-js curl openssl)
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
        || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "installing: ${missing[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

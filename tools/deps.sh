#!/usr/bin/env bash
# Install what building and testing invite_api needs on Debian 12:
# the PostgreSQL 15 server and its PGXS headers, libjwt (headers; the shared
# library is opened at run time) and jansson's headers (its functions are
# called through libjwt's handle), pkg-config; for the tests, jemalloc (a
# server started with it in LD_PRELOAD must refuse tokens, not crash).
# Idempotent; needs root or sudo.
set -euo pipefail

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

packages=(postgresql-15 postgresql-server-dev-15 libjwt-dev libjansson-dev pkg-config make gcc
          libjemalloc2)
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

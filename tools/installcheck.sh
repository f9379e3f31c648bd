#!/usr/bin/env bash
# "make installcheck" (pg_regress, isolation specs, TAP tests) against the
# installed extension, each suite on throwaway servers of its own.
#
#   bash tools/installcheck.sh [make arguments...]
#
# PostgreSQL refuses to run as root, and so do its test drivers.  Run as
# root, this makes an unprivileged user (TEST_USER, default invite_api_test),
# copies the working tree to a directory that user owns and runs the suites
# there as that user (the copy is removed after a passing run, kept after a
# failing one); otherwise it runs them in place.  A failing run prints the
# diffs and server logs it left.
set -euo pipefail
cd "$(dirname "$0")/.."

TEST_USER=${TEST_USER:-invite_api_test}
PG_CONFIG=${PG_CONFIG:-pg_config}

if [ "$(id -u)" -ne 0 ]; then
    tree=$PWD
    run() { "$@"; }
else
    id -u "$TEST_USER" >/dev/null 2>&1 \
        || useradd --system --create-home --shell /bin/bash "$TEST_USER"
    tree=$(mktemp -d /tmp/invite_api_check.XXXXXX)
    # The tree as it is, uncommitted changes included, without build output.
    tar --exclude=./build --exclude=./results --exclude=./output_iso \
        --exclude=./tmp_check --exclude=./log --exclude=./.git \
        --exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - . \
        | tar -C "$tree" -xf -
    chown -R "$TEST_USER": "$tree"
    run() { runuser -u "$TEST_USER" -- env PATH="$PATH" "$@"; }
fi

status=0
run make -C "$tree" -s PG_CONFIG="$PG_CONFIG" installcheck "$@" || status=$?
if [ "$status" -ne 0 ]; then
    for f in "$tree"/regression.diffs "$tree"/output_iso/regression.diffs \
             "$tree"/build/regress/tmp_*/log/postmaster.log \
             "$tree"/tmp_check/log/*; do
        [ -f "$f" ] || continue
        echo "=== ${f#"$tree"/}"
        tail -n 200 "$f"
    done
fi
if [ "$tree" != "$PWD" ]; then
    if [ "$status" -eq 0 ]; then rm -rf "$tree"; else echo "=== results kept in $tree"; fi
fi
exit "$status"

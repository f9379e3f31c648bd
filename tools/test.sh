#!/usr/bin/env bash
# Every test of invite_api on a fresh Debian 12 machine: installs the build
# dependencies, builds with -Werror, installs, starts a throwaway cluster and
# runs "make installcheck" (pg_regress suite and isolation specs), then the
# nginx route test, the reliability tests (test/reliability/run.sh) and a
# short fuzzing run of the token verifier.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh
export PATH=$(pg_config --bindir):$PATH

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
make -s COPT=-Werror
$SUDO make -s install

. tools/cluster.sh
cluster_start

status=0
make -s installcheck || status=$?
if [ "$status" -ne 0 ]; then
    for f in regression.diffs output_iso/regression.diffs "$CLUSTER_DIR/server.log"; do
        [ -f "$f" ] && { echo "=== $f"; tail -n 200 "$f"; }
    done
fi
# The reverse proxy's public route in a real nginx, on loopback.
bash test/http/nginx_test.sh || status=$?
# Memory, soak, dump and restore, crash, standby: each on its own cluster.
bash test/reliability/run.sh || status=$?
# The token verifier outside the server, under libFuzzer and sanitizers.
bash fuzz/ci.sh || status=$?
exit "$status"

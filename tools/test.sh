#!/usr/bin/env bash
# Every test of invite_api on a fresh Debian 12 machine: installs the build
# dependencies, builds with -Werror, installs, runs "make installcheck"
# (pg_regress suite, isolation specs and TAP tests, on throwaway servers of
# their own, as an unprivileged user; crash recovery, the standby, dump and
# restore and the soak are among the TAP tests), then the nginx route test,
# the memory test (test/reliability/run.sh) and a short fuzzing run of the
# token verifier.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/deps.sh libipc-run-perl
export PATH=$(pg_config --bindir):$PATH

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
make -s COPT=-Werror
$SUDO make -s install

status=0
bash tools/installcheck.sh || status=$?
# The reverse proxy's public route in a real nginx, on loopback.
bash test/http/nginx_test.sh || status=$?
# What has no TAP equivalent (memory growth in one backend), on a cluster
# of its own.
bash test/reliability/run.sh || status=$?
# The token verifier outside the server, under libFuzzer and sanitizers.
bash fuzz/ci.sh || status=$?
exit "$status"

#!/usr/bin/env bash
# Every test of invite_api, against an installed build: "make installcheck"
# (pg_regress suite, isolation specs and TAP tests, on throwaway servers of
# their own, as an unprivileged user: tools/installcheck.sh; crash recovery,
# the standby, dump and restore and the soak are among the TAP tests), the
# nginx route test, the memory test (test/reliability/run.sh) and a short
# fuzzing run of the token verifier (fuzz/ci.sh).  It installs the build
# dependencies it needs (tools/deps.sh).  Two ways to install what the
# suites test, chosen with INVITE_API_INSTALL:
#
#   package  The Debian package, as a server gets it (the default for root
#            when the first pg_config on PATH, if any, is the system's, as on
#            CI: a fresh Debian 12).  The tree as it is (tracked files and
#            untracked ones git does not ignore) is copied to a temporary
#            directory, so nothing in the checkout is written;
#            dpkg-buildpackage -us -uc -b builds postgresql-15-invite-api
#            there, with warnings as errors (DEB_CFLAGS_APPEND=-Werror, the
#            same check as "make COPT=-Werror"); "apt-get install
#            ./postgresql-15-invite-api_*.deb" installs it (again, or over
#            another version, when one is installed already); the suites then
#            run against the installed files with
#            PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config.  Needs root or
#            sudo, and apt.
#   source   "make -s COPT=-Werror" in the checkout, then "make install" into
#            the first pg_config on PATH (with sudo only when its directories
#            are not writable), then the same suites.  The default without
#            root, or when PATH starts with a PostgreSQL of your own: a
#            developer without root or apt builds PostgreSQL 15 somewhere,
#            puts its bin directory first on PATH and runs
#            INVITE_API_INSTALL=source bash tools/test.sh.
#
# Exits non-zero when the build, the install or any suite fails; all suites
# run even after one fails.
set -euo pipefail
cd "$(dirname "$0")/.."

# Is this the bin directory of a PostgreSQL from Debian's packages?
system_bindir() {
    case "$1" in /usr/lib/postgresql/*/bin) return 0 ;; esac
    return 1
}

mode=${INVITE_API_INSTALL:-}
if [ -z "$mode" ]; then
    mode=source
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        if ! command -v pg_config >/dev/null || system_bindir "$(pg_config --bindir)"; then
            mode=package
        fi
    fi
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

case "$mode" in
package)
    # The PostgreSQL versions of debian/pgversions: 15, Debian 12's.
    pg_major=15
    bash tools/deps.sh libipc-run-perl build-essential debhelper dpkg-dev fakeroot \
        postgresql-server-dev-all
    pg_bindir=/usr/lib/postgresql/$pg_major/bin
    export PATH=$pg_bindir:$PATH PG_CONFIG=$pg_bindir/pg_config

    version=$(dpkg-parsechangelog -l debian/changelog -S Version)
    work=$(mktemp -d /tmp/invite_api_deb.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    # Readable by apt's own user, which fetches the local .deb.
    chmod 755 "$work"
    src=$work/invite_api-${version%-*}
    mkdir "$src"
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z --cached --others --exclude-standard \
            | while IFS= read -r -d '' f; do
                  # tracked files deleted in the working tree are left out
                  if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
              done \
            | tar --null -T - -cf - | tar -C "$src" -xf -
    else
        tar --exclude=./build --exclude=./results --exclude=./output_iso \
            --exclude=./tmp_check --exclude=./log --exclude=./dist \
            --exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - . \
            | tar -C "$src" -xf -
    fi

    # dpkg-buildpackage writes the packages into the parent directory.
    echo "building postgresql-$pg_major-invite-api $version"
    if ! (cd "$src" && DEB_CFLAGS_APPEND=-Werror dpkg-buildpackage -us -uc -b) \
        >"$work/build.log" 2>&1; then
        tail -n 60 "$work/build.log"
        echo "FAIL: dpkg-buildpackage (log above)" >&2
        exit 1
    fi
    deb=("$work"/postgresql-"$pg_major"-invite-api_"$version"_*.deb)
    [ -f "${deb[0]}" ] || { echo "FAIL: no package built" >&2; exit 1; }

    # --reinstall: a second run installs its own build over the same
    # version; --allow-downgrades: over a newer one.
    (cd "$work" && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
        --reinstall --allow-downgrades "./${deb[0]##*/}" >/dev/null)
    installed=$(dpkg-query -W -f='${Version}' "postgresql-$pg_major-invite-api")
    [ "$installed" = "$version" ] \
        || { echo "FAIL: installed $installed, built $version" >&2; exit 1; }
    # The server's files are this build's (an image may leave out
    # /usr/share/doc, so only those).
    if ! (cd / && dpkg-deb -I "${deb[0]}" md5sums | grep ' usr/\(lib\|share\)/postgresql/' \
            | md5sum --quiet -c -); then
        echo "FAIL: the installed files are not those of the package just built" >&2
        exit 1
    fi
    # The suites must test the package's files only: an invite_api file
    # that no package owns was left by a "make install" and could be used.
    stray=()
    for f in "$(pg_config --sharedir)"/extension/invite_api* \
             "$(pg_config --pkglibdir)"/invite_api*; do
        [ -e "$f" ] || continue
        dpkg -S "$f" >/dev/null 2>&1 || stray+=("$f")
    done
    if ((${#stray[@]})); then
        echo "FAIL: files no package owns (remove them): ${stray[*]}" >&2
        exit 1
    fi
    echo "installed postgresql-$pg_major-invite-api $installed"
    ;;
source)
    bash tools/deps.sh libipc-run-perl
    pg_bindir=$(pg_config --bindir)
    export PATH=$pg_bindir:$PATH
    make -s COPT=-Werror
    if [ -w "$(pg_config --pkglibdir)" ] && [ -w "$(pg_config --sharedir)/extension" ]; then
        make -s install
    else
        $SUDO make -s install
    fi
    ;;
*)
    echo "INVITE_API_INSTALL must be package or source, not \"$mode\"" >&2
    exit 2
    ;;
esac

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

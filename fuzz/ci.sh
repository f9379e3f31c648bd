#!/usr/bin/env bash
# CI step for the token-verifier fuzzers: install what they need (idempotent),
# build them, check that every seed gives its expected result, then fuzz each
# target for FUZZ_SECONDS (default 30).  Exits non-zero on any finding: a
# crash, an ASan/UBSan/LeakSanitizer report, a violated invariant, a timeout,
# or a seed whose result changed.
set -euo pipefail
cd "$(dirname "$0")"

# clang-14 and its fuzzer/sanitizer runtimes, OpenSSL's headers for the
# harness's HMAC, on top of the extension's own build dependencies.
bash ../tools/deps.sh clang-14 libclang-rt-14-dev libssl-dev

make -s
make -s check-seeds
make -s run FUZZ_SECONDS="${FUZZ_SECONDS:-30}"

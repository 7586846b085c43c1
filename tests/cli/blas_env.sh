#!/usr/bin/env bash
# OpenBLAS's settings (lapse/blas.h): started without them, lapse runs
# itself again once with OPENBLAS_THREAD_TIMEOUT=22, so OpenBLAS's idle
# threads sleep after 2^22 cycles instead of spinning 2^28; a value the
# user set stands. `lapse --version` says what OpenBLAS loaded with.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"

out=$(env -u OPENBLAS_THREAD_TIMEOUT "$LAPSE_BIN" --version)
grep -qF "(idle threads sleep after 2^22 cycles)" <<< "$out" ||
  fail "a plain start did not get the thread timeout: $(grep OpenBLAS <<< "$out")"

out=$(OPENBLAS_THREAD_TIMEOUT=30 "$LAPSE_BIN" --version)
grep -qF "(idle threads sleep after 2^30 cycles)" <<< "$out" ||
  fail "the user's OPENBLAS_THREAD_TIMEOUT was replaced: $(grep OpenBLAS <<< "$out")"

# One restart at most: the second process finds the variables set.
# (LeakSanitizer cannot run under ptrace.)
if command -v strace > /dev/null; then
  execs=$(mktemp)
  trap 'rm -f "$execs"' EXIT
  env -u OPENBLAS_THREAD_TIMEOUT -u OPENBLAS_CORETYPE ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" \
    strace -f -e trace=execve -o "$execs" "$LAPSE_BIN" --version > /dev/null ||
    fail "lapse --version under strace"
  n=$(grep -c 'execve("/proc/self/exe"' "$execs" || true)
  [ "$n" -eq 1 ] || fail "$n restarts, not 1"
fi
echo ok

#!/usr/bin/env bash
# A full disk (/dev/full) is exit 3 with a message naming the output, for
# every file lapse extract and lapse simulate write; the other outputs of
# the run are not left half-made, and nothing temporary stays behind.
set -euo pipefail

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
: "${LAPSE_SOURCE_DIR:?LAPSE_SOURCE_DIR must point at the source tree}"
[[ -w /dev/full ]] || { echo "skipped: no /dev/full"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:exitcode=99"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:exitcode=99"
cp "$LAPSE_SOURCE_DIR/tests/bad/logs/clean.csv" .
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_full WHAT ARGS...: exit 3, "write failed: No space left on device (in WHAT)".
expect_full() {
    local what=$1 got=0
    shift
    "$LAPSE_BIN" "$@" >/dev/full 2>err.txt || got=$?
    [[ $got == 3 ]] || fail "lapse $*: exit $got, expected 3: $(cat err.txt)"
    grep -qxF "lapse: write failed: No space left on device (in $what)" err.txt ||
        fail "lapse $*: $(cat err.txt)"
    ! ls ./*.tmp.* sim/*.tmp.* >/dev/null 2>&1 || fail "lapse $*: temporary file left"
}

expect_full /dev/full extract -q --asof 2026-03-01 -o /dev/full clean.csv
expect_full '<stdout>' extract -q --asof 2026-03-01 clean.csv
expect_full '<stdout>' extract -q --format libsvm --asof 2026-03-01 -o - clean.csv
expect_full /dev/full extract -q --asof 2026-03-01 --dormant /dev/full -o out.csv clean.csv
[[ ! -e out.csv ]] || fail "the active table was written although the dormant one failed"

# simulate writes three files into a folder; each in turn is /dev/full.
for name in events.csv.gz truth.csv truth_snapshots.csv; do
    rm -rf sim && mkdir sim && ln -s /dev/full "sim/$name"
    expect_full "sim/$name" simulate -q --users 50 --days 90 -o sim
    [[ $(ls sim) == "$name" ]] || fail "simulate with a full $name left: $(ls sim | tr '\n' ' ')"
done
echo ok

#!/usr/bin/env bash
# A full disk (/dev/full) is exit 3 with a message naming the output, for
# every file lapse extract, simulate, train, score and campaign plan write;
# the other outputs of the run are not left half-made, and nothing
# temporary stays behind.
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
: "${LAPSE_SOURCE_DIR:?LAPSE_SOURCE_DIR must point at the source tree}"
[[ -w /dev/full ]] || { echo "skipped: no /dev/full"; exit 0; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:exitcode=99"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:exitcode=99"
cp "$LAPSE_SOURCE_DIR/tests/bad/logs/clean.csv" .

# expect_full WHAT ARGS...: exit 3, "write failed: No space left on device (in WHAT)".
expect_full() {
    expect_full_saying "write failed" "$@"
}

# expect_full_saying TEXT WHAT ARGS...: exit 3, "TEXT: No space left on device (in WHAT)".
expect_full_saying() {
    local text=$1 what=$2 got=0
    shift 2
    "$LAPSE_BIN" "$@" >/dev/full 2>err.txt || got=$?
    [[ $got == 3 ]] || fail "lapse $*: exit $got, expected 3: $(cat err.txt)"
    grep -qxF "lapse: $text: No space left on device (in $what)" err.txt ||
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

# train, score and campaign plan, on a small simulated log.
"$LAPSE_BIN" simulate -q --seed 4 --users 200 --days 100 -o tsim
"$LAPSE_BIN" extract -q --asof 2026-02-20,2026-03-05 -o feat.csv tsim/events.csv.gz
"$LAPSE_BIN" train -q --model logistic -o lr.model feat.csv
"$LAPSE_BIN" extract -q --no-labels --asof 2026-03-05 -o now.csv tsim/events.csv.gz
"$LAPSE_BIN" score -q -m lr.model -o scored.csv now.csv
expect_full_saying "cannot write the model" /dev/full train -q --model logistic -o /dev/full feat.csv
expect_full_saying "cannot write the model" /dev/full train -q --model svm -o /dev/full feat.csv
expect_full /dev/full score -q -m lr.model -o /dev/full now.csv
expect_full /dev/full score -q -m lr.model --top 5 -o /dev/full now.csv
expect_full '<stdout>' score -q -m lr.model now.csv
expect_full /dev/full score -q -m lr.model --logs --asof 2026-03-05 -o /dev/full tsim/events.csv.gz
expect_full /dev/full campaign plan -q --budget 5 -o /dev/full scored.csv
expect_full '<stdout>' campaign plan -q --budget 5 scored.csv
echo ok

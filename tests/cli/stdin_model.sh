#!/usr/bin/env bash
# A model from standard input ("-m -", "model show -") is the model from its
# file; standard input read by two inputs of one run is a usage error.
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:exitcode=99"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:exitcode=99"

"$LAPSE_BIN" simulate -q --seed 4 --users 150 --days 120 -o sim
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-03-20 -o table.csv sim/events.csv.gz
"$LAPSE_BIN" train -q --model logistic -o lr.model table.csv

"$LAPSE_BIN" score -q -m lr.model -o from_file.csv table.csv
"$LAPSE_BIN" score -q -m - -o from_stdin.csv table.csv < lr.model
cmp -s from_file.csv from_stdin.csv || fail "score -m - differs from score -m lr.model"
"$LAPSE_BIN" score -q -m - --logs -o logs.csv sim/events.csv.gz < lr.model
[[ -s logs.csv ]] || fail "score -m - --logs wrote nothing"
"$LAPSE_BIN" model show lr.model > shown_file.txt
"$LAPSE_BIN" model show - < lr.model > shown_stdin.txt
# The first line names the file: "-" here.
[[ $(sed -n 1p shown_stdin.txt) == "model:        -" ]] || fail "model show -: $(sed -n 1p shown_stdin.txt)"
cmp -s <(tail -n +2 shown_file.txt) <(tail -n +2 shown_stdin.txt) || fail "model show - differs"

# Not a model on stdin: the decoder's message, located in "-".
got=0
"$LAPSE_BIN" score -q -m - -o out.csv table.csv < table.csv 2>err.txt || got=$?
[[ $got == 1 ]] || fail "a table as the model: exit $got: $(cat err.txt)"
grep -qF '(in -' err.txt || fail "a table as the model: $(cat err.txt)"

# expect_two_stdin ARGS...: exit 2, nothing read, nothing written.
expect_two_stdin() {
    local got=0
    "$LAPSE_BIN" "$@" < lr.model >stdout.txt 2>err.txt || got=$?
    [[ $got == 2 ]] || fail "lapse $*: exit $got, expected 2: $(cat err.txt)"
    grep -qF 'inputs are "-", standard input, which can be read only once' err.txt ||
        fail "lapse $*: $(cat err.txt)"
    [[ ! -e out.csv ]] || fail "lapse $*: wrote out.csv"
}
expect_two_stdin score -q -m - -o out.csv
expect_two_stdin score -q -m - -o out.csv -
expect_two_stdin score -q -m - --logs -o out.csv sim/events.csv.gz -
expect_two_stdin score -q -m lr.model --rules - -o out.csv
expect_two_stdin extract -q --asof 2026-03-01 --events - -o out.csv -
expect_two_stdin campaign eval -q --sends - -o out.csv -
echo ok

# Progress on a terminal: extract, train, score, simulate and report rewrite one
# line on stderr when it is a terminal (script(1) gives them one), and stay
# silent under -q or when stderr is a file.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
command -v script >/dev/null || { echo "script(1) missing: skipped"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Runs lapse with a terminal for stdin/stdout/stderr; the terminal's bytes
# go to $1.
on_terminal() {
    local out=$1; shift
    local cmd
    printf -v cmd '%q ' "$LAPSE_BIN" "$@"
    script -qec "$cmd" /dev/null >"$out"
}

# $1: the transcript; $2: the progress line's start it must (or, with $3 =
# none, must not) hold.
expect() {
    if [ "${3:-}" = none ]; then
        ! grep -qF $'\r'"lapse: $2" "$1" || fail "$1 shows progress under -q: $(cat -A "$1")"
    else
        grep -qF $'\r'"lapse: $2" "$1" || fail "$1 has no \"$2\" progress: $(cat -A "$1")"
    fi
}

on_terminal sim.txt simulate --seed 5 --users 3000 --days 90 -o sim
expect sim.txt "simulated "
grep -qF " of 3000 users (" sim.txt || fail "simulate progress lacks the total: $(cat -A sim.txt)"
on_terminal simq.txt simulate -q --seed 5 --users 3000 --days 90 -o simq
expect simq.txt "simulated " none

on_terminal extract.txt extract --asof 2026-03-01 -o t.csv sim/events.csv.gz
expect extract.txt "read "
grep -qF " MB/s" extract.txt || fail "extract progress lacks the rate: $(cat -A extract.txt)"
on_terminal extractq.txt extract -q --asof 2026-03-01 -o tq.csv sim/events.csv.gz
expect extractq.txt "read " none
cmp t.csv tq.csv || fail "progress changed extract's output"

on_terminal train.txt train --model logistic -o m.model t.csv
expect train.txt "done 1 of 4 steps"
on_terminal trainq.txt train -q --model logistic -o mq.model t.csv
expect trainq.txt "done " none
cmp m.model mq.model || fail "progress changed the model"
on_terminal score.txt score -m m.model -o s.csv t.csv
expect score.txt "scored "
# stderr to a file: no progress, the summary only
"$LAPSE_BIN" score -m m.model -o s2.csv t.csv 2>err.txt
! grep -qF $'\r' err.txt || fail "progress written to a file: $(cat -A err.txt)"
cmp s.csv s2.csv || fail "progress changed score's output"

# report calls back every 65,536 rows: a scored file of 70,000 rows
awk 'NR == 1 || /^user_id,/ { print; next } { row[++n] = $0 }
     END { for (i = 0; i < 70000; i++) print row[i % n + 1] }' s.csv >big.csv
on_terminal report.txt report -o r.html big.csv
expect report.txt "read "
grep -qF "65536 rows (" report.txt || fail "report progress lacks its count: $(cat -A report.txt)"
echo "progress: ok"

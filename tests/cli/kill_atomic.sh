#!/usr/bin/env bash
# SIGKILL at random moments: after each kill the destination is as it was
# (an old file, or absent) or complete (byte-identical to an uninterrupted
# run), never half-written. Temporary files a SIGKILL leaves are allowed
# (nothing can remove them) but never sit at the destination's name.
# Runs: extract, simulate, train and score. The delays come from a fixed
# seed, spread over 1.1 times an uninterrupted run; every third run of each is
# killed instead the moment a temporary output holds bytes, and each command
# must have had at least one kill that left such a file, one that landed
# mid-write.
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
RANDOM=6

now_ms() { date +%s%3N; }

# temp_written: a temporary output beside a destination holds bytes.
temp_written() {
    local f
    for f in ./*.tmp.* sim/*.tmp.*; do [[ -s $f ]] && return 0; done
    return 1
}

# kill_later PID I DELAY_MS: SIGKILL PID after DELAY_MS, or, on every third
# run I, as soon as temp_written (polled without forking). Counts the kills
# that landed mid-write in $mid.
mid=0
kill_later() {
    local pid=$1 i=$2 delay=$3 deadline=$((SECONDS + 30))
    if ((i % 3 == 0)); then
        until temp_written || ! kill -0 "$pid" 2>/dev/null || ((SECONDS > deadline)); do :; done
    else
        sleep "$((delay / 1000)).$(printf %03d $((delay % 1000)))"
    fi
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    kills=$((kills + 1))
    if temp_written; then mid=$((mid + 1)); fi
}

# landed_mid_write WHAT: some kill since the last call landed mid-write.
landed_mid_write() {
    ((mid > 0)) || fail "$1: no kill landed while a temporary output was being written"
    mid_total=$((mid_total + mid))
    mid=0
}
mid_total=0

"$LAPSE_BIN" simulate -q --seed 3 --users 800 --days 70 --snapshots 2026-02-01 -o log
extract=("$LAPSE_BIN" extract -q -@ 2 --asof 2026-02-01 --dormant dormant.csv -o out.csv
         log/events.csv.gz)
start=$(now_ms)
"${extract[@]}" 2>/dev/null
span=$(($(now_ms) - start))
mv out.csv full.csv
mv dormant.csv full_dormant.csv
echo "old" > old.csv

# check_dest DEST FULL: DEST is absent, the old file, or FULL.
check_dest() {
    [[ ! -e $1 ]] || cmp -s "$1" old.csv || cmp -s "$1" "$2" ||
        fail "$1 is half-written after a kill ($(wc -c < "$1") bytes)"
}

kills=0 complete=0 untouched=0
for i in $(seq 1 30); do
    rm -f out.csv dormant.csv ./*.tmp.*
    # Half the runs start with an old destination, half with none.
    if ((i % 2)); then cp old.csv out.csv; cp old.csv dormant.csv; fi
    delay=$((RANDOM % (span * 11 / 10)))
    "${extract[@]}" 2>/dev/null &
    kill_later $! "$i" "$delay"
    check_dest out.csv full.csv
    check_dest dormant.csv full_dormant.csv
    if cmp -s out.csv full.csv; then
        complete=$((complete + 1))
    elif [[ ! -e out.csv ]] || cmp -s out.csv old.csv; then
        untouched=$((untouched + 1))
    fi
done
landed_mid_write extract

# simulate: each of its three files is whole, old or absent.
start=$(now_ms)
"$LAPSE_BIN" simulate -q --seed 9 --users 1000 --days 60 -o ref
sim_span=$(($(now_ms) - start))
for i in $(seq 1 10); do
    rm -rf sim
    mkdir sim
    if ((i % 2)); then for f in events.csv.gz truth.csv truth_snapshots.csv; do cp old.csv "sim/$f"; done; fi
    delay=$((RANDOM % (sim_span * 11 / 10)))
    "$LAPSE_BIN" simulate -q --seed 9 --users 1000 --days 60 -o sim &
    kill_later $! "$i" "$delay"
    for f in events.csv.gz truth.csv truth_snapshots.csv; do
        check_dest "sim/$f" "ref/$f"
    done
done
landed_mid_write simulate

# kill_run N DEST FULL CMD...: N runs of CMD killed at random moments; DEST
# is then absent, the old file, or FULL.
kill_run() {
    local n=$1 dest=$2 full=$3 span start
    shift 3
    start=$(now_ms)
    "$@" -o "$full" 2>/dev/null
    span=$(($(now_ms) - start + 1))
    for i in $(seq 1 "$n"); do
        rm -f "$dest" ./*.tmp.*
        if ((i % 2)); then cp old.csv "$dest"; fi
        delay=$((RANDOM % (span * 11 / 10 + 1)))
        "$@" -o "$dest" 2>/dev/null &
        kill_later $! "$i" "$delay"
        check_dest "$dest" "$full"
    done
    landed_mid_write "$2"
}

# train and score, 15 kills each on a small table.
"$LAPSE_BIN" extract -q --asof 2026-01-20,2026-02-01 -o table.csv log/events.csv.gz 2>/dev/null
kill_run 15 out.model full.model "$LAPSE_BIN" train -q --model svm --seed 2 table.csv
kill_run 15 scored.csv full_scored.csv "$LAPSE_BIN" score -q -m full.model table.csv
echo "ok: $kills kills, $mid_total mid-write; extract: $complete complete, $untouched untouched"

#!/usr/bin/env bash
# The same inputs and seed give byte-identical outputs whatever the thread
# count: simulate with -@ 1/2/5, extract with -@ 1..8 over one gzip
# file, the same log as plain text, sorted by time, and split into files in either order,
# train (-@ 1 and 2) and score (-@ 1 and 3).
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

sim=(simulate -q --seed 5 --users 600 --days 70 --snapshots '2026-02-01,2026-02-08')
"$LAPSE_BIN" "${sim[@]}" -@ 1 -o sim1
for t in 2 5; do
    "$LAPSE_BIN" "${sim[@]}" -@ "$t" -o "sim$t"
    for f in events.csv.gz truth.csv truth_snapshots.csv; do
        cmp -s "sim1/$f" "sim$t/$f" || fail "simulate -@ $t: $f differs from -@ 1"
    done
done
"$LAPSE_BIN" "${sim[@]}" --seed 6 -o other
! cmp -s sim1/events.csv.gz other/events.csv.gz || fail "another seed gave the same log"

log=sim1/events.csv.gz
gzip -dc "$log" > plain.csv
head -1 plain.csv > a.csv && sed -n '2,30000p' plain.csv >> a.csv
head -1 plain.csv > b.csv && sed -n '30001,$p' plain.csv >> b.csv
# Sorted by time, every chunk holds most users: threads add to the same
# partitions at once.
head -1 plain.csv > by_time.csv && tail -n +2 plain.csv | LC_ALL=C sort -t, -k2,2 >> by_time.csv
# same_table A B: the same rows and meta line, but for the warnings, which
# name the input files (the simulated log repeats some rows exactly).
same_table() { cmp -s <(sed '1s/; warnings=.*//' "$1") <(sed '1s/; warnings=.*//' "$2"); }

x=(extract -q --asof '2026-02-01,2026-02-08')
"$LAPSE_BIN" "${x[@]}" -@ 1 --dormant ref_dormant.csv -o ref.csv "$log" 2>/dev/null
"$LAPSE_BIN" "${x[@]}" --format libsvm -@ 1 -o ref.svm "$log" 2>/dev/null
[[ $(wc -l < ref.csv) -gt 100 ]] || fail "the reference table is nearly empty"
for t in 1 2 3 8; do
    for input in "$log" plain.csv by_time.csv "a.csv b.csv" "b.csv a.csv"; do
        # shellcheck disable=SC2086 # two files on purpose
        "$LAPSE_BIN" "${x[@]}" -@ "$t" --dormant dormant.csv -o out.csv $input 2>/dev/null
        same_table out.csv ref.csv || fail "extract -@ $t $input: table differs"
        same_table dormant.csv ref_dormant.csv || fail "extract -@ $t $input: dormant table differs"
    done
    "$LAPSE_BIN" "${x[@]}" --format libsvm -@ "$t" -o out.svm "$log" 2>/dev/null
    cmp -s out.svm ref.svm || fail "extract --format libsvm -@ $t differs"
done

# train: the same table and seed give the same model bytes, run after run
# and with either thread count; another seed gives another svm model.
for kind in svm logistic; do
    "$LAPSE_BIN" train -q --model "$kind" --seed 3 -@ 1 -o "$kind.ref" ref.csv
    for t in 1 2; do
        "$LAPSE_BIN" train -q --model "$kind" --seed 3 -@ "$t" -o "$kind.model" ref.csv
        cmp -s "$kind.model" "$kind.ref" || fail "train --model $kind -@ $t: model differs"
    done
done
"$LAPSE_BIN" train -q --model svm --seed 4 -o other.model ref.csv
! cmp -s other.model svm.ref || fail "train --seed 4 gave the seed-3 model"

# score: -@ 3 writes what -@ 1 writes, in input order and with --top.
for kind in svm logistic; do
    "$LAPSE_BIN" score -q -m "$kind.ref" -@ 1 -o s1.csv ref.csv
    "$LAPSE_BIN" score -q -m "$kind.ref" -@ 3 -o s3.csv ref.csv
    # The scores' '#' line (the table's warnings) stands for its meta line.
    [[ $(grep -vc '^#' s1.csv) == $(wc -l < ref.csv | awk '{print $1 - 1}') ]] ||
        fail "score --model $kind: $(wc -l < s1.csv) lines"
    cmp -s s1.csv s3.csv || fail "score $kind: -@ 3 differs from -@ 1"
    "$LAPSE_BIN" score -q -m "$kind.ref" -@ 1 --top 50 -o s1.csv ref.csv
    "$LAPSE_BIN" score -q -m "$kind.ref" -@ 3 --top 50 -o s3.csv ref.csv
    cmp -s s1.csv s3.csv || fail "score $kind --top 50: -@ 3 differs from -@ 1"
done
echo ok

#!/usr/bin/env bash
# lapse extract end to end: output layout, formats, dormant users, threads,
# exit codes, and that failures leave no output file behind.
set -euo pipefail
. "$(dirname "$0")/common.inc"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"
log="$LAPSE_SOURCE_DIR/tests/data/extract/small.csv"

"$LAPSE_BIN" extract --help | grep -q -- '--asof' || fail "help"
"$LAPSE_BIN" extract --features > features.txt
grep -q '^days_silent ' features.txt || fail "--features lists days_silent"
[ "$(wc -l < features.txt)" -ge 60 ] || fail "--features lists every feature"

"$LAPSE_BIN" extract -q --asof 2026-03-01 --dormant dormant.csv -o out.csv "$log" 2> err.txt
head -1 out.csv | grep -q '^# lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; schema=' || fail "meta line"
sed -n 2p out.csv | grep -q '^user_id,asof,days_silent,tenure_days,.*,label,days_to_churn$' || fail "header"
# a logged in the day before asof, nothing key after: label 1, silent 30 days on day 30 of the
# window; c logged in on 03-03: label 0, no days_to_churn.
[ "$(sed -n 3p out.csv | cut -d, -f1-4)" = "a,2026-03-01,1,9" ] || fail "row a: $(sed -n 3p out.csv)"
[ "$(sed -n 3p out.csv | awk -F, '{print $(NF - 1), $NF}')" = "1 30" ] || fail "label a"
[ "$(sed -n 4p out.csv | awk -F, '{print $1, $(NF - 1), $NF}')" = "c 0 " ] || fail "label c"
[ "$(wc -l < out.csv)" -eq 4 ] || fail "two active rows"
# b went silent 59 days before asof: dormant, empty label.
[ "$(sed -n 3p dormant.csv | cut -d, -f1-3)" = "b,2026-03-01,59" ] || fail "dormant b"
sed -n 3p dormant.csv | grep -q ',$' || fail "dormant rows are unlabelled"
grep -q 'Mystery' err.txt || fail "unknown names are summarised"

# Threads and stdin give the same bytes; so does a gzip copy.
gzip -c "$log" > log.gz
"$LAPSE_BIN" extract -q -@ 3 --asof 2026-03-01 -o out3.csv log.gz
cmp out.csv out3.csv || fail "-@ 3 and gzip differ"
"$LAPSE_BIN" extract -q -@ 0 --asof 2026-03-01 -o out0.csv log.gz
# A label file names its ids as the log does: --col user_id=NAME maps both.
printf 'enrollment_id,ts,event\ne1,2026-02-27,login\ne2,2026-02-27,login\n' > enr.csv
printf 'enrollment_id,label\ne1,1\ne2,0\n' > enr_labels.csv
"$LAPSE_BIN" extract -q --col user_id=enrollment_id --labels enr_labels.csv --asof 2026-03-01 \
    -o enr_out.csv enr.csv
[ "$(tail -n +3 enr_out.csv | awk -F, '{print $1 $(NF - 1) $NF}' | tr '\n' ' ')" = "e11 e20 " ] ||
    fail "labels by the log's id column name: $(cat enr_out.csv)"
cmp out.csv out0.csv || fail "-@ 0 (one thread per CPU) differs"
"$LAPSE_BIN" extract -q --asof 2026-03-01 - < "$log" > out_stdin.csv
cmp out.csv out_stdin.csv || fail "stdin differs"

# libsvm: label then index:value, zeros left out.
"$LAPSE_BIN" extract -q --format libsvm --asof 2026-03-01 -o out.svm "$log"
head -1 out.svm | grep -Eq '^1 1:1 2:9( [0-9]+:[^ ]+)*$' || fail "libsvm row: $(head -1 out.svm)"
# svm-train (libsvm-tools) reads it as it is.
if command -v svm-train >/dev/null; then
    svm-train -q -t 0 out.svm out.svm.model || fail "svm-train refused the libsvm output"
    grep -q '^SV$' out.svm.model || fail "svm-train wrote no model"
fi

# Bad input: exit 1, a located message, no output file.
printf 'user_id,ts,event\nu,2026-01-01,login\nu,2026-02-30,login\n' > bad.csv
expect_error 1 'bad timestamp "2026-02-30" (in bad.csv:3, column 2)' extract -q --asof 2026-03-01 -o bad_out.csv bad.csv
[ ! -e bad_out.csv ] || fail "output left behind"
ls | grep -q '\.tmp\.' && fail "temporary file left behind"

# Horizon past the data: exit 1 naming the last day; --no-labels scores.
expect_error 1 'last event is on 2026-04-15' extract -q --asof 2026-04-01 -o late.csv "$log"
[ ! -e late.csv ] || fail "output left behind"
"$LAPSE_BIN" extract -q --no-labels --asof 2026-04-01 -o late.csv "$log"
[ "$(sed -n 3p late.csv | awk -F, '{print $(NF - 1) $NF}')" = "" ] || fail "no-labels leaves labels empty"

# Truncated gzip: exit 1 with the byte offset.
head -c 60 log.gz > cut.gz
expect_exit 1 extract -q --asof 2026-03-01 cut.gz
grep -q 'truncated gzip stream.*(in cut.gz, byte 60)' err.txt || fail "gzip message: $(cat err.txt)"

# Usage errors: exit 2.
expect_exit 2 extract "$log"
expect_exit 2 extract --asof 2026-03-01 --preset nope "$log"
expect_exit 2 extract --asof 2026-03-01 --col user=uid "$log"

# Presets and keys reach the meta line.
"$LAPSE_BIN" extract -q --preset subscription --no-labels --asof 2026-03-01 -o sub.csv "$log"
head -1 sub.csv | grep -q 'churn=cancel' || fail "subscription preset"
"$LAPSE_BIN" extract -q --key activity,core --silent-days 7 --horizon 10 --asof 2026-03-01 -o k.csv "$log"
head -1 k.csv | grep -q 'key=activity+core; silent_days=7; horizon=10' || fail "key options"
echo ok

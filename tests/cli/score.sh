#!/usr/bin/env bash
# lapse score: the CSV for hand-worked users, stdin and -o, thread-count
# invariance, --top/--sort, options, --logs with dormant users, and refusals
# with exit 1 (data), 2 (usage) and 3 (system). Models and the table come
# from test_score --write-fixtures (the values are worked out in
# tests/test_score.c).
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
writer="${LAPSE_SCORE_WRITER:-$(dirname "$LAPSE_BIN")/tests/test_score}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$writer" --write-fixtures .

header=user_id,asof,p_churn,risk_tier,response,segment,days_silent,value_tier,value_at_risk,reason_1,reason_2,reason_3,trigger,action,label

# The hand-worked users; p_churn cut to 6 digits here (test_score checks it
# to 1e-12).
"$LAPSE_BIN" score -q -m logistic.model table.csv >out.csv
sed -E 's/(,2026-03-01,0\.[0-9]{6})[0-9]*,/\1,/' out.csv >cut.csv
diff -u - cut.csv <<CSV || fail "hand-worked scores differ"
$header
u1,2026-03-01,0.006910,low,,price-sensitive,1,high,0.83,,,,,phone,0
"u,2",2026-03-01,0.769844,high,silent-7d,social-driven,8,medium,0.00,days_since_purchase:high,sessions_7:low,days_silent:high,,community,1
u3,2026-03-01,0.999996,high,silent-14d,social-driven,20,low,0.00,days_since_purchase:high,days_silent:high,sessions_7:low,,community,
CSV

# stdin, '-' and -o give the same bytes.
"$LAPSE_BIN" score -q -m logistic.model <table.csv >stdin.csv
"$LAPSE_BIN" score -q -m logistic.model - <table.csv >dash.csv
"$LAPSE_BIN" score -q -m logistic.model -o file.csv table.csv
cmp out.csv stdin.csv && cmp out.csv dash.csv && cmp out.csv file.csv || fail "stdin / -o differ"

# A bigger table (the three users 2000 times over): any -@, same bytes;
# --fast within 1e-5.
{
    head -n 2 table.csv
    tail -n +3 table.csv >rows.txt
    awk 'NR == FNR { row[NR] = $0; n = NR; next }
         { for (i = 1; i <= n; i++) { r = row[i]; sub(/^[^,]*,|^"[^"]*",/, "", r); print "u" i "x" $1 "," r } }' \
        rows.txt <(seq 2000)
} >big.csv
"$LAPSE_BIN" score -q -m svm.model -@ 1 big.csv >t1.csv
"$LAPSE_BIN" score -q -m svm.model -@ 3 big.csv >t3.csv
cmp t1.csv t3.csv || fail "-@ 1 and -@ 3 differ"
[[ $(wc -l <t1.csv) == 6001 ]] || fail "big table: $(wc -l <t1.csv) lines"
"$LAPSE_BIN" score -q -m svm.model --fast -@ 2 big.csv >fast.csv
paste -d, <(cut -d, -f3 t1.csv) <(cut -d, -f3 fast.csv) | tail -n +2 |
    awk -F, '{ d = $1 - $2; if (d < 0) d = -d; if (d > 1e-5) { print "row " NR ": " $1 " vs " $2; bad = 1 } }
             END { exit bad }' || fail "--fast probabilities off by more than 1e-5"
"$LAPSE_BIN" score -q -m svm.model --no-reasons big.csv | tail -n +2 | cut -d, -f10-12 | sort -u |
    grep -qx ',,' || fail "--no-reasons left reasons"

# --top and --sort.
"$LAPSE_BIN" score -q -m logistic.model --top 2 table.csv | cut -d, -f1 >top.txt
printf 'user_id\nu3\n"u\n' | diff -u - top.txt || fail "--top 2"
"$LAPSE_BIN" score -q -m logistic.model --sort value table.csv | cut -d, -f1 >value.txt
printf 'user_id\nu1\n"u\nu3\n' | diff -u - value.txt || fail "--sort value"
"$LAPSE_BIN" score -q -m svm.model --top 5 --sort value big.csv | tail -n +2 | cut -d, -f1 >top5.txt
"$LAPSE_BIN" score -q -m svm.model --sort value big.csv >sorted.csv
sed -n 2,6p sorted.csv | cut -d, -f1 | diff -u - top5.txt || fail "--top 5 is not the head of --sort"

# Options: value rule, stages, rules file.
"$LAPSE_BIN" score -q -m logistic.model --value-rule 5,2,200 --stages 10,30,60 table.csv >opt.csv
grep -q '^u1,.*,medium,.*,coupon,0$' opt.csv || fail "--value-rule: $(cat opt.csv)"
grep -q '^u3,[^,]*,[^,]*,high,warning,' opt.csv || fail "--stages: $(cat opt.csv)"
printf 'segment,value,action\n*,high,phone\nsocial-driven,*,community\n*,*,none\n' >rules.csv
"$LAPSE_BIN" score -q -m logistic.model --rules rules.csv table.csv |
    awk -F, '{ print $1 "," $(NF - 1) "," $NF }' >act.txt
printf 'user_id,action,label\nu1,phone,0\n"u,community,1\nu3,community,\n' | diff -u - act.txt ||
    fail "--rules"

# --logs: extracted with the model's churn definition, dormant users too,
# asof the day after the last event. full.model: f = 0.5 days_silent - 0.3
# sessions_7 - 1, p = 1 / (1 + e^-f): a f = -0.3, p = 0.4256 (medium, x 50
# spent = 21.28); c f = -0.8, p = 0.31 (medium, from 0.3); b is dormant.
cat >log.csv <<'LOG'
user_id,ts,event,amount
a,2026-02-01,login,
a,2026-02-20,purchase,50
a,2026-02-27,login,
b,2026-01-02,login,
b,2026-01-10,purchase,10
c,2026-02-28,login,
LOG
"$LAPSE_BIN" score -m full.model --logs log.csv >logs.csv 2>err.txt
grep -qF 'scored 3 users as of 2026-03-01 (3 with a response level)' err.txt || fail "--logs: $(cat err.txt)"
# The snapshot is 58 days after the log's start: the scores carry the warning.
head -1 logs.csv | grep -q "^# lapse-scores; warnings=snapshot 2026-03-01 is 58 days after" ||
    fail "--logs: no warnings line: $(head -1 logs.csv)"
tail -n +2 logs.csv | cut -d, -f1,2,4,5,7,8,9 >logs.txt
diff -u - logs.txt <<'CSV' || fail "--logs rows"
user_id,asof,risk_tier,response,days_silent,value_tier,value_at_risk
a,2026-03-01,medium,warning,2,medium,21.28
b,2026-03-01,high,silent-14d,58,medium,10.00
c,2026-03-01,medium,warning,1,low,0.00
CSV
"$LAPSE_BIN" score -q -m full.model --logs --asof 2026-02-21 - <log.csv | grep -v '^#' |
    cut -d, -f1,2,7 >asof.txt
printf 'user_id,asof,days_silent\na,2026-02-21,20\nb,2026-02-21,50\n' | diff -u - asof.txt ||
    fail "--logs --asof from stdin"
expect_error 2 "needs an asof date" score -m full.model --logs - <log.csv

# Refusals.
expect_error 1 'feature 2 is "days_since_purchase" in the table but the model expects "tenure_days"' \
    score -m full.model table.csv
expect_error 1 'the model expects' score -m logistic.model --logs log.csv
sed '1s/horizon=30/horizon=14/' table.csv >horizon.csv
expect_error 1 "horizon is 14 days in the table but 30 in the model" score -m logistic.model horizon.csv
expect_error 1 "not a lapse model" score -m table.csv table.csv
expect_error 3 "cannot open" score -m missing.model table.csv
expect_error 3 "missing.csv" score -m logistic.model missing.csv
"$LAPSE_BIN" score -q -m logistic.model -o kept.csv table.csv
expect_error 1 "horizon" score -m logistic.model -o kept.csv horizon.csv
cmp kept.csv file.csv || fail "a failed run changed the -o file"
[[ -z $(ls -A | grep -v -e '\.csv$' -e '\.model$' -e '\.txt$') ]] || fail "temporary files left: $(ls -A)"

# Usage.
expect_error 2 "-m MODEL is required" score table.csv
expect_error 2 "--sort must be risk or value" score -m logistic.model --sort size table.csv
expect_error 2 "--asof goes with --logs" score -m logistic.model --asof 2026-03-01 table.csv
expect_error 2 "--top" score -m logistic.model --top 0 table.csv
expect_error 2 "--value-rule" score -m logistic.model --value-rule 30,2 table.csv
expect_error 2 "--stages" score -m logistic.model --stages 7,3,14 table.csv
expect_error 2 "one feature table" score -m logistic.model table.csv table.csv
expect_error 2 "unrecognized option '--frob'" score -m logistic.model --frob table.csv
"$LAPSE_BIN" score --help | grep -q '^usage: lapse score -m MODEL' || fail "score --help"
echo ok

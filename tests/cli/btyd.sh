#!/usr/bin/env bash
# BTYD models end to end: a purchase log written from the CDNOW summary's
# figures goes through lapse extract, and the BG/NBD fit on the table
# reproduces the published estimates (Fader, Hardie and Lee 2005: r 0.243,
# alpha 4.414, a 0.793, b 2.426, log-likelihood -9582.4) to 3 decimals, as
# the fit on the summary table itself does; then model show, score, and the
# refusals of tables no purchase history gives.
set -euo pipefail

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
: "${LAPSE_SOURCE_DIR:?LAPSE_SOURCE_DIR must point at the source tree}"
data="$LAPSE_SOURCE_DIR/tests/data/btyd"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

# The log: customer ID bought first on day 272 - T*7 of 1997 (day 0 is
# 1997-01-01; day 272, 1997-09-30, is the last before the 1997-10-01
# snapshot), then on the x - 1 days after it and on day first + t_x*7, each
# time for the customer's mean spend (so spend_per_purchase, which counts
# the first purchase too, is that mean). Times are noon UTC.
awk -F, 'NR > 1 {
    first = 272 - int($4 * 7 + 0.5); last = first + int($3 * 7 + 0.5); x = $2 + 0
    for (k = 0; k <= x; k++)
        printf "c%s,%d,purchase,%s\n", $1,
               852076800 + 43200 + 86400 * (k == x ? last : first + k), $5
}' "$data/cdnow_customers_summary_with_transactions.csv" > body.csv
{ echo user_id,ts,event,amount; cat body.csv; } > log.csv
"$LAPSE_BIN" extract -q --preset ecommerce --no-labels --asof 1997-10-01 -o feat.csv \
    --dormant dormant.csv log.csv

# Customer 1: first purchase 1997-01-01, repeat purchases on 2 days, the
# last 213 days after the first, T = 272 days (38.86 weeks).
column() { head -2 feat.csv | tail -1 | tr , '\n' | grep -nx "$1" | cut -d: -f1; }
row=$(grep -h '^c1,' feat.csv dormant.csv)
for pair in repeat_purchases=2 t_last_purchase_days=213 age_purchase_days=272; do
    got=$(echo "$row" | cut -d, -f"$(column "${pair%=*}")")
    [[ $got == "${pair#*=}" ]] || fail "customer 1's ${pair%=*} is $got, not ${pair#*=}"
done

# value NAME FILE: the estimate model show prints for a parameter.
value() { awk -v n="$1" '$1 == n { print $2; exit }' "$2"; }
# check FILE NAME WANT DECIMALS: the estimate rounded as the paper prints it.
check() {
    local got
    got=$(printf "%.$4f" "$(value "$2" "$1")")
    [[ $got == "$3" ]] || fail "$1: $2 is $(value "$2" "$1"), which is not $3 to $4 decimals"
}
loglik() { sed -n 's/^log-likelihood \([-0-9.]*\) .*/\1/p' "$1"; }

"$LAPSE_BIN" train -q --model bgnbd --gamma-gamma --time-unit weeks -o log.model feat.csv \
    dormant.csv
"$LAPSE_BIN" train -q --model bgnbd --time-unit weeks -o summary.model \
    "$data/cdnow_customers_summary.csv"
for m in log summary; do
    "$LAPSE_BIN" model show $m.model > $m.txt
    check $m.txt r 0.243 3
    check $m.txt alpha 4.414 3
    check $m.txt a 0.793 3
    check $m.txt b 2.426 3
    [[ $(printf %.1f "$(loglik $m.txt)") == -9582.4 ]] || fail "$m: log-likelihood $(loglik $m.txt)"
done
grep -qx 'BTYD:         BG/NBD, time unit weeks; fitted on 2357 customers' log.txt ||
    fail "model show: $(cat log.txt)"
grep -qE '^  r +0\.24259[0-9]*  SE 0\.01256 +95% interval 0\.2191[0-9]* \.\. 0\.2684' log.txt ||
    fail "model show's r line: $(cat log.txt)"
# Gamma-Gamma through the log: Fader and Hardie's note 025, p 6.25, q 3.74
# (v is 15.448 here; see test_btyd's gammagamma_cdnow).
check log.txt p 6.25 2
check log.txt q 3.74 2
grep -q 'independence check: correlation of frequency and mean spend 0.1139' log.txt ||
    fail "Gamma-Gamma's independence check: $(cat log.txt)"

# Score the summary for 39 weeks and the tables for their churn horizon
# (30 days) by default.
"$LAPSE_BIN" score -q -m summary.model --horizon 39 -o s.csv \
    "$data/cdnow_customers_summary.csv"
[[ $(head -1 s.csv) == user_id,p_alive,expected_purchases,p_churn ]] ||
    fail "header $(head -1 s.csv)"
[[ $(wc -l < s.csv) == 2358 ]] || fail "s.csv has $(wc -l < s.csv) lines"
awk -F, 'NR > 1 && !($2 >= 0 && $2 <= 1 && $3 >= 0 && $4 >= 0 && $4 <= 1) { exit 1 }' s.csv ||
    fail "a probability outside [0, 1] in s.csv"
# Customer 3 (x = 0) is alive for sure and still less likely to buy than
# customer 1 (x = 2, last seen at 30.43 weeks).
awk -F, '$1 == 3 { p3 = $4; alive3 = $2 } $1 == 1 { p1 = $4 }
        END { exit !(alive3 == 1 && p3 > p1) }' s.csv || fail "the one-time buyer's p_churn: $(sed -n 2,4p s.csv)"
"$LAPSE_BIN" score -m log.model -o t.csv dormant.csv 2> err.txt
grep -q 'for a horizon of 4.28571 weeks' err.txt || fail "the default horizon: $(cat err.txt)"
header=user_id,asof,p_alive,expected_purchases,p_churn,expected_spend,clv,label
[[ $(head -1 t.csv) == "$header" ]] ||
    fail "table scores' header $(head -1 t.csv)"
grep -q '^c1,1997-10-01,' t.csv || fail "c1 is not scored: $(head -3 t.csv)"
"$LAPSE_BIN" eval s.csv 2> /dev/null && fail "eval took scores without labels"

# Pareto/NBD on the summary: Fader and Hardie's note 009 (r 0.55, alpha
# 10.58, s 0.61, beta 11.67).
"$LAPSE_BIN" train -q --model pareto-nbd --time-unit weeks -o pareto.model \
    "$data/cdnow_customers_summary.csv"
"$LAPSE_BIN" model show pareto.model > pareto.txt
check pareto.txt r 0.55 2
check pareto.txt s 0.61 2

# Rows no purchase history gives, named by user and snapshot; a table
# without purchase columns.
expect() {
    local code=$1 text=$2 got=0
    shift 2
    "$LAPSE_BIN" "$@" > out.txt 2> err.txt || got=$?
    [[ $got == "$code" ]] || fail "lapse $* exited $got, expected $code; stderr: $(cat err.txt)"
    grep -qF -- "$text" err.txt || fail "lapse $* : stderr lacks \"$text\": $(cat err.txt)"
}
t_last=$(column t_last_purchase_days)
awk -F, -v OFS=, -v c="$t_last" '$1 == "c1" { $c = 300 } 1' dormant.csv > late.csv
expect 1 'user "c1" at 1997-10-01: recency (t_last_purchase_days) after age (age_purchase_days)' \
    train -q --model bgnbd -o x.model late.csv
awk -F, -v OFS=, -v c="$t_last" '$1 == "c1" { $c = -1 } 1' dormant.csv > negative.csv
expect 1 'user "c1" at 1997-10-01: a negative purchase count, recency or age' \
    score -q -m log.model -o x.csv negative.csv
expect 2 'a BTYD model scores a feature table or a summary' score -q -m log.model --top 5 feat.csv
[[ ! -e x.model && ! -e x.csv ]] || fail "a failed run left its output"

# lapse simulate --btyd: a log from planted parameters that the fit
# recovers (each estimate within 3 standard errors; bench/btyd_coverage.sh
# measures the intervals' coverage over many seeds), and its refusals.
"$LAPSE_BIN" simulate -q --btyd 0.243,4.414,0.793,2.426,6.25,3.74,15.44 --users 3000 --seed 4 \
    -o sim
[[ $(head -1 sim/truth.csv) == user_id,asof,horizon,lambda,p_dropout,alive,p_true,p_model,label ]] ||
    fail "truth header $(head -1 sim/truth.csv)"
"$LAPSE_BIN" extract -q --key purchase --silent-days 3650 --asof 2026-10-01 -o simfeat.csv \
    sim/events.csv
"$LAPSE_BIN" train -q --model bgnbd --gamma-gamma --time-unit weeks -o sim.model simfeat.csv
"$LAPSE_BIN" model show sim.model > sim.txt
awk '$1 == "r" { d = $2 - 0.243 } $1 == "alpha" { d = $2 - 4.414 } $1 == "a" { d = $2 - 0.793 }
     $1 == "b" { d = $2 - 2.426 } /^  (r|alpha|a|b) / { if (d * d > 9 * $4 * $4) bad = bad " " $1 }
     END { if (bad) { print "outside 3 SE:" bad; exit 1 } }' sim.txt || fail "$(cat sim.txt)"
# Every user bought before the snapshot and is labelled: the labels are truth.csv's.
"$LAPSE_BIN" score -q -m sim.model -o simscores.csv simfeat.csv
cmp -s <(tail -n +2 simscores.csv | cut -d, -f1,8 | sort) \
    <(tail -n +2 sim/truth.csv | cut -d, -f1,9 | sort) || fail "labels differ from the truth"
expect 2 '--btyd needs 4 numbers (r,alpha,a,b) or 7 (and p,q,v)' simulate --btyd 1,2,3 -o x
expect 2 '--mix does not go with --btyd' simulate --btyd 1,2,3,4 --mix price=1 -o x
expect 2 '--cohort-days and --time-unit go with --btyd' simulate --cohort-days 30 -o x
[[ ! -e x ]] || fail "a refused simulate made its folder"

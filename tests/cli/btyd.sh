#!/usr/bin/env bash
# BTYD models end to end: CDNOW's real purchase log (the 1/10 sample, as
# lifetimes ships it) goes through lapse extract, which gives the published
# summary's x, t_x and T for every customer, and the BG/NBD fit on the table
# reproduces the published estimates (Fader, Hardie and Lee 2005: r 0.243,
# alpha 4.414, a 0.793, b 2.426, log-likelihood -9582.4) to 3 decimals, as
# do the fit on the summary table itself and on a log written from the
# summary's figures; x counts purchase days, so purchases on one day count
# once however they are split over files, threads and partial files; then
# model show, score, and the refusals of tables no purchase history gives.
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
: "${LAPSE_SOURCE_DIR:?LAPSE_SOURCE_DIR must point at the source tree}"
data="$LAPSE_SOURCE_DIR/tests/data/btyd"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

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

# The real log: CDNOW_sample.txt (tests/data/btyd/SOURCE.md), blank-separated,
# without a header: the CDNOW master id, the sample's id (the summary's ID),
# the date, the quantity and the amount. 80 of its customers bought twice on
# one day before the snapshot: counted by event, their x would be too large.
{ echo 'master_id user_id date quantity amount'; cat "$data/CDNOW_sample.txt"; } > sample.txt
"$LAPSE_BIN" extract -q --preset ecommerce --no-labels --delim ' ' --event purchase --col ts=date \
    --asof 1997-10-01 -o sfeat.csv --dormant sdormant.csv sample.txt
# The summary's x, t_x and T (weeks, 2 decimals) for each of its 2,357
# customers, from the table's repeat_purchases, t_last_purchase_days and
# age_purchase_days (days).
cat sfeat.csv sdormant.csv | grep -v '^#' | awk -F, \
    -v x="$(column repeat_purchases)" -v t="$(column t_last_purchase_days)" \
    -v T="$(column age_purchase_days)" -v p="$(column purchases_total)" '
    $1 != "user_id" { printf "%d,%d,%.2f,%.2f\n", $1, $x, $t / 7, $T / 7; same += ($p - 1 > $x) }
    END { print same > "same_day.txt" }' | sort -t, -k1,1n > got.csv
tail -n +2 "$data/cdnow_customers_summary.csv" |
    awk -F, '{ printf "%d,%d,%.2f,%.2f\n", $1, $2, $3, $4 }' | sort -t, -k1,1n > want.csv
[[ $(wc -l < want.csv) == 2357 ]] || fail "the summary has $(wc -l < want.csv) customers"
diff want.csv got.csv > summary.diff || fail "x, t_x, T differ from the summary: $(head summary.diff)"
[[ $(cat same_day.txt) == 80 ]] || fail "$(cat same_day.txt) customers bought twice on a day, not 80"

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
"$LAPSE_BIN" train -q --model bgnbd --time-unit weeks -o sample.model sfeat.csv sdormant.csv
for m in log summary sample; do
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
t_last=$(column t_last_purchase_days)
awk -F, -v OFS=, -v c="$t_last" '$1 == "c1" { $c = 300 } 1' dormant.csv > late.csv
expect_error 1 'user "c1" at 1997-10-01: recency (t_last_purchase_days) after age (age_purchase_days)' \
    train -q --model bgnbd -o x.model late.csv
awk -F, -v OFS=, -v c="$t_last" '$1 == "c1" { $c = -1 } 1' dormant.csv > negative.csv
expect_error 1 'user "c1" at 1997-10-01: a negative purchase count, recency or age' \
    score -q -m log.model -o x.csv negative.csv
expect_error 2 'a BTYD model scores a feature table or a summary' score -q -m log.model --top 5 feat.csv
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
expect_error 2 '--btyd needs 4 numbers (r,alpha,a,b) or 7 (and p,q,v)' simulate --btyd 1,2,3 -o x
expect_error 2 '--mix does not go with --btyd' simulate --btyd 1,2,3,4 --mix price=1 -o x
expect_error 2 '--cohort-days and --time-unit go with --btyd' simulate --cohort-days 30 -o x
[[ ! -e x ]] || fail "a refused simulate made its folder"

# Purchases on one day count once in repeat_purchases, whichever file,
# thread or partial file they come in: u1 buys twice on March 1 (once in
# each file), twice on March 5, and on March 12, between the snapshots.
printf 'user_id,ts,event,amount\nu1,2024-03-01T09:00:00Z,purchase,5\nu1,2024-03-05T10:00:00Z,purchase,3\nu2,2024-03-02T12:00:00Z,purchase,4\n' > a.csv
printf 'user_id,ts,event,amount\nu1,2024-03-01T18:00:00Z,purchase,2\nu1,2024-03-05T11:00:00Z,purchase,1\nu1,2024-03-08T08:00:00Z,login,\nu1,2024-03-12T08:00:00Z,purchase,6\n' > b.csv
days=(-q --preset ecommerce --no-labels --asof 2024-03-10,2024-03-20)
"$LAPSE_BIN" extract "${days[@]}" -@ 1 -o one.csv a.csv b.csv
"$LAPSE_BIN" extract "${days[@]}" -@ 2 -o two.csv a.csv b.csv
cmp -s one.csv two.csv || fail "two threads gave other bytes than one"
"$LAPSE_BIN" extract "${days[@]}" --partial --buckets 2 -o maps/a a.csv
"$LAPSE_BIN" extract "${days[@]}" --partial --buckets 2 -o maps/b b.csv
"$LAPSE_BIN" extract -q --merge -o merged.csv maps/*/*
cmp -s one.csv merged.csv || fail "the merge of two maps differs from one extract"
got=$(grep '^u1,' one.csv | cut -d, -f1,2,"$(column purchases_total)","$(column repeat_purchases)")
[[ $got == $'u1,2024-03-10,4,1\nu1,2024-03-20,5,2' ]] || fail "u1's purchases and repeat days: $got"
# A partial file of format 1 has no purchase days: refused, not merged.
old=$(ls maps/a/* | head -1)
cp "$old" v1.partial
printf '\001' | dd of=v1.partial bs=1 seek=8 conv=notrunc 2> /dev/null
expect_error 1 'partial state format 1; this lapse reads format 2 only' extract --merge -o x.csv v1.partial
[[ ! -e x.csv ]] || fail "a refused merge wrote its table"

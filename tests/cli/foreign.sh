#!/usr/bin/env bash
# Scoring a table of your own (datasets/README.md, "Your own table") with a
# model over its encoding (test_foreign --write-fixtures: own.model, trained
# columns customer, spend, plan and label churned): columns matched by name
# in any order, the label optional, asof empty; a column too many or too
# few, a lapse feature table, or event logs are refused, naming what; model
# show lists what each column became.
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
writer="${LAPSE_FOREIGN_WRITER:-$(dirname "$LAPSE_BIN")/tests/test_foreign}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$writer" --write-fixtures . || fail "cannot write the fixtures"

# expect_refused CODE MESSAGE ARGS...: expect_error, and no out.csv written.
expect_refused() {
    expect_error "$@"
    [ ! -e out.csv ] || fail "lapse ${*:3}: left out.csv behind"
}

# The training table scores, with its labels.
"$LAPSE_BIN" score -q -m own.model -o all.csv own.csv
[ "$(wc -l < all.csv)" -eq 11 ] || fail "own.csv: $(wc -l < all.csv) lines"
grep -q '^c2,,[0-9.e-]*,[a-z]*,' all.csv || fail "row c2: $(grep '^c2,' all.csv)"
# c6 is unlabelled.
labels() { awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "label") c = i; next }
                     { printf "%s ", $c }' "$1"; }
[ "$(labels all.csv)" = "0 1 0 1 0  1 0 1 0 " ] || fail "labels: $(labels all.csv)"

# Columns in another order, no label, an unseen plan: the same scores for the same rows.
printf 'plan,spend,customer\nbasic,10,c1\npro,,c2\nenterprise,5,z9\n' > now.csv
"$LAPSE_BIN" score -m own.model -o now_scored.csv now.csv 2> now.err
for id in c1 c2; do
    [ "$(grep "^$id," now_scored.csv | cut -d, -f1-4)" = "$(grep "^$id," all.csv | cut -d, -f1-4)" ] ||
        fail "$id scored differently with the columns reordered"
done
grep -q '^z9,,' now_scored.csv || fail "z9 not scored"
grep -qF '1 rows have a value in column "plan" that training never saw' now.err ||
    fail "no warning for the unseen plan: $(cat now.err)"

printf 'plan,spend,customer,region\nbasic,10,c1,eu\n' > extra.csv
expect_refused 1 'column "region" is not one the model was trained on: remove it (in extra.csv:1, column 4)' \
    score -q -m own.model -o out.csv extra.csv
printf 'plan,customer\nbasic,c1\n' > missing.csv
expect_refused 1 'the table lacks column "spend", which the model was trained on (in missing.csv:1)' \
    score -q -m own.model -o out.csv missing.csv
printf '# lapse-features 1; key=activity; silent_days=30; horizon=30; churn=silence; schema=0000000000000000\nuser_id,asof,x,label\n' > lapse_table.csv
expect_refused 1 'this is a feature table from lapse extract, but the model was trained on a table of your own' \
    score -q -m own.model -o out.csv lapse_table.csv
printf 'user_id,ts,event\nu1,2026-01-01,login\n' > log.csv
expect_refused 1 'the model was trained on a table of your own: it scores such a table, not event logs' \
    score -q -m own.model --logs -o out.csv log.csv

"$LAPSE_BIN" model show own.model > show.txt
for line in 'table:        a CSV of your own: label column "churned", id column "customer"' \
            'columns:      2: 1 numbers, 1 text (one-hot), 0 dropped' \
            'spend                    number; empty cells: median 60, flagged in spend_missing' \
            'plan                     text, 3 levels; empty cells flagged in plan_missing'; do
    grep -qF -- "$line" show.txt || fail "model show lacks \"$line\": $(cat show.txt)"
done
# End to end from a CSV alone: 600 customers whose churn follows spend and
# plan. Train holds out 20% of them (one snapshot: users:0.2), finds no
# profile column (no segments, every user "none"), and score applies the
# rules' '*' actions.
awk 'BEGIN { srand(7); print "customer,plan,spend,tickets,churned";
    for (i = 1; i <= 600; i++) {
        spend = int(rand() * 200); plan = (rand() < 0.5) ? "basic" : "pro"; t = int(rand() * 5);
        p = 1 / (1 + exp(0.03 * spend - 2 + (plan == "pro") - 0.4 * t));
        printf "c%d,%s,%s,%d,%d\n", i, plan, (i % 17 ? spend : ""), t, rand() < p }
}' > customers.csv
"$LAPSE_BIN" train --model logistic --label churned --id customer -o e2e.model customers.csv 2> e2e.err
grep -qE 'validation: 1[0-9]{2} rows of 1[0-9]{2} users, a seeded 20% of users held out \(users:0.2\)' e2e.err ||
    fail "train did not hold out 20% of users: $(cat e2e.err)"
grep -qF 'no segments' e2e.err || fail "train does not say there are no segments"
"$LAPSE_BIN" model show e2e.model | grep -q '^segments: *none' || fail "model show: $("$LAPSE_BIN" model show e2e.model | grep -i segment)"
"$LAPSE_BIN" score -q -m e2e.model -o e2e.csv customers.csv
[ "$(tail -n +2 e2e.csv | cut -d, -f6 | sort -u)" = none ] || fail "a segment other than none"
[ "$(tail -n +2 e2e.csv | wc -l)" -eq 600 ] || fail "not every customer scored"
"$LAPSE_BIN" eval e2e.csv 2>&1 | grep -q 'AUC-ROC' || fail "eval of the scores"
# "NA" (and pandas' other missing-value markers) is a missing cell, not text:
# the number column stays a number column with a _missing flag.
sed 's/^\(c[0-9]*1\),[^,]*,/\1,NA,/' customers.csv > customers_na.csv
grep -q ',NA,' customers_na.csv || fail "no NA cell made"
"$LAPSE_BIN" train -q --model logistic --label churned --id customer -o na.model customers_na.csv 2>/dev/null
"$LAPSE_BIN" model show na.model | grep -q 'spend  *number; empty cells: median' ||
    fail "NA turned spend into text: $("$LAPSE_BIN" model show na.model | grep spend)"
echo "ok: scoring a table of your own"

#!/usr/bin/env bash
# Money in logs (issue 12): refunds (negative amounts) and amounts computed as
# qty x price, in CSV and JSON lines; extract's refusal of a log without key
# events names its most frequent event names.
set -euo pipefail
. "$(dirname "$0")/common.inc"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

# The value of feature $2 in the first row of table $1.
value() { awk -F, -v f="$2" 'NR == 2 { for (i = 1; i <= NF; i++) if ($i == f) c = i } NR == 3 { print $c }' "$1"; }

# u bought for 100 and 50, then got 30 back: spend net of the refund, which is
# counted; the refund row is no purchase. A cancel with a prorated refund of 5
# stays a cancel and takes spend back too.
cat > refunds.csv <<'CSV'
user_id,ts,event,amount
u,2026-02-01,login,
u,2026-02-01,purchase,100
u,2026-02-10,purchase,50
u,2026-02-20,purchase,-30
u,2026-02-25,cancel,-5
CSV
"$LAPSE_BIN" extract --no-labels --asof 2026-03-01 -o out.csv refunds.csv 2> err.txt
grep -q '2 refunds (negative amounts): spend is net of them' err.txt || fail "summary: $(cat err.txt)"
[ "$(value out.csv spend_90)" = 115 ] || fail "spend_90 net of refunds: $(value out.csv spend_90)"
[ "$(value out.csv spend_total)" = 115 ] || fail "spend_total: $(value out.csv spend_total)"
[ "$(value out.csv refunds_90)" = 2 ] || fail "refunds_90: $(value out.csv refunds_90)"
[ "$(value out.csv refund_amount_90)" = 35 ] || fail "refund_amount_90: $(value out.csv refund_amount_90)"
[ "$(value out.csv purchases_total)" = 2 ] || fail "a refund is no purchase: $(value out.csv purchases_total)"
[ "$(value out.csv events_cancel_90)" = 1 ] || fail "a refunded cancel stays a cancel"
[ "$(value out.csv events_other_90)" = 1 ] || fail "a purchase's refund counts as other"
# A refund of a purchase before the window: spend in the window stays at 0.
printf 'user_id,ts,event,amount\nv,2026-01-01,purchase,80\nv,2026-02-27,purchase,-80\n' > early.csv
"$LAPSE_BIN" extract -q --no-labels --key purchase --silent-days 90 --asof 2026-03-01 -o early_out.csv early.csv
[ "$(value early_out.csv spend_7)" = 0 ] || fail "net spend is at least 0"
[ "$(value early_out.csv refund_amount_90)" = 80 ] || fail "refund_amount_90 of an early purchase"

# qty x price, from CSV columns (--amount-expr or --col) and JSON keys.
cat > tx.csv <<'CSV'
customer,when,quantity,unit_price,amount
c1,2026-02-01,3,2.5,999
c1,2026-02-02,-1,2.5,999
c1,2026-02-03,,2.5,999
CSV
"$LAPSE_BIN" extract -q --no-labels --event purchase --col user_id=customer,ts=when \
    --amount-expr 'quantity*unit_price' --key purchase --asof 2026-03-01 -o tx_out.csv tx.csv
[ "$(value tx_out.csv spend_90)" = 5 ] || fail "qty x price, less the returned item: $(value tx_out.csv spend_90)"
[ "$(value tx_out.csv refunds_90)" = 1 ] || fail "a negative quantity is a refund"
"$LAPSE_BIN" extract -q --no-labels --event purchase \
    --col user_id=customer,ts=when,qty=quantity,price=unit_price --key purchase \
    --asof 2026-03-01 -o tx_col.csv tx.csv
cmp tx_out.csv tx_col.csv || fail "--col qty=,price= and --amount-expr differ"
cat > tx.jsonl <<'JSON'
{"userId":"c1","timestamp":"2026-02-01","event":"purchase","item":{"qty":3,"price":2.5}}
{"userId":"c1","timestamp":"2026-02-02","event":"purchase","item":{"qty":-1,"price":"2.5"}}
{"userId":"c1","timestamp":"2026-02-03","event":"purchase","item":{"price":2.5}}
JSON
"$LAPSE_BIN" extract -q --no-labels --amount-expr 'item.qty*item.price' --key purchase \
    --asof 2026-03-01 -o tx_json.csv tx.jsonl
[ "$(value tx_json.csv spend_90)" = 5 ] || fail "JSON qty x price: $(value tx_json.csv spend_90)"
"$LAPSE_BIN" inspect --amount-expr 'quantity*unit_price' --event purchase \
    --col user_id=customer,ts=when tx.csv > inspect.txt
grep -q 'qty=quantity price=unit_price' inspect.txt || fail "inspect shows the product's columns"

# Bad expressions and contradictions are usage errors; a missing column is a data error.
for expr in 'qty' 'qty*' '*price' 'a*b*c'; do
  expect_error 2 'needs COLUMN*COLUMN' extract -q --asof 2026-03-01 --amount-expr "$expr" -o x.csv tx.csv
done
expect_error 2 'not both' extract -q --asof 2026-03-01 --amount-expr 'a*b' --col amount=x -o x.csv tx.csv
expect_error 2 'needs price too' extract -q --asof 2026-03-01 --col qty=quantity -o x.csv tx.csv
expect_error 1 'no column "n" in the header' extract -q --no-labels --event purchase \
    --col user_id=customer,ts=when --amount-expr 'n*unit_price' --asof 2026-03-01 -o x.csv tx.csv
[ ! -e x.csv ] || fail "no output after an error"

# No key event: the refusal lists the most frequent names, most first, with rows.
{ echo user_id,ts,event; for i in 1 2 3; do echo "u$i,2026-02-01,tap"; done
  echo u1,2026-02-01,zoom; echo u2,2026-02-01,zoom; echo u1,2026-02-02,AppOpen; } > nokey.csv
expect_exit 1 extract -q -@ 2 --no-labels --asof 2026-03-01 -o x.csv nokey.csv
grep -q 'most frequent event names: "tap" (3 rows), "zoom" (2 rows), "AppOpen" (1 row)' err.txt \
  || fail "most frequent names: $(cat err.txt)"
grep -q "lapse inspect -o map.csv" err.txt || fail "the refusal points to inspect"
# score --logs takes --amount-expr as extract does: the same users, the same
# value at risk as scoring extract's table.
cat > qp.csv <<'CSV'
user_id,ts,event,qty,price
u1,2026-02-20,login,,
u1,2026-02-21,purchase,2,40
u2,2026-02-25,login,,
u2,2026-02-26,purchase,-1,10
CSV
model="$LAPSE_SOURCE_DIR/models/default.model"
"$LAPSE_BIN" extract -q --no-labels --amount-expr 'qty*price' --asof 2026-03-01 -o qp_table.csv qp.csv
"$LAPSE_BIN" score -q -m "$model" -o qp_table_scores.csv qp_table.csv
"$LAPSE_BIN" score -q -m "$model" --logs --amount-expr 'qty*price' --asof 2026-03-01 -o qp_logs_scores.csv qp.csv
cmp <(grep -v '^#' qp_table_scores.csv) <(grep -v '^#' qp_logs_scores.csv) ||
    fail "score --logs --amount-expr differs from extract then score"
[ "$(grep '^u1,' qp_logs_scores.csv | cut -d, -f9)" != "0.00" ] || fail "u1's 80 spent is not at risk"
echo ok

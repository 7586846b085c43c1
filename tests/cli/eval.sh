# lapse eval on a scored file worked out by hand, and refused inputs with
# file:line and column.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Five labelled rows and one without a label (skipped). By hand:
#   AUC: churners 0.9 and 0.7 against 0.8, 0.2, 0.1: 3 + 2 of 6 pairs = 0.8333
#   its DeLong standard error: each churner's share of beaten others, 1 and
#   2/3 (sample variance 1/18), each other's share of churners above it, 1/2,
#   1 and 1 (sample variance 1/12): sqrt(1/18 / 2 + 1/12 / 3) = 0.2357
#   PR-AUC: 0.5 * 1 + 0.5 * 2/3 = 0.8333
#   log loss: -(ln .9 + ln .2 + ln .7 + ln .8 + ln .9) / 5 = 0.4800
#   Brier: (.01 + .64 + .09 + .04 + .01) / 5 = 0.1580
#   ECE: one row per bin, (.1 + .8 + .3 + .2 + .1) / 5 = 0.3000
#   at 0.5: TP 2 (0.9, 0.7), FP 1 (0.8), TN 2, FN 0
cat >scored.csv <<'CSV'
user_id,asof,p_churn,label
a,2026-05-31,0.9,1
b,2026-05-31,0.8,0
c,2026-05-31,0.7,1
d,2026-05-31,0.2,0
e,2026-05-31,0.1,0
f,2026-05-31,0.6,
CSV
"$LAPSE_BIN" eval scored.csv >out.txt
grep -qx "rows:      5, 2 churners (40.00%)" out.txt || fail "rows: $(cat out.txt)"
grep -qx "AUC-ROC:   0.8333 (standard error 0.2357, DeLong)" out.txt || fail "AUC: $(cat out.txt)"
grep -qx "PR-AUC:    0.8333" out.txt || fail "PR-AUC"
grep -qx "log loss:  0.4800" out.txt || fail "log loss"
grep -qx "Brier:     0.1580" out.txt || fail "Brier"
grep -qx "ECE:       0.3000" out.txt || fail "ECE"
grep -qE "^  predicted churn +2 +1$" out.txt || fail "confusion row 1: $(cat out.txt)"
grep -qE "^  predicted stay +0 +2$" out.txt || fail "confusion row 2"
grep -qE "^  0.9-1.0 +1 +90.00% +100.00%$" out.txt || fail "calibration bin 10"
# The same file gzipped and from stdin.
gzip -c scored.csv >scored.csv.gz
"$LAPSE_BIN" eval scored.csv.gz | cmp - out.txt || fail "gzip input"
"$LAPSE_BIN" eval - <scored.csv | cmp - out.txt || fail "stdin"

expect_data() { expect_error 1 "$1" eval "${@:2}"; }
printf 'user_id,p_churn,label\na,0.5,1\nb,high,0\n' >bad.csv
expect_data "(in bad.csv:3, column 2)" bad.csv
printf 'user_id,score,label\na,0.5,1\n' >nocol.csv
expect_data "no p_churn column" nocol.csv
printf 'user_id,p_churn,label\na,0.5,\n' >nolabel.csv
expect_data "no labelled rows" nolabel.csv
printf 'user_id,p_churn,label\na,0.5,1\nb,0.4,1\n' >oneclass.csv
expect_data "evaluation needs both churners and non-churners (2 of 2 rows churn)" oneclass.csv
expect_exit 3 eval no_such_file.csv
echo ok

#!/usr/bin/env bash
# lapse bench measures the scorer beside the plain tool's decision on the
# same rows, and says how far apart the two decisions are, which is
# within rounding (blocked sums against one DGEMV; libsvm's kernel sums).
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
py=/usr/bin/python3

"$LAPSE_BIN" simulate -q --seed 6 --users 300 --days 120 -o sim
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-03-20 -o table.csv sim/events.csv.gz 2>/dev/null
"$LAPSE_BIN" train -q --model logistic -o lr.model table.csv 2>/dev/null
"$LAPSE_BIN" train -q --model svm --max-train 200 -o svm.model table.csv 2>/dev/null

"$LAPSE_BIN" bench -m lr.model --rows 500 -@ 1,2 --reps 2 > lr.txt
grep -q '^lapse bench: logistic model, [0-9]* features; 500 rows synthesised, 2 repetitions$' lr.txt ||
    fail "header: $(head -1 lr.txt)"
grep -q '^2 ' lr.txt || fail "no line for 2 threads"
diff=$(sed -n 's/^decisions: largest |lapse - reference| \(.*\) over 500 rows$/\1/p' lr.txt)
awk -v d="$diff" 'BEGIN { exit !(d != "" && d + 0 < 1e-9) }' || fail "logistic decisions differ: $(tail -1 lr.txt)"

"$LAPSE_BIN" bench -m svm.model --json table.csv 2>/dev/null > svm.json
"$py" - svm.json "$(($(wc -l < table.csv) - 2))" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["format"] == "lapse-bench" and r["version"] == 1 and r["kind"] == "svm", r
assert r["rows"] == int(sys.argv[2]) and r["rows_from"] == "table.csv", r
assert r["reference"]["what"].startswith("libsvm"), r["reference"]
assert r["scorer"][0]["rows_per_second"]["median"] > 0
assert r["max_decision_difference"] < 1e-9, r["max_decision_difference"]
PY

"$LAPSE_BIN" train -q --model gbdt --trees 20 -o gb.model table.csv 2>/dev/null
# Trees: lapse's own evaluator beside XGBoost's predictor, equal margins;
# with reasons, beside XGBoost's pred_contribs, whose sums are the margins
# up to float rounding.
"$LAPSE_BIN" bench -m gb.model --rows 300 --reps 1 --no-reasons --fast > gb.txt
grep -q "XGBoost's predictor" gb.txt || fail "gbdt reference: $(cat gb.txt)"
grep -q 'largest |lapse - reference| 0 over 300 rows' gb.txt || fail "gbdt decisions differ: $(tail -1 gb.txt)"
grep -q "^lapse's tree evaluator alone, 1 thread (margins), taking turns .*largest |evaluator - reference| 0$" gb.txt ||
    fail "gbdt evaluator: $(cat gb.txt)"
"$LAPSE_BIN" bench -m gb.model --rows 300 --reps 1 --json > gb.json
"$py" - gb.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["reasons"] is True and r["fast"] is False, r
assert "pred_contribs" in r["reference"]["what"], r["reference"]
assert r["max_decision_difference"] < 1e-5, r["max_decision_difference"]
assert r["tree_evaluator"]["max_decision_difference"] < 1e-5, r["tree_evaluator"]
PY

# Usage errors.
expect_error 2 'no model' bench --rows 10
expect_exit 2 bench -m lr.model -@ 1,x
expect_error 2 'go with synthesised rows' bench -m lr.model --rows 10 table.csv
echo "ok: lapse bench"

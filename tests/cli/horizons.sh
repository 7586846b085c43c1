# lapse train --horizons end to end on the simulator, with a logistic and a
# boosted-trees hazard (--model gbdt): score's p_7, p_14, p_30
# never fall and p_30 is p_churn; churn_by is set exactly on the warned rows
# and lies on the silence day (31 - days_since_activity) with churn =
# silence; eval's per-horizon figures, by hand from the scored rows, agree
# with its JSON and CSV; model show --json lists the horizons; the simulator's
# p_true_h is p_true or 0 by the same day; the trees' model file round-trips
# through model export --xgboost's check.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
python=/usr/bin/python3
[ -x "$python" ] || { echo "SKIP: no $python" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$LAPSE_BIN" simulate -q --seed 3 --users 800 --days 200 --horizons 7,14,30 \
    --snapshots 2026-03-02,2026-04-01,2026-05-01,2026-06-01 -o sim
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-04-01,2026-05-01 -o fit.csv sim/events.csv.gz 2>/dev/null
"$LAPSE_BIN" extract -q --asof 2026-06-01 -o later.csv sim/events.csv.gz 2>/dev/null
for model in logistic gbdt; do
mkdir -p "$model" && cd "$model"
"$LAPSE_BIN" train -q --model "$model" --horizons 7,14,30 -o hz.model ../fit.csv 2>/dev/null
"$LAPSE_BIN" score -q -m hz.model -o scored.csv ../later.csv 2>/dev/null
"$LAPSE_BIN" eval --json -o eval.json --csv figures scored.csv >eval.txt
"$LAPSE_BIN" model show --json hz.model >model.json
[ -s figures/horizons.csv ] || fail "$model: eval --csv wrote no horizons.csv"
if [ "$model" = gbdt ]; then
    [ "$(od -An -tu1 -j8 -N1 hz.model | tr -d ' ')" = 5 ] || fail "trees over horizons: format 5"
    "$LAPSE_BIN" model export --xgboost booster.json hz.model || fail "export of the trees"
    grep -q "the band number (0 to 2) a feature of the trees" <("$LAPSE_BIN" model show hz.model) ||
        fail "model show names the band feature"
fi

"$python" - <<'PY' || fail "$model: the checks above"
import csv, json, sys

def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)

def rows(path):
    lines = [l for l in open(path) if not l.startswith("#")]
    return list(csv.DictReader(lines))

table = {(r["user_id"], r["asof"]): r for r in rows("../later.csv")}
scored = rows("scored.csv")
model = json.load(open("model.json"))
check(model["classifier"]["horizons"]["days"] == [7, 14, 30], "model show --json horizons")
check(model["classifier"]["horizons"]["at_risk"] == "silence", "silence: one band at risk")
warning = model["tiers"]["thresholds"][1]  # the lower bound of "high"
check(len(scored) > 200 and len(truth := rows("../sim/truth_snapshots.csv")) > 1000, "rows to check")
check(sum(1 for r in scored if r["churn_by"]) > 20, "some rows warned about")
check(sum(1 for r in truth if float(r["p_true_7"]) > 0) > 20, "some p_true_7 above 0")
for r in scored:
    p = [float(r["p_7"]), float(r["p_14"]), float(r["p_30"])]
    check(p[0] <= p[1] <= p[2], "p_7 <= p_14 <= p_30 on " + r["user_id"])
    check(r["p_30"] == r["p_churn"], "p_30 is p_churn")
    day = min(30, 31 - int(float(table[(r["user_id"], r["asof"])]["days_since_activity"])))
    check(bool(r["churn_by"]) == (p[2] >= warning), "churn_by set exactly on the warned rows")
    check(not r["churn_by"] or int(r["churn_by"]) == day, "churn_by is the silence day")
    check(r["days_to_churn"] == table[(r["user_id"], r["asof"])]["days_to_churn"],
          "days_to_churn copied from the table")

doc = json.load(open("eval.json"))
h = doc["horizons"]
check(doc["version"] == 2 and h is not None, "eval --json has horizons")
labelled = [r for r in scored if r["label"] != ""]
for e, line in zip(h["by_horizon"], rows("figures/horizons.csv")):
    d = e["days"]
    churners = sum(1 for r in labelled if r["days_to_churn"] and int(r["days_to_churn"]) <= d)
    check(e["churners"] == churners == int(line["churners"]), f"churners within {d}")
    check(e["rows"] == len(labelled), "every labelled row counts")
    check(abs(float(line["auc"]) - e["auc"]) < 1e-15, "CSV and JSON agree")
text = open("eval.txt").read()
check(f"{h['concordance']:.4f} over {h['pairs']} pairs" in text, "the text report's concordance")

for r in truth:
    for k in (7, 14):
        q = float(r[f"p_true_{k}"])
        check(q == 0 or q == float(r["p_true"]), "p_true_h is p_true or 0")
    check(r["p_true_30"] == r["p_true"], "p_true_30 is p_true at the label horizon")
PY
cd ..
done
echo "ok"

#!/usr/bin/env bash
# lapse train --with-btyd end to end on the simulator: the stacked BTYD fit
# is the one lapse train --model bgnbd makes on the training rows alone (the
# latest training snapshot; the held-out one never seen); score's p_churn
# for new rows is what the model file implies with the feature taken from
# lapse score of that BTYD model (the training mean where a row has no
# purchase history); the report compares with the classifier without the
# feature; the model round-trips through model show --json and trains to
# the same bytes twice.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
python=/usr/bin/python3
[ -x "$python" ] || { echo "SKIP: no $python" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

"$LAPSE_BIN" simulate -q --seed 5 --users 1500 --days 200 -o sim
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-04-01,2026-05-01 -o fit.csv sim/events.csv.gz \
    2>/dev/null
"$LAPSE_BIN" extract -q --asof 2026-06-01 -o later.csv sim/events.csv.gz 2>/dev/null

"$LAPSE_BIN" train --model logistic --with-btyd --report report.json -o st.model fit.csv \
    2>train.txt
"$LAPSE_BIN" train -q --model logistic --with-btyd=bgnbd -o again.model fit.csv 2>/dev/null
cmp -s st.model again.model || fail "the same table and options gave other model bytes"
grep -q '^BTYD feature: fitted on [0-9]* training rows at 2026-04-01; ' train.txt ||
    fail "the report does not say the BTYD part was fitted on the training snapshot"
grep -Eq '^  validation AUC with it 0\.[0-9]{4} \(SE 0\.[0-9]{4}\), without it 0\.[0-9]{4} \(SE 0\.[0-9]{4}\): [-+]0\.[0-9]{4}, unpaired SE 0\.[0-9]{4}: (it helped|it hurt|no clear difference)' train.txt ||
    fail "the report does not compare the AUCs: $(grep -i 'auc with' train.txt)"

# The same fit by lapse train --model bgnbd on the training snapshot alone.
{ head -2 fit.csv; grep '^[^,]*,2026-04-01,' fit.csv; } > snap.csv
"$LAPSE_BIN" train -q --model bgnbd -o btyd.model snap.csv 2>/dev/null
"$LAPSE_BIN" score -q -m btyd.model -o btyd.csv later.csv 2>/dev/null
"$LAPSE_BIN" score -q -m st.model -o st.csv later.csv 2>/dev/null
"$LAPSE_BIN" model show --json st.model > st.json
"$LAPSE_BIN" model show --json btyd.model > btyd.json
"$LAPSE_BIN" model show st.model > show.txt
grep -q '^stacked BTYD: feature btyd_p_no_purchase = BG/NBD P(no purchase in 30 days)' show.txt ||
    fail "model show does not describe the stacked feature"

"$python" - <<'PY' || fail "the checks above"
import csv, json, math, sys

def check(cond, what):
    if not cond:
        print("FAIL:", what, file=sys.stderr)
        sys.exit(1)

st, btyd, rep = (json.load(open(f)) for f in ("st.json", "btyd.json", "report.json"))
s = st["stacked_btyd"]
check(s["params"] == btyd["btyd"]["params"] and s["customers"] == btyd["btyd"]["customers"],
      "stacked fit %s differs from the BTYD model's %s" % (s["params"], btyd["btyd"]["params"]))
check(s["horizon_days"] == 30 and s["feature"] == "btyd_p_no_purchase", "stacked %s" % s)
check(rep["model"]["stacked_btyd"] == s, "train --report and model show --json differ")
check(abs(s["validation_auc_without"] - st["training"]["validation_figures"]["auc"]) < 0.2,
      "AUC without %s" % s["validation_auc_without"])
feats = st["features"]
check(feats[-1]["name"] == "btyd_p_no_purchase", "last feature %s" % feats[-1]["name"])

rows = list(csv.reader(open("later.csv")))
header = rows[1]
col = {n: i for i, n in enumerate(header)}
def scores(path):  # past the "# lapse-scores; warnings=" line
    lines = [l for l in open(path) if not l.startswith("#")]
    return {r["user_id"]: float(r["p_churn"]) for r in csv.DictReader(lines)}
p_none, scored = scores("btyd.csv"), scores("st.csv")
cal = st["calibration"]
check(cal["kind"] == "platt", "calibration %s" % cal["kind"])
checked = filled = 0
for r in rows[2:]:
    user = r[0]
    x = [float(r[col[f["name"]]]) for f in feats[:-1]]
    filled += user not in p_none
    x.append(p_none.get(user, s["fill"]))
    f = st["classifier"]["bias"]
    for v, ft in zip(x, feats):
        if ft["dropped"]:  # constant over the training rows: scales to 0
            continue
        t = math.log1p(v) if ft["transform"] == "log1p" else v
        f += ft["weight"] * (t - ft["mean"]) / ft["scale"]
    p = 1 / (1 + math.exp(cal["a"] * f + cal["b"]))
    check(abs(p - scored[user]) < 1e-9, "user %s: p_churn %r, the model implies %r" %
          (user, scored[user], p))
    checked += 1
check(checked == len(scored) and checked > 300 and 0 < filled < checked,
      "%d rows checked of %d scored, %d filled" % (checked, len(scored), filled))
PY

# score --logs computes the feature from the purchases it extracts itself:
# the same p_churn as scoring the extracted table.
"$LAPSE_BIN" extract -q --no-labels --asof 2026-06-01 -o now.csv sim/events.csv.gz 2>/dev/null
"$LAPSE_BIN" score -q -m st.model -o a.csv now.csv 2>/dev/null
"$LAPSE_BIN" score -q -m st.model --logs --asof 2026-06-01 -o b.csv sim/events.csv.gz 2>/dev/null
pairs() { grep -v '^#' "$1" | tail -n +2 | cut -d, -f1,3 | sort; }
n_table=$(pairs a.csv | wc -l)
n_same=$(join -t, <(pairs a.csv) <(pairs b.csv) | awk -F, '$2 == $3' | wc -l)
[[ $n_table -gt 300 && $n_same -eq $n_table ]] ||
    fail "score --logs agrees with the table on $n_same of $n_table users"

# A table without the purchase columns (a valid one: its schema hash, FNV-1a
# of the names joined by ',', redone) cannot be scored with the model.
"$python" - <<'PY'
import re
lines = open("later.csv").read().split("\n")
names = lines[1].split(",")
drop = {names.index(n) for n in ("repeat_purchases", "t_last_purchase_days", "age_purchase_days")}
keep = lambda line: ",".join(v for i, v in enumerate(line.split(",")) if i not in drop)
h = 0xcbf29ce484222325
for c in ",".join(n for i, n in enumerate(names) if i not in drop and 2 <= i < names.index("label")).encode():
    h = ((h ^ c) * 0x100000001b3) % 2**64
meta = re.sub(r"schema=[0-9a-f]+", "schema=%016x" % h, lines[0])
open("cut.csv", "w").write("\n".join([meta] + [keep(l) for l in lines[1:]]))
PY
if "$LAPSE_BIN" score -q -m st.model -o out.csv cut.csv 2>err.txt; then
    fail "score took a table without the purchase columns"
fi
grep -q 'lapse: the table has 76 features and the model 79: feature 77 "repeat_purchases" is missing (in cut.csv:2, column 79)' err.txt ||
    fail "score's refusal of a table without purchase columns: $(cat err.txt)"
[ ! -e out.csv ] || fail "a refused score left out.csv"
echo ok

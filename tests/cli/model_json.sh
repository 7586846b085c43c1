# lapse model show --json and lapse train --report: the "lapse-model" and
# "lapse-train-report" documents read back by python3's json module and
# checked against the text that model show and train print, for each kind
# of classifier.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
python=/usr/bin/python3
[ -x "$python" ] || { echo "SKIP: no $python" >&2; exit 77; }
writer="${LAPSE_MODEL_WRITER:-$(dirname "$LAPSE_BIN")/tests/test_model}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$writer" --write-fixtures .

"$LAPSE_BIN" simulate -q --seed 5 --users 600 --days 180 -o sim
"$LAPSE_BIN" extract -q --asof 2026-03-02,2026-04-01,2026-05-01,2026-05-31 -o feat.csv \
    sim/events.csv.gz
"$LAPSE_BIN" train -q --model gbdt -o gbdt.model feat.csv

for model in logistic svm gbdt; do
    "$LAPSE_BIN" model show "$model.model" >"$model.txt"
    "$LAPSE_BIN" model show --json "$model.model" >"$model.json"
    "$python" - "$model.txt" "$model.json" <<'PY' || fail "model show --json $model (above)"
import json, re, sys
text = open(sys.argv[1]).read()
doc = json.load(open(sys.argv[2]))
def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
def line(label):
    return re.search(r"^" + label + r": +(.*)$", text, re.M).group(1)
check(doc["format"] == "lapse-model" and doc["version"] == 1, "format and version")
check(doc["kind"] == "classifier", "kind")
c = doc["churn"]
check(line("churn") == f"key={c['key']}; silent_days={c['silent_days']}; "
      f"horizon={c['horizon_days']}; churn={c['churn']}", "churn line")
check(line("schema").startswith(doc["schema_hash"] + " (feature table format "
                                + str(doc["feature_table_version"])), "schema line")
names = [f["name"] for f in doc["features"]]
check(line("features").startswith(f"{len(names)}: " + ", ".join(names[:8])), "feature names")
tiers = doc["tiers"]
parts = [tiers["names"][0]] + [f"{t:.4g} <= {n}" for t, n in zip(tiers["thresholds"], tiers["names"][1:])]
check(line("risk tiers") == " < ".join(parts), f"tier line {line('risk tiers')} against {parts}")
t = doc["training"]
check(f"{t['train_rows']} training rows, {t['valid_rows']} validation rows" in line("trained on"),
      "training rows")
check(line("seed") == str(t["seed"]) and line("trained by") == "lapse " + t["lapse_version"],
      "seed and version")
v = t["validation_figures"]
check(f"AUC {v['auc']:.4g}" in line("validation"), "validation AUC")
cl = doc["classifier"]
if cl["kind"] == "logistic":
    check(f"bias {cl['bias']:.6g}" in line("classifier"), "bias")
    top = max(doc["features"], key=lambda f: abs(f["weight"]))
    check(re.search(r"^  " + re.escape(top["name"]) + r" +" + re.escape(f"{top['weight']:+.6g}") + "$",
                    text, re.M), "the largest weight")
elif cl["kind"] == "gbdt":
    check(f"{cl['rounds']} rounds kept (best iteration {cl['best_iteration']} of at most "
          f"{cl['max_rounds']} trees), depth {cl['depth']}, eta {cl['eta']:.6g}, {cl['nodes']} nodes; "
          f"XGBoost's JSON: {cl['xgboost_json_bytes']} bytes" in line("classifier"), "trees line")
    check(all(f["weight"] is None for f in doc["features"]), "trees have no weights")
else:
    check(cl["kind"] == "svm", "classifier kind " + cl["kind"])
    check(f"{cl['support_vectors']} support vectors" in line("classifier") and cl["kernel"] in line("classifier").lower(),
          "SVM line")
    check(all(f["weight"] is None for f in doc["features"]), "an SVM has no weights")
cal = doc["calibration"]
if cal["kind"] == "platt":
    check(f"{cal['a']:.6g} f" in line("calibration"), "Platt a")
else:
    check(f"{len(cal['decision'])} breakpoints" in line("calibration"), "isotonic breakpoints")
PY
done

# train --report: the same model members as model show --json of the saved
# model, and the validation figures that train prints.
"$LAPSE_BIN" train --model logistic --k auto -o m.model --report report.json feat.csv 2>train.txt
"$LAPSE_BIN" model show --json m.model >m.json
"$python" - train.txt report.json m.json <<'PY' || fail "train --report (above)"
import json, re, sys
text = open(sys.argv[1]).read()
doc = json.load(open(sys.argv[2]))
shown = json.load(open(sys.argv[3]))
def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
check(doc["format"] == "lapse-train-report" and doc["version"] == 1, "format and version")
model = dict(doc["model"])
for key in ("format", "version", "path"):
    shown.pop(key)
check(model == shown, "the report's model and model show --json of the saved model differ")
v = doc["validation"]["metrics"]
printed = re.search(r"AUC-ROC: +([0-9.]+) \(standard error ([0-9.]+)", text).groups()
check((f"{v['auc']:.4f}", f"{v['auc_se']:.4f}") == printed, f"AUC {v['auc']} against {printed}")
check(f"{v['log_loss']:.4f}" == re.search(r"log loss: +([0-9.]+)", text).group(1), "log loss")
rows = re.search(r"rows: +(\d+), (\d+) churners", text).groups()
check((str(v["rows"]), str(v["churners"])) == rows == (str(doc["fit"]["valid_rows"]),
      str(doc["fit"]["valid_churners"])), "validation rows")
check(len(doc["validation"]["top"]) == 3 and len(doc["validation"]["calibration"]) == 10,
      "top and calibration tables")
sil = re.search(r"k auto: silhouette \(sampled\)(.*);", text).group(1)
check([f"k={k} {s:.3f}" for k, s in doc["fit"]["k_silhouette"].items()] ==
      re.findall(r"k=\d+ [0-9.]+", sil), "k auto silhouettes")
fit = re.search(r"training: (\d+) rows from (\d+) snapshots", text).groups()
check(fit == (str(doc["fit"]["train_rows"]), str(doc["fit"]["train_snapshots"])), "training rows")
PY

# --report with a BTYD model, or naming the model file, is a usage error.
for args in "--model bgnbd -o b.model --report b.json" "--model logistic -o same --report same"; do
    # shellcheck disable=SC2086
    expect_exit 2 train $args feat.csv
done
[ ! -e b.json ] && [ ! -e same ] || fail "a refused train wrote a file"
echo "ok: model show --json and train --report"

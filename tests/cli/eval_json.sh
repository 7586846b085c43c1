# lapse eval --json and --csv: the "lapse-eval" document read back by
# python3's json and csv modules, its figures against the text report, the
# tiers and segments worked out by hand, and the ROC curve kept short.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
python=/usr/bin/python3
[ -x "$python" ] || { echo "SKIP: no $python" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# The rows of tests/cli/eval.sh, with tiers and segments. By hand:
#   critical: a (churned); high: b (stayed) c (churned), AUC 0 (0.8 > 0.7);
#   low: d e (stayed); s1: a c e, churners a c above e, AUC 1; s2: b d.
cat >scored.csv <<'CSV'
user_id,asof,p_churn,label,risk_tier,segment
a,2026-05-31,0.9,1,critical,s1
b,2026-05-31,0.8,0,high,s2
c,2026-05-31,0.7,1,high,s1
d,2026-05-31,0.2,0,low,s2
e,2026-05-31,0.1,0,low,s1
f,2026-05-31,0.6,,high,s1
CSV
"$LAPSE_BIN" eval scored.csv >text.txt
"$LAPSE_BIN" eval --json scored.csv >stdout.json
"$LAPSE_BIN" eval --json -o eval.json --csv figures scored.csv >text_too.txt
cmp -s text.txt text_too.txt || fail "with -o the text report still goes to stdout"
cmp -s stdout.json eval.json || fail "--json to stdout and to -o differ"
# -o - is stdout too: the JSON alone, no text report mixed in.
"$LAPSE_BIN" eval --json -o - scored.csv >dash.json
cmp -s stdout.json dash.json || fail "--json -o - differs from --json to stdout"
for f in metrics deciles calibration roc tiers segments; do
    [ -s "figures/$f.csv" ] || fail "--csv wrote no $f.csv"
done

"$python" - text.txt eval.json figures <<'PY' || fail "the JSON and CSV figures (above)"
import csv, json, math, re, sys
text = open(sys.argv[1]).read()
doc = json.load(open(sys.argv[2]))
folder = sys.argv[3]
def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
check(doc["format"] == "lapse-eval" and doc["version"] == 2, "format and version")
check(doc["horizons"] is None, "no horizons without p_<days> columns")
m = doc["metrics"]
# Each figure agrees with the text report to the precision it shows.
shown = {
    "auc": r"AUC-ROC: +([0-9.]+)", "auc_se": r"standard error ([0-9.]+)",
    "pr_auc": r"PR-AUC: +([0-9.]+)", "log_loss": r"log loss: +([0-9.]+)",
    "brier": r"Brier: +([0-9.]+)", "ece": r"ECE: +([0-9.]+)",
}
for key, pattern in shown.items():
    printed = re.search(pattern, text).group(1)
    check(f"{m[key]:.4f}" == printed, f"{key} {m[key]} against the text's {printed}")
rows, churners = map(int, re.search(r"rows: +(\d+), (\d+) churners", text).groups())
check((m["rows"], m["churners"]) == (rows, churners) == (5, 2), "rows and churners")
# The exact values, not only rounded ones: the shortest decimal of each double.
check(m["auc"] == 5 / 6 and m["churn_rate"] == 0.4, "exact AUC and churn rate")
c = doc["confusion"]
check((c["tp"], c["fp"], c["tn"], c["fn"], c["threshold"]) == (2, 1, 2, 0, 0.5), "confusion")
fractions = [d["fraction"] for d in doc["deciles"]]
check(fractions == [0.05] + [i / 10 for i in range(1, 11)], f"decile fractions {fractions}")
top = re.findall(r"^  (\d+) +(\d+) +([0-9.]+) +([0-9.]+)% +([0-9.]+) +([0-9.]+)%$", text, re.M)
for (pct, n, ch, rate, lift, capture), d in zip(top, [doc["deciles"][i] for i in (0, 1, 2)]):
    check(int(pct) / 100 == d["fraction"] and int(n) == d["rows"]
          and f"{d['lift']:.2f}" == lift and f"{100 * d['capture']:.2f}" == capture,
          f"top {pct}% against the text")
check(doc["deciles"][-1]["rows"] == 5 and doc["deciles"][-1]["capture"] == 1, "the whole list")
bins = doc["calibration"]
check(len(bins) == 10 and bins[0]["rows"] == 0 and bins[0]["mean_predicted"] is None,
      "an empty calibration bin is null")
check(bins[9] == {"low": 0.9, "high": 1, "rows": 1, "mean_predicted": 0.9, "observed_rate": 1},
      f"bin 10 {bins[9]}")
roc = doc["roc"]
check(roc[0] == {"threshold": None, "fpr": 0, "tpr": 0} and roc[-1]["fpr"] == roc[-1]["tpr"] == 1,
      "the ROC curve runs from (0, 0) to (1, 1)")
check([(p["threshold"], p["tpr"]) for p in roc[1:]] == [(0.9, .5), (0.8, .5), (0.7, 1), (0.2, 1), (0.1, 1)],
      f"ROC points {roc}")
tiers = {t["name"]: t for t in doc["tiers"]}
check(list(tiers) == ["critical", "high", "low"], "tiers in order of appearance")
check((tiers["high"]["rows"], tiers["high"]["churners"], tiers["high"]["auc"]) == (2, 1, 0),
      f"tier high {tiers['high']}")
check(tiers["low"]["auc"] is None and tiers["low"]["mean_p"] == (0.2 + 0.1) / 2,
      "a one-class tier has no AUC")
seg = {s["name"]: s for s in doc["segments"]}
check(seg["s1"]["rows"] == 3 and seg["s1"]["auc"] == 1 and seg["s2"]["churners"] == 0, "segments")
# The CSV files hold the same values, text for text.
def table(name):
    with open(f"{folder}/{name}.csv", newline="") as f:
        return list(csv.DictReader(f))
def same(csv_value, json_value):
    return (csv_value == "" and json_value is None) or float(csv_value) == json_value
(metrics_row,) = table("metrics")
for key in ("rows", "churners", "auc", "auc_se", "pr_auc", "log_loss", "brier", "ece"):
    check(same(metrics_row[key], m[key]), f"metrics.csv {key}")
for key in ("tp", "fp", "tn", "fn", "precision", "recall", "f1", "accuracy", "threshold"):
    check(same(metrics_row[key], c[key]), f"metrics.csv {key}")
for name, rows_json in (("deciles", doc["deciles"]), ("calibration", bins), ("roc", roc),
                        ("tiers", doc["tiers"]), ("segments", doc["segments"])):
    rows_csv = table(name)
    check(len(rows_csv) == len(rows_json), f"{name}.csv row count")
    for r_csv, r_json in zip(rows_csv, rows_json):
        for key, value in r_json.items():
            check(r_csv[key] == value if key == "name" else same(r_csv[key], value),
                  f"{name}.csv {key}: {r_csv[key]} against {value}")
PY

# Without tier and segment columns: null in the JSON, no CSV file for them.
cut -d, -f1-4 scored.csv >plain.csv
rm -rf figures
"$LAPSE_BIN" eval --json -o plain.json --csv figures plain.csv >/dev/null
"$python" -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(d["tiers"] is not None or d["segments"] is not None)' plain.json ||
    fail "tiers and segments are null without their columns"
[ ! -e figures/tiers.csv ] && [ ! -e figures/segments.csv ] || fail "tiers.csv without a risk_tier column"

# A long list: at most 200 ROC points, from (0, 0) to (1, 1), rising.
"$python" - >long.csv <<'PY'
import random
random.seed(7)
print("p_churn,label")
for i in range(5000):
    y = int(random.random() < 0.3)
    print(f"{min(1, max(0, random.gauss(0.3 + 0.3 * y, 0.2))):.6f},{y}")
PY
"$LAPSE_BIN" eval --json long.csv >long.json
"$python" - long.json <<'PY' || fail "the ROC curve of a long list"
import json, sys
roc = json.load(open(sys.argv[1]))["roc"]
assert 100 < len(roc) <= 200, len(roc)
assert (roc[0]["fpr"], roc[0]["tpr"]) == (0, 0) and (roc[-1]["fpr"], roc[-1]["tpr"]) == (1, 1)
assert all(a["fpr"] <= b["fpr"] and a["tpr"] <= b["tpr"] for a, b in zip(roc, roc[1:]))
PY

# -o without --json is a usage error; nothing is written.
expect_exit 2 eval -o x.json scored.csv
[ ! -e x.json ] || fail "-o without --json wrote a file"
echo "ok: eval --json and --csv"

# lapse train --validate rolling:K: each fold trains on the snapshots
# before its own and is measured there, exactly as a last-snapshot
# validation of the table cut at that snapshot; the model's AUC is the
# folds' mean with the next-period standard error lapse/train.h defines;
# calibration and tiers are the latest fold's; bad K, too few snapshots and
# a fold with too few rows are refused with the counts.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
python=/usr/bin/python3
[ -x "$python" ] || { echo "SKIP: no $python" >&2; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Five monthly snapshots of a small log.
"$LAPSE_BIN" simulate -q --seed 5 --users 600 --days 180 -o sim
"$LAPSE_BIN" extract -q --asof 2026-02-01,2026-03-02,2026-04-01,2026-05-01,2026-05-31 -o feat.csv \
    sim/events.csv.gz

"$LAPSE_BIN" train --model logistic --validate rolling:3 --report roll.json -o roll.model feat.csv \
    2>roll.txt || fail "rolling:3: $(cat roll.txt)"
"$LAPSE_BIN" model show --json roll.model >roll_model.json
"$LAPSE_BIN" model show roll.model >roll_show.txt
grep -qxF "validated on: rolling origin: the last 3 snapshots held out in turn, each trained on those before it (rolling:3)" \
    roll_show.txt || fail "model show: $(cat roll_show.txt)"
grep -q "^validation:   AUC .* (standard error .*, next-period: mean of the folds)" roll_show.txt ||
    fail "model show names no next-period SE: $(cat roll_show.txt)"
grep -q "^rolling validation, 3 folds" roll.txt || fail "no folds in the report: $(cat roll.txt)"
[ "$(grep -c '^  2026-0[45]-[0-9]*  AUC ' roll.txt)" -eq 3 ] || fail "not one line per fold: $(cat roll.txt)"

# Each fold: its rows counted from the table (training: labelled rows
# before its snapshot; validation: those at it); the summary from the
# folds by the stated formula; the model records it.
"$python" - feat.csv roll.json roll_model.json <<'PY' || fail "rolling report (above)"
import csv, json, math, sys
rows = [r for r in csv.reader(l for l in open(sys.argv[1]) if not l.startswith("#"))][1:]
rep = json.load(open(sys.argv[2]))
model = json.load(open(sys.argv[3]))
def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
labelled = [r[1] for r in rows if r[-2] != ""]
roll = rep["rolling"]
folds = roll["folds"]
check([f["valid_asof"] for f in folds] == ["2026-04-01", "2026-05-01", "2026-05-31"], "fold dates")
for f in folds:
    check(f["train_rows"] == sum(a < f["valid_asof"] for a in labelled), f"train rows {f}")
    check(f["valid_rows"] == sum(a == f["valid_asof"] for a in labelled), f"valid rows {f}")
aucs = [f["auc"] for f in folds]
ses = [f["auc_se"] for f in folds]
k = len(aucs)
mean = sum(aucs) / k
sd = math.sqrt(sum((a - mean) ** 2 for a in aucs) / (k - 1))
sampling = math.sqrt(sum(s * s for s in ses) / k)
se = math.sqrt(max(sd * sd, sampling * sampling) * (1 + 1 / k))
for name, want in (("auc", mean), ("sd", sd), ("sampling_se", sampling), ("se", se)):
    check(abs(roll[name] - want) < 1e-12, f"{name} {roll[name]} != {want}")
check(rep["validation"]["metrics"]["auc"] == aucs[-1], "the latest fold is the reported split")
t = model["training"]
check(t["validation"] == "rolling" and t["holdout"] == 3, "model's validation kind")
check(t["validation_figures"]["auc"] == roll["auc"] and t["validation_figures"]["auc_se"] == roll["se"],
      "model's AUC and SE are the rolling summary")
check(t["train_rows"] == folds[-1]["train_rows"] and t["valid_rows"] == folds[-1]["valid_rows"],
      "model's rows are the latest fold's")
PY

# A fold is a last-snapshot validation of the table cut at its snapshot:
# the same AUC to the bit, whatever the later rows.
awk -F, 'NR <= 2 || $2 <= "2026-04-01"' feat.csv >cut.csv
"$LAPSE_BIN" train -q --model logistic --report cut.json -o cut.model cut.csv
"$python" - cut.json roll.json <<'PY' || fail "fold 1 differs from the cut table's validation"
import json, sys
cut = json.load(open(sys.argv[1]))["validation"]["metrics"]
fold = json.load(open(sys.argv[2]))["rolling"]["folds"][0]
if (cut["auc"], cut["auc_se"]) != (fold["auc"], fold["auc_se"]):
    sys.exit(f"FAIL: cut {cut['auc']} {cut['auc_se']}, fold {fold['auc']} {fold['auc_se']}")
PY

# Calibration, tiers and the refitted classifier are the latest fold's,
# i.e. those of --validate last-snapshot; only the validation record differs.
"$LAPSE_BIN" train -q --model logistic --validate last-snapshot -o last.model feat.csv
"$LAPSE_BIN" model show last.model >last_show.txt
for what in "calibration:" "risk tiers:" "  silence_vs_gap_120 "; do
    [ "$(grep -F -- "$what" roll_show.txt)" = "$(grep -F -- "$what" last_show.txt)" ] ||
        fail "$what differs from last-snapshot's"
done

# Same table and options: the same bytes; rolling alone means rolling:3.
"$LAPSE_BIN" train -q --model logistic --validate rolling -o again.model feat.csv
cmp -s roll.model again.model || fail "rolling is not rolling:3, or not deterministic"

# Too few snapshots for K, one snapshot, bad K: refused with the counts.
expect_error 1 "labelled rows from 5 snapshots: --validate rolling:5 holds out the last 5 in turn and needs at least one before them to train on, 6 in all (extract with --asof DATE,DATE,..., or at most rolling:4)" \
    train --model logistic --validate rolling:5 -o m feat.csv
awk -F, 'NR <= 2 || $2 == "2026-05-31"' feat.csv >one.csv
expect_error 1 "labelled rows from 1 snapshot: --validate rolling:2 holds out the last 2 in turn" \
    train --model logistic --validate rolling:2 -o m one.csv
grep -qF "hold out users: --validate users:0.2" err.txt || fail "no advice for one snapshot"
for k in 1 25 x 3x; do
    expect_error 2 "file:FILE or rolling:K (K from 2 to 24), not \"rolling:$k\"" \
        train --model logistic --validate "rolling:$k" -o m feat.csv
done
expect_error 2 "--with-btyd fits its BTYD feature on one split: not with --validate rolling" \
    train --model logistic --with-btyd --validate rolling:2 -o m feat.csv

# Every fold's snapshot needs 50 rows with 10 of each class: the oldest
# fold's cut to exactly that trains; one churner fewer is refused, naming
# the fold, with the counts.
fold_cut() {
    awk -F, -v p="$1" -v n="$2" \
        '$2 != "2026-04-01" || ($(NF - 1) == 1 && p-- > 0) || ($(NF - 1) == 0 && n-- > 0)' feat.csv >fold.csv
}
fold_cut 10 40
"$LAPSE_BIN" train -q --model logistic --validate rolling:3 -o fold.model fold.csv ||
    fail "a fold of 50 rows with 10 churners"
fold_cut 9 41
expect_error 1 "lapse: the validation snapshot 2026-04-01 (fold 1 of --validate rolling:3) has 50 labelled rows (9 churners, 41 others): too few to validate a model, which needs at least 50 rows and 10 of each class there (extract more users, or use fewer folds)" \
    train --model logistic --validate rolling:3 -o few.model fold.csv
[ ! -e few.model ] || fail "a refused fold wrote a model"
"$LAPSE_BIN" train -q --model logistic --validate rolling:2 -o two.model fold.csv ||
    fail "rolling:2 does not reach the small snapshot"
[ ! -e m ] || fail "a refused run wrote a model"
echo "rolling: ok"

#!/bin/bash
# Does lapse's reported validation AUC predict the next snapshot's AUC within its reported
# standard error? On an event log, for several origins: the table cut before the origin
# snapshot is trained with `lapse train --validate rolling:K` (the last K snapshots before
# the origin each held out in turn: mean AUC and next-period SE, lapse/train.h) and, for
# comparison, with the default last-snapshot validation (one snapshot, DeLong SE); the
# origin snapshot, which neither saw, is scored and `lapse eval` gives its AUC.
#
#   bash bench/public/rolling.sh NAME DATADIR [K] [ORIGINS] [MODEL]
#
# NAME: cdnow | xuetangx. The tables come from bench/public/run.sh (run first if
# /tmp/lapse-public/NAME/train.csv is missing): its test table is the last origin, and the
# ORIGINS latest snapshots of its training table (default 4 for cdnow, 3 for xuetangx) the
# earlier ones, each with the snapshots before it as the training table. K default 3,
# MODEL default logistic. LAPSE names the binary (default build-rel/lapse). Prints one row
# per origin, then how often the test AUC lay within the reported SE of the reported AUC.
set -euo pipefail
cd "$(dirname "$0")/../.."
NAME=${1:?usage: rolling.sh NAME DATADIR [K] [ORIGINS] [MODEL]}
DATA=${2:?usage: rolling.sh NAME DATADIR [K] [ORIGINS] [MODEL]}
K=${3:-3}
case $NAME in
cdnow) ORIGINS=${4:-4} ;;
xuetangx) ORIGINS=${4:-3} ;;
*) echo "rolling.sh: NAME is cdnow or xuetangx" >&2; exit 2 ;;
esac
MODEL=${5:-logistic}
LAPSE=${LAPSE:-build-rel/lapse}
PY=/usr/bin/python3
TABLES=/tmp/lapse-public/$NAME
[ -f "$TABLES/train.csv" ] || bash bench/public/run.sh "$NAME" "$DATA" >&2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# A JSON member's value by a path of keys, from stdin.
member() { $PY -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1:]: d=d[int(k)] if isinstance(d, list) else d[k]
print(repr(d))' "$@"; }

# The distinct labelled snapshots of the training table, oldest first.
mapfile -t dates < <(awk -F, '!/^#/ && $1 != "user_id" { print $2 }' "$TABLES/train.csv" | sort -u)
origins=("${dates[@]: -$ORIGINS}" test)

# One origin: $1 a snapshot of the training table (the table cut before it trains, its
# rows test) or "test" (run.sh's tables as they are).
one_origin() {
    local origin=$1 train=$TABLES/train.csv test=$TABLES/test.csv
    if [ "$origin" != test ]; then
        train=$WORK/train.csv test=$WORK/test.csv
        awk -F, -v o="$origin" '/^#/ || $1 == "user_id" || $2 < o' "$TABLES/train.csv" >"$train"
        awk -F, -v o="$origin" '/^#/ || $1 == "user_id" || $2 == o' "$TABLES/train.csv" >"$test"
    else
        origin=$(awk -F, '!/^#/ && $1 != "user_id" { print $2 }' "$test" | sort -u |
                 sed -n '1h; $ { x; G; s/\n/ to /; s/^\(.*\) to \1$/\1/; p }')
    fi
    "$LAPSE" train -q --model "$MODEL" --validate "rolling:$K" --report "$WORK/r.json" \
        -o "$WORK/r.model" "$train" 2>/dev/null
    "$LAPSE" train -q --model "$MODEL" --validate last-snapshot -o "$WORK/l.model" "$train" 2>/dev/null
    "$LAPSE" score -q -m "$WORK/r.model" -o "$WORK/r.csv" "$test" 2>/dev/null
    local rep evald last folds
    rep=$(cat "$WORK/r.json")
    last=$("$LAPSE" model show --json "$WORK/l.model")
    evald=$("$LAPSE" eval --json "$WORK/r.csv" 2>/dev/null)
    folds=$(member rolling folds <<<"$rep" | $PY -c 'import ast,sys
print(" ".join("%.4f" % f["auc"] for f in ast.literal_eval(sys.stdin.read())))')
    echo "$origin,$(member rolling auc <<<"$rep"),$(member rolling se <<<"$rep"),$(member rolling sd <<<"$rep"),$(member rolling sampling_se <<<"$rep"),$(member training validation_figures auc <<<"$last"),$(member training validation_figures auc_se <<<"$last"),$(member metrics auc <<<"$evald"),$(member metrics auc_se <<<"$evald"),$folds"
}

{
echo "origin,rolling_auc,rolling_se,rolling_sd,rolling_sampling_se,last_auc,last_se,test_auc,test_se,fold_aucs"
for origin in "${origins[@]}"; do one_origin "$origin"; done
} | tee "$WORK/rows.csv"
$PY - "$WORK/rows.csv" "$NAME" "$K" "$MODEL" <<'PYEOF'
import csv, sys
import math
rows = list(csv.DictReader(open(sys.argv[1])))
name, k, model = sys.argv[2:5]
print(f"\n{name}, {model}, rolling:{k}")
print("| test snapshot | folds' AUCs | rolling: AUC ± next-period SE (SD, sampling) | last-snapshot: AUC ± DeLong SE | test AUC (DeLong SE) | rolling - test | last - test |")
print("| --- | --- | --- | --- | --- | --- | --- |")
roll_in = last_in = roll_in2 = last_in2 = 0
diffs = {"rolling": [], "last": []}
ses = {"rolling": [], "last": []}
for r in rows:
    f = {key: float(v) for key, v in r.items() if key not in ("origin", "fold_aucs")}
    dr, dl = f["rolling_auc"] - f["test_auc"], f["last_auc"] - f["test_auc"]
    roll_in += abs(dr) <= f["rolling_se"]
    last_in += abs(dl) <= f["last_se"]
    roll_in2 += abs(dr) <= 2 * f["rolling_se"]
    last_in2 += abs(dl) <= 2 * f["last_se"]
    diffs["rolling"].append(dr)
    diffs["last"].append(dl)
    ses["rolling"].append(f["rolling_se"])
    ses["last"].append(f["last_se"])
    print(f"| {r['origin']} | {r['fold_aucs']} | {f['rolling_auc']:.4f} ± {f['rolling_se']:.4f} "
          f"({f['rolling_sd']:.4f}, {f['rolling_sampling_se']:.4f}) | {f['last_auc']:.4f} ± {f['last_se']:.4f} "
          f"| {f['test_auc']:.4f} ({f['test_se']:.4f}) | {dr:+.4f} ({abs(dr) / f['rolling_se']:.1f} SE) "
          f"| {dl:+.4f} ({abs(dl) / f['last_se']:.1f} SE) |")
n = len(rows)
print(f"\ntest AUC within the reported SE of the reported AUC: rolling {roll_in}/{n}, "
      f"last-snapshot {last_in}/{n} (an exact SE: 68%); within 2 SE: rolling {roll_in2}/{n}, "
      f"last-snapshot {last_in2}/{n} (95%)")
for how in ("rolling", "last"):
    d = diffs[how]
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1)) if n > 1 else float("nan")
    rms = math.sqrt(sum(x * x for x in d) / n)
    se = math.sqrt(sum(x * x for x in ses[how]) / n)
    print(f"{how}: reported - test mean {mean:+.4f}, SD {sd:.4f}, root mean square {rms:.4f}; "
          f"reported SE, root mean square {se:.4f}")
PYEOF

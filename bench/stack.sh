#!/usr/bin/env bash
# Does stacking on BTYD help? (lapse train --with-btyd, bench/RESULTS.md "Stacking on BTYD")
#   bench/stack.sh sim                     the simulator, 20,000 users
#   bench/stack.sh cdnow DATADIR           the CDNOW master log (bench/public/run.sh's extract)
# For each classifier: the validation AUC with the feature and without it, as train reports
# them (same run, same rows), then the test AUC of both models on a later snapshot that
# training never saw (lapse eval of lapse score). LAPSE names the binary (default
# build-rel/lapse, a Release build); WORK the folder (default /tmp/lapse-stack/NAME).
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=${1:?usage: stack.sh sim | cdnow DATADIR}
LAPSE=${LAPSE:-build-rel/lapse}
WORK=${WORK:-/tmp/lapse-stack/$NAME}
mkdir -p "$WORK"

case "$NAME" in
sim)
    "$LAPSE" simulate -q --seed 7 --users 20000 --days 240 -o "$WORK/sim"
    "$LAPSE" extract -q --asof 2026-03-02,2026-04-01,2026-05-01,2026-05-31,2026-06-30 \
        -o "$WORK/train.csv" "$WORK/sim/events.csv.gz" 2>/dev/null
    "$LAPSE" extract -q --asof 2026-07-30 -o "$WORK/test.csv" "$WORK/sim/events.csv.gz" \
        2>/dev/null
    ;;
cdnow)
    DATA=${2:?usage: stack.sh cdnow DATADIR}
    log() { { echo 'user_id ts quantity amount'; cat "$DATA/CDNOW_master.txt"; }; }
    opts=(--preset ecommerce --delim ' ' --event purchase -q)
    log | "$LAPSE" extract "${opts[@]}" -o "$WORK/train.csv" \
        --asof 2021-04-01,2021-05-01,2021-06-01,2021-07-01,2021-08-01,2021-09-01,2021-10-01,2021-11-01,2021-12-01,2022-01-01,2022-02-01,2022-03-01,2022-04-01 -
    log | "$LAPSE" extract "${opts[@]}" --asof 2022-05-01 -o "$WORK/test.csv" -
    ;;
*)
    echo "stack.sh: unknown data set \"$NAME\" (sim, cdnow)" >&2
    exit 2
    ;;
esac

test_auc() { "$LAPSE" eval "$1" | sed -n 's/^AUC-ROC: *\([0-9.]*\).*/\1/p'; }

printf '%-9s %-10s %-13s %-17s %-22s %-9s %-12s %s\n' model valid_with valid_without difference \
    verdict test_with test_without train_s_with
for model in logistic gbdt; do
    start=$(date +%s.%N)
    "$LAPSE" train --model "$model" --with-btyd -o "$WORK/$model-btyd.model" "$WORK/train.csv" \
        2>"$WORK/$model-btyd.txt"
    seconds=$(echo "$(date +%s.%N) - $start" | bc)
    "$LAPSE" train -q --model "$model" -o "$WORK/$model.model" "$WORK/train.csv" 2>/dev/null
    for m in "$model-btyd" "$model"; do
        "$LAPSE" score -q -m "$WORK/$m.model" -o "$WORK/$m.scores.csv" "$WORK/test.csv" 2>/dev/null
    done
    line=$(grep '^  validation AUC with it' "$WORK/$model-btyd.txt")
    with=$(echo "$line" | sed -E 's/.*with it ([0-9.]+) .*/\1/')
    without=$(echo "$line" | sed -E 's/.*without it ([0-9.]+) .*/\1/')
    diff=$(echo "$line" | sed -E 's/.*\): ([-+][0-9.]+), unpaired SE ([0-9.]+):.*/\1 (SE \2)/')
    printf '%-9s %-10s %-13s %-17s %-22s %-9s %-12s %.1f\n' "$model" "$with" "$without" "$diff" \
        "${line##*: }" "$(test_auc "$WORK/$model-btyd.scores.csv")" \
        "$(test_auc "$WORK/$model.scores.csv")" "$seconds"
done

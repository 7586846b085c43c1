#!/usr/bin/env bash
# lapse train --model gbdt against its peer, python's xgboost (the same
# libxgboost 1.7.4, same settings: hist, depth 6, eta 0.1, seed 1, one
# thread, at most 300 rounds, early stopping after 20 on the validation log
# loss) on the same training and validation rows (bench/gbdt_peer.py), and
# against lapse logistic, in one run:
#   - the simulator: USERS users x 180 days, four snapshots, the last one
#     validates (lapse --no-refit, so the model scored is the validated one);
#   - the Telco table (/work/data/public/telco), 20% of customers held out
#     by a seeded list both sides use (--validate file).
# Prints validation AUCs, train wall times and scoring rows/s (lapse score,
# -@ 1, median of 3) for gbdt and logistic, and lapse bench on the gbdt model
# and the simulator's rows: the scorer at 1 and 2 threads, lapse's tree
# evaluator and XGBoost's predictor taking turns (margins, --fast, and with
# reasons TreeSHAP against XGBoost's pred_contribs), REPS repetitions.
#
#   bench/gbdt.sh [USERS] [WORKDIR] [REPS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
users=${1:-20000}
work=${2:-$(mktemp -d)}
reps=${3:-9}
bin=$root/build-rel/lapse
py=/usr/bin/python3 # Debian's, with python3-xgboost
cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build "$root/build-rel" -j2 >/dev/null
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
mkdir -p "$work"
cd "$work"

wall() { # NAME CMD...: runs CMD, prints NAME and its wall seconds
    local name=$1; shift
    local a b
    a=$(date +%s.%N); "$@"; b=$(date +%s.%N)
    awk -v a="$a" -v b="$b" -v n="$name" 'BEGIN { printf "%s: %.2f s wall\n", n, b - a }'
}
rows_per_s() { # MODEL TABLE ROWS [score options]: median rows/s of three lapse score runs
    local model=$1 table=$2 rows=$3; shift 3
    for _ in 1 2 3; do
        a=$(date +%s.%N); "$bin" score -q -m "$model" -@ 1 "$@" -o /dev/null "$table"; b=$(date +%s.%N)
        awk -v a="$a" -v b="$b" -v n="$rows" 'BEGIN { printf "%.0f\n", n / (b - a) }'
    done | sort -n | sed -n 2p
}

echo "== simulator, $users users"
snaps=2026-03-02,2026-04-01,2026-05-01,2026-05-31
[ -s sim/events.csv.gz ] || "$bin" simulate -q --seed 7 --users "$users" --days 180 --start 2026-01-01 -o sim
[ -s features.csv ] || "$bin" extract -q --asof "$snaps" -o features.csv sim/events.csv.gz
for m in gbdt logistic; do
    wall "lapse train $m" "$bin" train --model "$m" --no-refit -o "$m.model" features.csv 2>"$m.txt"
    grep -E "^classifier|^AUC-ROC" "$m.txt" | sed "s/^/  $m: /"
done
rows=$(grep -vc '^#' features.csv); rows=$((rows - 1))
"$bin" score -q -m gbdt.model -o gbdt.scores.csv features.csv
$py "$root/bench/gbdt_peer.py" sim features.csv 2026-05-31 gbdt.scores.csv
for m in gbdt logistic; do
    echo "lapse score $m, -@ 1: $(rows_per_s "$m.model" features.csv "$rows") rows/s," \
         "--no-reasons $(rows_per_s "$m.model" features.csv "$rows" --no-reasons) rows/s ($rows rows)"
done

echo "== lapse bench, gbdt model, the $rows rows; machine load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" bench -m gbdt.model --no-reasons -@ 1,2 --reps "$reps" features.csv 2>/dev/null
"$bin" bench -m gbdt.model --no-reasons --fast -@ 1,2 --reps "$reps" features.csv 2>/dev/null
"$bin" bench -m gbdt.model -@ 1,2 --reps "$reps" features.csv 2>/dev/null

telco=/work/data/public/telco/WA_Fn-UseC_-Telco-Customer-Churn.csv
if [ -s "$telco" ]; then
    echo "== Telco"
    # A seeded 20% of customers, the same for both sides.
    awk -F, 'NR > 1 { srand(7 + NR); if (rand() < 0.2) print $1 }' "$telco" >holdout.csv
    for m in gbdt logistic; do
        wall "lapse train $m" "$bin" train --model "$m" --no-refit --label Churn --positive Yes \
            --id customerID --validate file:holdout.csv -o "telco.$m.model" "$telco" 2>"telco.$m.txt"
        grep -E "^classifier|^AUC-ROC" "telco.$m.txt" | sed "s/^/  $m: /"
    done
    "$bin" score -q -m telco.gbdt.model -o telco.gbdt.scores.csv "$telco"
    $py "$root/bench/gbdt_peer.py" own "$telco" Churn Yes customerID holdout.csv telco.gbdt.scores.csv
fi

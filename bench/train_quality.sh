#!/usr/bin/env bash
# Train quality on the simulator: simulate USERS users (default 200000) x 180
# days, extract four labelled snapshots, train svm and logistic (the last
# snapshot validates), apply each model to the validation snapshot
# (bench/train_apply.c, what lapse score does) and compare with the ground
# truth (bench/train_quality.py): AUC as a fraction of the oracle AUC of
# p_true on the same rows and of the observer's (p_observed: the best a model
# of the log can do), ECE, segment ARI against the archetypes (mixed
# left out) and the names.
#
#   bench/train_quality.sh [USERS] [WORKDIR]   (WORKDIR keeps data between runs)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
users=${1:-200000}
work=${2:-$(mktemp -d)}
bin=$root/build-rel/lapse
cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build "$root/build-rel" -j2 >/dev/null
blas_inc=$(dirname "$(find /usr/include -name cblas.h -path '*openblas*' | head -n1)")
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -I"$root/include" -I"$blas_inc" \
    "$root/bench/train_apply.c" "$root/build-rel/liblapsecore.a" \
    -lopenblas -lsvm -lcsv -lz -lm -lpthread -o "$root/build-rel/train-apply"
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
mkdir -p "$work"
cd "$work"
snaps=2026-03-02,2026-04-01,2026-05-01,2026-05-31
if [ ! -s sim/truth.csv ]; then
    "$bin" simulate -q --seed 7 --users "$users" --days 180 --start 2026-01-01 --observer -@ 2 -o sim
fi
if [ ! -s features.csv ]; then
    "$bin" extract -q --asof "$snaps" -@ 2 -o features.csv sim/events.csv.gz
fi
for model in logistic svm; do
    start=$(date +%s.%N)
    "$bin" train --model "$model" --seed 1 -@ 2 -o "$model.model" features.csv 2>"$model.txt"
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" -v m="$model" 'BEGIN { printf "%s: train %.1f s wall\n", m, b - a }'
    grep -E "^classifier|^calibration|^AUC-ROC|^ECE" "$model.txt" | sed "s/^/  $model: /"
    "$root/build-rel/train-apply" "$model.model" features.csv 2026-05-31 >"$model.scored.csv"
done
python3 "$root/bench/train_quality.py" sim logistic.scored.csv svm.scored.csv

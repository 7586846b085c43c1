#!/usr/bin/env bash
# Refit or not: is the classifier refitted on every labelled row (train's
# default) at least as good on later data as the one that was validated
# (--no-refit)? Simulate USERS users x 240 days (seeds SEEDS), extract five
# monthly labelled snapshots; train on the first four (the fourth is
# held out: last-snapshot; and users:0.2 on all four), score the fifth,
# which neither model saw, and evaluate it (AUC with its standard error, log
# loss, ECE), next to the held-out AUC train reported for the model.
#
#   bench/refit.sh [USERS] [WORKDIR] [SEEDS]   (defaults 5000, a temp dir, "7 8 9")
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
users=${1:-5000}
work=${2:-$(mktemp -d)}
seeds=${3:-7 8 9}
bin=$root/build-rel/lapse
cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build "$root/build-rel" -j2 >/dev/null
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
mkdir -p "$work"
cd "$work"
printf '%-5s %-14s %-9s %14s %8s %8s %9s %8s\n' seed validate model "reported AUC" AUC SE "log loss" ECE
for seed in $seeds; do
    "$bin" simulate -q --seed "$seed" --users "$users" --days 240 --start 2026-01-01 -o "sim$seed"
    "$bin" extract -q --asof 2026-03-01,2026-04-01,2026-05-01,2026-06-01 -o "fit$seed.csv" \
        "sim$seed/events.csv.gz" 2>/dev/null
    "$bin" extract -q --asof 2026-07-01 -o "later$seed.csv" "sim$seed/events.csv.gz" 2>/dev/null
    for validate in last-snapshot users:0.2; do
        for refit in refit no-refit; do
            flag=""
            [ "$refit" = no-refit ] && flag=--no-refit
            "$bin" train --model logistic --seed "$seed" --validate "$validate" $flag \
                -o m.model "fit$seed.csv" 2>t.txt
            reported=$(sed -n 's/^AUC-ROC: *\([0-9.]*\) (standard error \([0-9.]*\).*/\1+-\2/p' t.txt)
            "$bin" score -q -m m.model -o s.csv "later$seed.csv" 2>/dev/null
            "$bin" eval s.csv 2>/dev/null >e.txt
            auc=$(sed -n 's/^AUC-ROC: *\([0-9.]*\) (standard error \([0-9.]*\).*/\1 \2/p' e.txt)
            ll=$(sed -n 's/^log loss: *//p' e.txt)
            ece=$(sed -n 's/^ECE: *//p' e.txt)
            printf '%-5s %-14s %-9s %14s %8s %8s %9s %8s\n' "$seed" "$validate" "$refit" "$reported" \
                $auc "$ll" "$ece"
        done
    done
done

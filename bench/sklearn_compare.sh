#!/usr/bin/env bash
# lapse train against its peers on the simulator's features, same rows:
#
# 1. scikit-learn (/usr/bin/python3 with python3-sklearn): LogisticRegression
#    with C = 1 / l2 on every training row, and SVC (RBF, lapse's C and gamma,
#    class_weight='balanced') on the rows lapse's SVM trains on (its stratified
#    --max-train subsample, taken with lapse_svm_subsample), Platt-calibrated
#    on the validation snapshot as lapse calibrates; AUC and ECE of each next
#    to lapse's on the validation rows, and the fit times.
# 2. with --b1: `svm-train -b 1` against `lapse train --model svm --max-train
#    B1ROWS` on the same B1ROWS rows (scaled as lapse scales them, written in
#    libsvm format), same C, gamma, class weights and eps; time of each, and
#    AUC and ECE on the validation snapshot (svm-predict -b 1 for libsvm,
#    lapse score for lapse; lapse eval prints the same figures).
#
#   bench/sklearn_compare.sh [--users N] [--dir WORKDIR] [--b1 B1ROWS]
#
# Simulate --seed 7 (N users, default 50000, x 180 days), extract four
# labelled snapshots (the last validates), train with --seed 1 and defaults.
# WORKDIR keeps the data between runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
users=50000 work= b1=
while [[ $# -gt 0 ]]; do
    case $1 in
    --users) users=$2 ;; --dir) work=$2 ;; --b1) b1=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
[[ -n $work ]] || work=$(mktemp -d)
py=/usr/bin/python3 # Debian's python3-sklearn and python3-numpy are installed for this one
bin=$root/build-rel/lapse
cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build "$root/build-rel" -j2 --target lapse lapsecore >/dev/null
blas_inc=$(dirname "$(find /usr/include -name cblas.h -path '*openblas*' | head -n1)")
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -I"$root/include" -I"$blas_inc" \
    "$root/bench/peer_dump.c" "$root/build-rel/liblapsecore.a" \
    -lopenblas -lsvm -lcsv -lz -lm -lpthread -o "$root/build-rel/peer-dump"
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'); load $(cut -d' ' -f1-3 /proc/loadavg)"
mkdir -p "$work"
cd "$work"
snaps=2026-03-02,2026-04-01,2026-05-01,2026-05-31
valid=2026-05-31
[[ -s sim/truth.csv ]] ||
    "$bin" simulate -q --seed 7 --users "$users" --days 180 --start 2026-01-01 -@ 2 -o sim
[[ -s features.csv ]] || "$bin" extract -q --asof "$snaps" -@ 2 -o features.csv sim/events.csv.gz

# wall SECONDS of a command (stdout and stderr to the files given)
timed() {
    local out=$1 errf=$2 s e
    shift 2
    s=$(date +%s.%N)
    "$@" >"$out" 2>"$errf"
    e=$(date +%s.%N)
    awk -v a="$s" -v b="$e" 'BEGIN { printf "%.1f", b - a }'
}
# the validation rows of a lapse score output
valid_rows() { awk -F, -v d="$valid" 'NR == 1 || ($2 == d && $NF != "")' "$1"; }

echo
echo "== lapse vs scikit-learn (train --seed 1, defaults) =="
for model in logistic svm; do
    t=$(timed /dev/null "$model.txt" "$bin" train --model "$model" --seed 1 -o "$model.model" features.csv)
    echo "lapse train --model $model: $t s wall; $(grep -E '^classifier' "$model.txt")"
    grep -E '^calibration:' "$model.txt" | sed 's/^/  /'
    "$bin" score -q -m "$model.model" --no-reasons -@ 2 -o "$model.scored.csv" features.csv
    mkdir -p "peer-$model"
    "$root/build-rel/peer-dump" "$model.model" features.csv 15000 1 "peer-$model" 2>/dev/null
done
# C and gamma as the model holds them (full precision in the options line)
opts=$("$bin" model show svm.model | sed -n 's/^options: *//p')
C=$(tr ' ' '\n' <<<"$opts" | sed -n 's/^C=//p')
gamma=$(tr ' ' '\n' <<<"$opts" | sed -n 's/^gamma=//p')
max_train=$(tr ' ' '\n' <<<"$opts" | sed -n 's/^max_train=//p')
"$root/build-rel/peer-dump" svm.model features.csv "$max_train" 1 peer-svm 2>/dev/null
cp peer-logistic/weights.csv peer-svm/
"$py" "$root/bench/sklearn_compare.py" sklearn features.csv peer-svm "$C" "$gamma" 1 \
    logistic.scored.csv svm.scored.csv

[[ -n $b1 ]] || exit 0
echo
echo "== svm-train -b 1 vs lapse train --model svm --max-train $b1 (same $b1 rows) =="
mkdir -p b1
t=$(timed /dev/null b1/lapse.txt "$bin" train --model svm --seed 1 --max-train "$b1" -o b1/svm.model features.csv)
echo "lapse train --model svm --max-train $b1: $t s wall; $(grep -E '^classifier' b1/lapse.txt)"
grep -E '^calibration:' b1/lapse.txt | sed 's/^/  /'
echo "  validation, cross-fitted (each fold calibrated on the others): $(grep -E '^(AUC-ROC|ECE)' b1/lapse.txt | tr -s ' ' | tr '\n' ' ')"
opts=$("$bin" model show b1/svm.model | sed -n 's/^options: *//p')
C=$(tr ' ' '\n' <<<"$opts" | sed -n 's/^C=//p')
gamma=$(tr ' ' '\n' <<<"$opts" | sed -n 's/^gamma=//p')
"$root/build-rel/peer-dump" b1/svm.model features.csv "$b1" 1 b1 2>/dev/null
"$py" "$root/bench/sklearn_compare.py" libsvm-files features.csv b1 b1 >/dev/null
read -r w0 w1 <b1/weights.txt
"$bin" score -q -m b1/svm.model --no-reasons -@ 2 -o b1/lapse.scored.csv features.csv
valid_rows b1/lapse.scored.csv >b1/lapse.valid.csv
valid_rows b1/lapse.scored.csv | tail -n +2 | cut -d, -f3 >b1/p_lapse.txt
echo "svm-train -b 1 -s 0 -t 2 -c $C -g $gamma -w0 $w0 -w1 $w1 -e 0.001 -m 200 -h 1"
t=$(timed b1/svm-train.txt b1/svm-train.err svm-train -b 1 -s 0 -t 2 -c "$C" -g "$gamma" \
    -w0 "$w0" -w1 "$w1" -e 0.001 -m 200 -h 1 b1/train.libsvm b1/libsvm.model)
echo "svm-train -b 1: $t s wall; $(grep -E '^nSV|^total_sv' b1/libsvm.model | tr '\n' ' ')$(grep -E '^rho|^probA|^probB|^gamma' b1/libsvm.model | tr '\n' ' ')"
svm-predict -b 1 b1/valid.libsvm b1/libsvm.model b1/libsvm.pred >/dev/null
# svm-predict -b 1 writes "labels 0 1" or "labels 1 0" first; take P(1).
awk 'NR == 1 { for (i = 2; i <= NF; i++) if ($i == "1") c = i; next } { print $c }' \
    b1/libsvm.pred >b1/p_libsvm.txt
"$py" "$root/bench/sklearn_compare.py" eval b1/valid_labels.txt \
    "lapse (calibrated on these rows: in-sample)=b1/p_lapse.txt" \
    "svm-train -b 1 (internal 5-fold Platt)=b1/p_libsvm.txt"
echo "lapse eval on lapse's validation rows (in-sample calibration, as above):"
"$bin" eval b1/lapse.valid.csv | grep -E '^(AUC-ROC|ECE)' | sed 's/^/  /'

#!/usr/bin/env bash
# lapse score benchmark: one RBF model and one logistic model on the same
# generated users, lapse against its peers in the same run.
#
#   bench/score.sh [--rows N] [--predict P] [--svs S] [--features D]
#                  [--threads 1,2,...] [--reps R] [--dir DIR] [--reasons yes|no]
#
# SVM: `svm-predict -b 1` on the first P rows (it is slow: rows/s are
# measured there, not extrapolated); `lapse score` on all N rows with the
# exact kernel on each thread count, and --fast, with and without reasons.
# Logistic: in memory (lapse_score_rows against numpy's X @ w when
# /usr/bin/python3 has numpy), and end to end from the CSV table (MB/s and
# users/s) against liblinear's `predict -b 1` when installed. Medians of R
# runs. Also checks the probabilities: lapse --fast against lapse exact
# against svm-predict -b 1 on the first P rows.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=1000000 predict=100000 svs=6000 features=40 threads=1,2 reps=3 dir= reasons_runs=yes
while [[ $# -gt 0 ]]; do
    case $1 in
    --rows) rows=$2 ;; --predict) predict=$2 ;; --svs) svs=$2 ;; --features) features=$2 ;;
    --threads) threads=$2 ;; --reps) reps=$2 ;; --dir) dir=$2 ;; --reasons) reasons_runs=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
# LAPSE_BENCH_NO_BUILD=1 uses the binaries already in build-rel (a machine
# without the -dev packages, given the shared libraries on LD_LIBRARY_PATH).
if [[ -z ${LAPSE_BENCH_NO_BUILD:-} ]]; then
    cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
    cmake --build "$root/build-rel" -j2 --target lapse lapsecore >/dev/null
    blas_inc=$(dirname "$(find /usr/include -name cblas.h -path '*openblas*' | head -n1)")
    svm_inc=$(dirname "$(find /usr/include -name svm.h | head -n1)")
    cc -O2 -std=c11 -Wall -Wextra -I"$root/include" -I"$blas_inc" -I"$svm_inc" \
        "$root/bench/score_bench.c" "$root/build-rel/liblapsecore.a" \
        -lopenblas -lsvm -lcsv -lz -lm -lpthread -o "$root/build-rel/score-bench"
fi
bench="$root/build-rel/score-bench" lapse="$root/build-rel/lapse"
[[ -n $dir ]] || dir=$(mktemp -d)
mkdir -p "$dir"
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
echo "data: $rows users x $features features, RBF model with $svs support vectors (in $dir)"
[[ -s $dir/table.csv && $(($(wc -l <"$dir/table.csv") - 2)) == "$rows" ]] ||
    "$bench" gen "$dir" --rows "$rows" --predict "$predict" --svs "$svs" --features "$features"
head -n $((predict + 2)) "$dir/table.csv" >"$dir/head.csv"
mb=$(du -m "$dir/table.csv" | cut -f1)

# time_median CMD...: the median wall seconds of $reps runs.
time_median() {
    local t=()
    for ((r = 0; r < reps; r++)); do
        local s e
        s=$(date +%s.%N)
        "$@" >/dev/null
        e=$(date +%s.%N)
        t+=("$(awk -v a="$s" -v b="$e" 'BEGIN { print b - a }')")
    done
    printf '%s\n' "${t[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }

echo
echo "SVM ($svs SVs, $features features), rows/s (median of $reps):"
t=$(time_median svm-predict -b 1 "$dir/rows.libsvm" "$dir/rbf.libsvm" "$dir/pred.txt")
base=$(rate "$predict" "$t")
printf '  %-44s %10s rows/s  (%s rows)\n' "svm-predict -b 1" "$base" "$predict"
IFS=, read -r -a tlist <<<"$threads"
for mode in "" "--fast"; do
    reason_modes=("--no-reasons")
    [[ $reasons_runs == no ]] || reason_modes+=("")
    for reasons in "${reason_modes[@]}"; do
        for th in "${tlist[@]}"; do
            t=$(time_median "$lapse" score -q -m "$dir/rbf.model" $mode $reasons -@ "$th" "$dir/table.csv")
            r=$(rate "$rows" "$t")
            printf '  %-44s %10s rows/s  %5.1fx svm-predict\n' \
                "lapse score ${mode:-exact} ${reasons:---reasons 3} -@$th" "$r" \
                "$(awk -v a="$r" -v b="$base" 'BEGIN { print a / b }')"
        done
    done
done

# Probabilities on the first P rows: exact vs svm-predict -b 1 (6 digits
# printed by svm-predict), --fast vs exact.
"$lapse" score -q -m "$dir/rbf.model" --no-reasons "$dir/head.csv" | tail -n +2 | cut -d, -f3 >"$dir/p_exact.txt"
"$lapse" score -q -m "$dir/rbf.model" --no-reasons --fast "$dir/head.csv" | tail -n +2 | cut -d, -f3 >"$dir/p_fast.txt"
tail -n +2 "$dir/pred.txt" | cut -d' ' -f2 >"$dir/p_libsvm.txt"
echo "  max |p exact - p svm-predict| (svm-predict prints 6 digits): $(paste "$dir/p_exact.txt" "$dir/p_libsvm.txt" | awk '{ d = $1 - $2; d = d < 0 ? -d : d; if (d > m) m = d } END { printf "%.2g", m }')"
echo "  max |p fast - p exact|: $(paste "$dir/p_fast.txt" "$dir/p_exact.txt" | awk '{ d = $1 - $2; d = d < 0 ? -d : d; if (d > m) m = d } END { printf "%.2g", m }')"
echo "  -@ outputs identical: $(for th in "${tlist[@]}"; do "$lapse" score -q -m "$dir/rbf.model" -@ "$th" "$dir/head.csv" | md5sum; done | sort -u | wc -l | sed 's/^1$/yes/')"

echo
echo "Logistic ($features features):"
SCORE_BENCH_MATRIX="$dir/matrix.f64" "$bench" mem --rows "$rows" --features "$features" \
    --threads "$threads" --reps "$reps"
if /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
    /usr/bin/python3 - "$dir/matrix.f64" "$rows" "$features" "$reps" <<'PY'
import sys, time, numpy as np
path, n, d, reps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
X = np.fromfile(path).reshape(n, d)
w = np.random.default_rng(1).standard_normal(d)
t = []
for _ in range(reps):
    s = time.perf_counter(); f = X @ w; t.append(time.perf_counter() - s)
t2 = []
for _ in range(reps):
    s = time.perf_counter(); p = 1 / (1 + np.exp(-(X @ w - 0.25))); t2.append(time.perf_counter() - s)
print("  numpy X @ w: %.1fM rows/s; with the sigmoid: %.1fM rows/s" % (n / np.median(t) / 1e6, n / np.median(t2) / 1e6))
PY
else
    echo "  (numpy not available for /usr/bin/python3: no numpy figure)"
fi
rm -f "$dir/matrix.f64"
echo "  end to end from CSV ($mb MB, $rows users):"
for th in "${tlist[@]}"; do
    t=$(time_median "$lapse" score -q -m "$dir/logistic.model" -@ "$th" "$dir/table.csv")
    printf '    lapse score -@%-3s %8.1f MB/s %10s users/s\n' "$th" "$(awk -v a="$mb" -v b="$t" 'BEGIN { print a / b }')" "$(rate "$rows" "$t")"
done
llpredict=$(command -v liblinear-predict || command -v predict || true)
if [[ -n $llpredict ]]; then
    pmb=$(du -m "$dir/rows.libsvm" | cut -f1)
    t=$(time_median "$llpredict" -b 1 "$dir/rows.libsvm" "$dir/logistic.liblinear" "$dir/lpred.txt")
    printf '    liblinear predict -b 1 (%s rows, %s MB libsvm text): %.1f MB/s %s users/s\n' \
        "$predict" "$pmb" "$(awk -v a="$pmb" -v b="$t" 'BEGIN { print a / b }')" "$(rate "$predict" "$t")"
else
    echo "    (liblinear-tools not installed: no predict figure)"
fi

#!/usr/bin/env bash
# SVM scoring and training against libsvm-tools' svm-predict and svm-train,
# same rows, same model, one run (bench/svm_bench.c says what it measures).
#   bench/svm_score.sh [svm_bench options], e.g.
#   OPENBLAS_CORETYPE=SkylakeX bench/svm_score.sh --train 8000 --score 1000000 --predict 20000 --threads 2
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
command -v svm-predict >/dev/null || { echo "needs svm-predict: apt-get install -y libsvm-tools" >&2; exit 2; }
cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build-rel" -j2 --target lapsecore >/dev/null
blas_inc=$(dirname "$(find /usr/include -name cblas.h -path '*openblas*' | head -1)")
cc -O2 -std=c11 -I"$root/include" -I/usr/include/libsvm -I"$blas_inc" "$root/bench/svm_bench.c" \
   "$root/build-rel/liblapsecore.a" -lsvm -lopenblas -lpthread -lm -o "$root/build-rel/svm_bench"
echo "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'); OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
echo "command: bench/svm_score.sh $*"
exec "$root/build-rel/svm_bench" "$@"

#!/usr/bin/env bash
# Train numerics benchmark: builds lapsecore in Release (build-rel), compiles
# bench/learn.c against it and runs it. Arguments go to the program, e.g.
#   bench/learn.sh --rows 1000000 --cols 60 --threads 2 --reps 3
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build "$root/build-rel" -j2 --target lapsecore >/dev/null
blas_inc=$(dirname "$(find /usr/include -name cblas.h -path '*openblas*' | head -n1)")
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -I"$root/include" -I"$root/src/base" \
    -I"$blas_inc" "$root/bench/learn.c" "$root/build-rel/liblapsecore.a" \
    -lopenblas -lsvm -lcsv -lz -lm -lpthread -o "$root/build-rel/bench-learn"
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
"$root/build-rel/bench-learn" "$@"

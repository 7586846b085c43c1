#!/usr/bin/env bash
# Builds static x86-64 binaries of lapse and the bench helpers into
# .device/bin, and copies libsvm-tools' svm-predict with its libraries into
# .device/lib, for bench/device.sh on a machine without lapse's packages.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build build-rel -j"$(nproc)" >/dev/null
mkdir -p .device/bin .device/lib
libdir=/usr/lib/x86_64-linux-gnu
blas=$(readlink -f $libdir/libopenblas.a)
libs=("$root/build-rel/liblapsecore.a" $libdir/libsvm.a $libdir/libcsv.a "$blas" $libdir/libz.a
      -lgfortran -lpthread -lm)
blas_inc=$(dirname "$(find /usr/include -name cblas.h -path '*openblas*' | head -n1)")
g++ -static -O2 -o .device/bin/lapse $(find build-rel/CMakeFiles/lapse.dir -name '*.o') "${libs[@]}" 2>/dev/null
gcc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -I"$blas_inc" -I/usr/include/libsvm -c \
    bench/score_bench.c -o build-rel/score_bench.o
g++ -static -O2 -o .device/bin/score-bench build-rel/score_bench.o "${libs[@]}" 2>/dev/null
gcc -static -O2 bench/floor.c -lcsv -lz -o .device/bin/floor
gcc -static -O2 bench/rusage.c -o .device/bin/rusage
strip .device/bin/lapse .device/bin/score-bench .device/bin/floor .device/bin/rusage
cp /usr/bin/svm-predict .device/bin/
for lib in libsvm.so.3 libstdc++.so.6 libgcc_s.so.1; do cp -L $libdir/$lib .device/lib/; done
ls -la .device/bin .device/lib

#!/usr/bin/env bash
# BG/NBD fit and score on N synthetic customers (default 1M), and the scipy
# peer on the same table when python3-scipy is installed.
#   bench/btyd.sh [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build "$root/build-rel" -j2 --target lapsecore >/dev/null
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -I"$root/include" "$root/bench/btyd_bench.c" \
    "$root/build-rel/liblapsecore.a" -lnlopt -lopenblas -lsvm -lcsv -lz -lm -lpthread \
    -o "$root/build-rel/btyd-bench"
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
table=$(mktemp --suffix=.csv)
trap 'rm -f "$table"' EXIT
"$root/build-rel/btyd-bench" "${1:-1000000}" "$table"
for py in python3 /usr/bin/python3; do
    if "$py" -c "import scipy" 2>/dev/null; then
        "$py" "$root/bench/btyd_scipy.py" "$table"
        break
    fi
done

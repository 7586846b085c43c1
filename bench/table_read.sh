#!/usr/bin/env bash
# The feature-table reader alone, by thread count: lapse_table_reader over
# TABLE (CSV, gzip or a binary table's .npy) in batches of 2048 rows, with
# its rows parsed on 1, 2, ... threads (lapse_table_reader_set_threads),
# medians of REPS; every count must read the same rows (one hash).
#
#   bench/table_read.sh TABLE [THREADS] [REPS]     (THREADS default 1,2; REPS 7)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
table=${1:?usage: bench/table_read.sh TABLE [THREADS] [REPS]}
cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF > /dev/null
cmake --build "$root/build-rel" -j2 --target lapsecore > /dev/null
bin=$root/build-rel/table-read
cc -O2 -std=c11 -Wall -Wextra -I"$root/include" "$here/table_read.c" \
  "$root/build-rel/liblapsecore.a" -lopenblas -lsvm -lcsv -lz -lzstd -lyajl -lm -lpthread \
  $(pkg-config --libs libisal 2> /dev/null || true) -o "$bin"
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "table: $table ($(( $(stat -c %s "$table") / 1000000 )) MB)"
"$bin" "$table" "${2:-1,2}" "${3:-7}"

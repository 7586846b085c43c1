#!/usr/bin/env bash
# Thread scaling on a many-core machine that has none of lapse's packages:
# runs the simulator, extract and score benchmarks with static binaries built
# elsewhere (bench/static.sh puts them in .device/bin), writing to $OUT or
# /tmp. The figures go to bench/RESULTS.md with the machine line it prints.
#
#   bench/device.sh extract   simulator (100k users -@1/-@all, 1M users -@all)
#                             and extract (gzip -dc, floor, -@1..-@all)
#   bench/device.sh extract-files
#                             the same 100k users as 16 files (--files 16) and
#                             bench/extract_files.sh on them, -@1..-@all
#   bench/device.sh score     bench/score.sh on 200k users, -@1..-@all
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$root/.device/bin
out=${OUT:-/tmp}
export PATH=$bin:$PATH LD_LIBRARY_PATH=$root/.device/lib
all=$(nproc)
threads="1 2 4 8 $all"
work=/tmp/lapse-device
mkdir -p "$work"
echo "machine: $all cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'), OpenBLAS $(lapse --version >/dev/null; echo kernels auto)"

case ${1:-extract} in
extract)
    for t in 1 "$all"; do
        rusage "$work/t" lapse simulate -q --seed 1 --users 100000 --days 180 -@ "$t" -o "$work/sim100k.$t"
        echo "simulate 100000 users x 180 days -@$t: $(cat "$work/t") (wall s, peak KiB, user s, sys s)"
    done
    cmp "$work/sim100k.1/events.csv.gz" "$work/sim100k.$all/events.csv.gz" && echo "  -@1 and -@$all byte-identical"
    rusage "$work/t" lapse simulate -q --seed 1 --users 1000000 --days 180 -@ "$all" -o "$work/sim1m"
    echo "simulate 1000000 users x 180 days -@$all: $(cat "$work/t") (wall s, peak KiB, user s, sys s)"
    echo "  events: $(($(gzip -dc "$work/sim1m/events.csv.gz" | wc -l) - 1))"
    rm -rf "$work/sim1m"
    ASOF=2026-06-30 THREADS="$threads" FLOOR_BIN=$bin/floor RUSAGE_BIN=$bin/rusage LAPSE_BIN=$bin/lapse \
        bash "$root/bench/extract.sh" "$work/sim100k.1/events.csv.gz" 3
    ;;
extract-files)
    rusage "$work/t" lapse simulate -q --seed 1 --users 100000 --days 180 --files 16 -@ "$all" \
        -o "$work/sim100k.files16"
    echo "simulate 100000 users x 180 days --files 16 -@$all: $(cat "$work/t") (wall s, peak KiB, user s, sys s)"
    ASOF=2026-06-30 THREADS="$threads" RUSAGE_BIN=$bin/rusage LAPSE_BIN=$bin/lapse \
        bash "$root/bench/extract_files.sh" "$work/sim100k.files16" 3
    ;;
score)
    mkdir -p "$root/build-rel"
    cp "$bin/lapse" "$bin/score-bench" "$root/build-rel/"
    LAPSE_BENCH_NO_BUILD=1 bash "$root/bench/score.sh" --rows 200000 --predict 10000 \
        --threads "$(echo $threads | tr ' ' ,)" --reps 3 --reasons no --dir "$work/score"
    ;;
esac 2>&1 | tee "$out/device-${1:-extract}.log"

#!/usr/bin/env bash
# Simulator throughput and peak memory: events/s and max RSS for N users x 180
# days with -@ 2, plus a peer in the same run: gzip -1 re-compressing the same
# log (one thread), since deflate is most of the simulator's work.
#
#   bench/simulate.sh [USERS...]        default: 100000
#   LAPSE_BIN=build-rel/lapse bench/simulate.sh 100000 1000000
#
# Prints one line per size with the output's md5 (a fast but wrong run shows).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${LAPSE_BIN:-$root/build-rel/lapse}
if [ ! -x /usr/bin/time ]; then
    apt-get install -y time >/dev/null
fi
if [ ! -x "$bin" ]; then
    cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build-rel" -j2 >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000)

echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
for users in "${sizes[@]}"; do
    cmd=("$bin" simulate --seed 1 --users "$users" --days 180 --start 2026-01-01 -@ 2 -o "$work/out")
    /usr/bin/time -v "${cmd[@]}" 2>"$work/time.txt"
    events=$(sed -n 's/^lapse: [0-9]* users, \([0-9]*\) events.*/\1/p' "$work/time.txt")
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt" |
           awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$work/time.txt")
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
    size=$(stat -c %s "$work/out/events.csv.gz")
    md5=$(md5sum <"$work/out/events.csv.gz" | cut -c1-12)
    awk -v u="$users" -v e="$events" -v w="$wall" -v r="$rss" -v s="$size" -v m="$md5" -v c="$cpu" 'BEGIN {
        printf "simulate %d users x 180 days -@ 2: %d events in %.1f s wall (%.1f s CPU) = " \
               "%.2f M events/s, peak RSS %.0f MB, events.csv.gz %.0f MB, md5 %s\n",
               u, e, w, c, e / w / 1e6, r / 1024, s / 1048576, m }'
    grep '^lapse: snapshot' "$work/time.txt" | head -1
    if [ "$users" -le 200000 ]; then
        # Peer: one gzip -1 over the same CSV text.
        zcat "$work/out/events.csv.gz" >"$work/events.csv"
        start=$(date +%s.%N)
        gzip -1 -c "$work/events.csv" >/dev/null
        end=$(date +%s.%N)
        awk -v e="$events" -v a="$start" -v b="$end" -v w="$wall" 'BEGIN {
            printf "peer gzip -1 (1 thread) on the same CSV: %.1f s = %.2f M events/s; " \
                   "simulate -@ 2 / gzip -1 time ratio %.2f\n", b - a, e / (b - a) / 1e6, w / (b - a) }'
        rm -f "$work/events.csv"
    fi
    rm -rf "$work/out"
done

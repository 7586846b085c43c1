#!/usr/bin/env bash
# Peak memory of lapse extract against its thread count, on a time-ordered
# log (issue 13: every chunk of such a log holds nearly every user, the worst
# case for per-thread state).
#
#   bench/extract_memory.sh [USERS] [REPS]   (env: LAPSE_BIN, BEFORE_BIN, THREADS, KEEP)
#
# Makes the log with `lapse simulate --users USERS --days 180` (default
# 200000 users, about 50M events) and sorts it by timestamp. Then runs, REPS
# times each (default 3), extract with 4 snapshots at each -@ in THREADS
# (default "1 2 4 8"), and with BEFORE_BIN (another build, e.g. main's) the
# same in the same loop, alternating, so load on a shared machine falls on
# both alike. Prints per binary and -@: median wall, median CPU (user+sys),
# the largest peak RSS, and the output's sha256, which must be the same in
# every row. KEEP=DIR keeps the sorted log there (and reuses it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
lapse=${LAPSE_BIN:-$root/build-rel/lapse}
users=${1:-200000}
reps=${2:-3}
threads=${THREADS:-1 2 4 8}
[ -x "$lapse" ] || { echo "build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
data=${KEEP:-$work}
mkdir -p "$data"

echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'); lapse: $lapse${BEFORE_BIN:+; before: $BEFORE_BIN}"
log=$data/sorted-$users.csv.gz
if [ ! -s "$log" ]; then
  "$lapse" simulate -q --users "$users" --days 180 -o "$work/sim"
  # simulate writes each user's events together; sort the rows (not the
  # header) by the ts column, ISO 8601 text, which sorts as time.
  zcat "$work/sim/events.csv.gz" |
    (IFS= read -r h; echo "$h"; LC_ALL=C sort -t, -k2,2 -S 1G -T "$work") | gzip -1 > "$log"
  rm -rf "$work/sim"
fi
echo "log: $log, $users users, $(stat -c %s "$log") bytes gzip"

bins=(new)
[ -n "${BEFORE_BIN:-}" ] && bins+=(before)
asof=2026-03-01,2026-04-01,2026-05-01,2026-05-25
for _ in $(seq "$reps"); do
  for t in $threads; do
    for b in "${bins[@]}"; do
      bin=$lapse
      [ "$b" = before ] && bin=$BEFORE_BIN
      /usr/bin/time -f '%e %U %S %M' -o "$work/t" \
        "$bin" extract -q -@"$t" --asof "$asof" -o "$work/out.csv" "$log"
      echo "$b $t $(cat "$work/t") $(sha256sum < "$work/out.csv" | cut -c1-16)" >> "$work/runs"
    done
  done
done

printf '%-7s %3s %9s %9s %10s  %s\n' binary -@ wall-s cpu-s peak-MB sha256
for b in "${bins[@]}"; do
  for t in $threads; do
    awk -v b="$b" -v t="$t" '$1 == b && $2 == t' "$work/runs" > "$work/rows"
    med() { sort -n | sed -n "$(( (reps + 1) / 2 ))p"; }
    wall=$(awk '{ print $3 }' "$work/rows" | med)
    cpu=$(awk '{ printf "%.2f\n", $4 + $5 }' "$work/rows" | med)
    rss=$(awk '{ if ($6 > m) m = $6 } END { print m }' "$work/rows")
    hash=$(awk '{ print $7 }' "$work/rows" | sort -u | tr '\n' ' ')
    printf '%-7s %3s %9s %9s %10.1f  %s\n' "$b" "$t" "$wall" "$cpu" "$(echo "$rss / 1024" | bc -l)" "$hash"
  done
done
[ "$(awk '{ print $7 }' "$work/runs" | sort -u | wc -l)" = 1 ] || { echo "outputs differ" >&2; exit 1; }

#!/usr/bin/env bash
# Map + merge (lapse extract --partial / --merge) against one lapse extract,
# on the same machine and log: CPU seconds, the bytes of partial state, and
# per-stage rates for a paper estimate of a cluster (bench/RESULTS.md).
#
#   bench/extract_partial.sh [USERS] [DAYS] [REPS]   (env: LAPSE_BIN, RUSAGE_BIN, MAPS, BUCKETS)
#
# Simulates USERS users over DAYS days (defaults 20000, 120), splits the log
# into one gzip file a day (users span files), and runs REPS times each
# (default 3), reporting medians:
#   extract  one lapse extract over every file (-@1)
#   map      MAPS maps (default 8), each over its share of the days, each
#            writing BUCKETS bucket files (default 16), one after another
#   combine  one --merge --partial per bucket (every map's file of it)
#   gather   one --merge of the combined files into the table
#   merge1   one --merge of every map's file at once (a single reducer)
# once with the repeat check (the default: each bucket file carries the
# hashes of its distinct rows) and once with --no-repeat-check. Every
# merged table is checked byte-identical to the extract's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
lapse=${LAPSE_BIN:-$root/build-rel/lapse}
users=${1:-20000}
days=${2:-120}
reps=${3:-3}
maps=${MAPS:-8}
buckets=${BUCKETS:-16}
[ -x "$lapse" ] || { echo "build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C
source "$here/run_median.sh"

"$lapse" simulate -q --seed 11 --users "$users" --days "$days" -o "$work/sim"
mkdir "$work/logs"
gzip -dc "$work/sim/events.csv.gz" | awk -F, -v dir="$work/logs" 'NR == 1 { header = $0; next }
    { f = dir "/day-" substr($2, 1, 10) ".csv"; if (!(f in seen)) { print header > f; seen[f] = 1 }
      print > f }'
gzip -1 -n "$work"/logs/*.csv
files=("$work"/logs/*.gz)
n=${#files[@]}
bytes=$(gzip -dc "${files[@]}" | wc -c)
events=$(( $(gzip -dc "${files[@]}" | wc -l) - n ))
# The last snapshot 30 days before the end, so labels are on.
asof=$(date -u -d "2026-01-01 + $((days - 31)) days" +%F),$(date -u -d "2026-01-01 + $((days - 61)) days" +%F)
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'), shared with other jobs"
echo "log: $n daily files, $((bytes / 1000000)) MB CSV, $events events, $users users; asof $asof; $maps maps x $buckets buckets; $reps reps, medians"

# mapping MODE: the map, combine, gather and merge1 commands as scripts (so
# that each stage is timed as one process tree).
per=$(( (n + maps - 1) / maps ))
stages() {
  local mode=$1 d=$work/$1 opt=""
  [ "$mode" = norepeat ] && opt=--no-repeat-check
  {
    echo "rm -rf $d/maps && mkdir -p $d/maps"
    for ((m = 0; m < maps; m++)); do
      local group=("${files[@]:$((m * per)):$per}")
      [ ${#group[@]} -gt 0 ] && echo "$lapse extract -q $opt --partial --buckets $buckets --asof $asof -o $d/maps/m$m ${group[*]}"
    done
  } > "$d.map.sh"
  {
    echo "rm -rf $d/combined && mkdir -p $d/combined"
    for ((b = 0; b < buckets; b++)); do
      echo "$lapse extract -q --merge --partial -o $d/combined $d/maps/*/*.bucket-$(printf %04d "$b")-of-*"
    done
  } > "$d.combine.sh"
  echo "$lapse extract -q --merge -o $d/gathered.csv $d/combined/*" > "$d.gather.sh"
  echo "$lapse extract -q --merge -o $d/merged1.csv $d/maps/*/*" > "$d.merge1.sh"
}

results=$work/results
# The fixed cost of one more lapse process (loading, the category map),
# which small maps pay once each.
printf '%s\n' "$(gzip -dc "${files[0]}" | head -2)" > "$work/tiny.csv"
run startup "$lapse" extract -q --no-labels --asof "${asof%%,*}" -o "$work/tiny.out" "$work/tiny.csv" >> "$results"
for mode in repeat norepeat; do
  mkdir -p "$work/$mode"
  stages "$mode"
  opt=""
  [ "$mode" = norepeat ] && opt=--no-repeat-check
  {
    run "$mode.extract" "$lapse" extract -q $opt --asof "$asof" -o "$work/$mode/single.csv" "${files[@]}"
    for s in map combine gather merge1; do
      run "$mode.$s" bash "$work/$mode.$s.sh"
    done
  } >> "$results"
  cmp "$work/$mode/single.csv" "$work/$mode/gathered.csv" || { echo "$mode: combined+gather differs from extract" >&2; exit 1; }
  cmp "$work/$mode/single.csv" "$work/$mode/merged1.csv" || { echo "$mode: merge differs from extract" >&2; exit 1; }
  map_bytes=$(cat "$work/$mode"/maps/*/* | wc -c)
  pairs=0 # (map, user) pairs: each map's users summed
  for ((m = 0; m < maps; m++)); do
    group=("${files[@]:$((m * per)):$per}")
    [ ${#group[@]} -gt 0 ] || continue
    pairs=$((pairs + $(gzip -dc "${group[@]}" | grep -v '^user_id,' | cut -d, -f1 | sort -u | wc -l)))
  done
  echo "$mode.bytes $map_bytes $pairs" >> "$results"
done

printf '%-18s %8s %8s %9s\n' stage wall_s cpu_s peak_MB
while read -r name wall rss cpu; do
  case $name in *.bytes) continue ;; esac
  printf '%-18s %8.2f %8.2f %9.1f\n' "$name" "$wall" "$cpu" "$(awk -v r="$rss" 'BEGIN { print r / 1024 }')"
done < "$results"
for mode in repeat norepeat; do
  awk -v m="$mode" -v u="$users" -v ev="$events" -v mb="$bytes" '
    $1 == m ".extract" { ext = $4 } $1 == m ".map" { map = $4 } $1 == m ".combine" { comb = $4 }
    $1 == m ".gather" { gat = $4 } $1 == m ".merge1" { one = $4 } $1 == m ".bytes" { b = $2; pairs = $3 }
    END {
      printf "%s: map+merge1 CPU %.2f s = %.2fx extract (%.2f s); map+combine+gather %.2f s = %.2fx\n",
             m, map + one, (map + one) / ext, ext, map + comb + gat, (map + comb + gat) / ext
      printf "%s: partial state %.1f MB from the maps: %.0f bytes per (map, user) pair, %.0f per user, %.1f per event\n",
             m, b / 1e6, b / pairs, b / u, b / ev
      printf "%s: rates per CPU second: map %.1f MB CSV (%.0f events), merge1 %.1f MB of partial state, combine %.1f MB\n",
             m, mb / 1e6 / map, ev / map, b / 1e6 / one, b / 1e6 / comb
    }' "$results"
done

#!/usr/bin/env bash
# Benchmark of lapse extract against its peers, on one gzip event log.
#
#   bench/extract.sh [LOG.gz] [REPS]      (env: LAPSE_BIN, ASOF, LOG10, BEFORE_BIN, NO_PANDAS)
#
# LOG defaults to one made with `lapse simulate --users 100000 --days 180`
# when that command exists. Runs, REPS times each (default 3), and reports
# medians: gzip -dc > /dev/null; bench/floor.c --inflate (zlib alone: the
# ceiling of a pipeline with one inflating thread); bench/floor.c (zlib inflate
# + libcsv parse, no aggregation); lapse extract -@1 and -@2; pandas read_csv + groupby when
# python3 has pandas. Prints MB/s of uncompressed bytes, events/s, ratios to
# gzip -dc, peak RSS and bytes per user. With LOG10 (the same users with 10x
# the events) it also compares peak RSS of the two. Outputs are checked to
# be identical across thread counts (a fast but wrong run is caught). Where
# libisal-dev is installed, `floor --inflate-isal` (ISA-L's igzip alone) and
# extract with LAPSE_INFLATE=zlib ("zlib-@N": the reference inflater, in the
# same loop as the default ISA-L one) are rows too, with the same output. With
# BEFORE_BIN (another build of lapse, e.g. main's) its extract rows run in
# the same loop as "before-@N", and its output must be the same bytes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
lapse=${LAPSE_BIN:-$root/build-rel/lapse}
reps=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -x "$lapse" ] || { echo "build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel" >&2; exit 2; }

log=${1:-}
if [ -z "$log" ]; then
  if "$lapse" simulate --help > /dev/null 2>&1; then
    "$lapse" simulate -q --users 100000 --days 180 -o "$work/sim"
    log=$work/sim/events.csv.gz
  else
    echo "usage: bench/extract.sh LOG.gz [REPS] (no 'lapse simulate' in this build)" >&2
    exit 2
  fi
fi
asof=${ASOF:-}
# FLOOR_BIN: a prebuilt floor (a machine without a compiler or the -dev packages).
floor=${FLOOR_BIN:-$work/floor}
isal=0
[ -e /usr/include/isa-l/igzip_lib.h ] && isal=1
if [ -z "${FLOOR_BIN:-}" ]; then
  if [ "$isal" = 1 ]; then
    cc -O2 -Wall -Wextra -DFLOOR_ISAL "$here/floor.c" -lz -lcsv -lisal -o "$floor"
  else
    cc -O2 -Wall -Wextra "$here/floor.c" -lz -lcsv -o "$floor"
  fi
fi
# THREADS: the thread counts to run extract with (default "1 2").
threads=${THREADS:-1 2}

bytes=$(gzip -dc "$log" | wc -c)
events=$(( $(gzip -dc "$log" | wc -l) - 1 ))
if [ -z "$asof" ]; then
  # The day after the last event: no labels needed, every event counts.
  last=$(gzip -dc "$log" | tail -n +2 | cut -d, -f2 | sort | tail -1)
  asof=$(date -u -d "$(date -u -d "$last" +%F) + 1 day" +%F)
fi

# run NAME CMD...: median wall seconds, max RSS (KB) and CPU seconds over $reps runs.
source "$here/run_median.sh"

echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
echo "log: $log ($(stat -c %s "$log") bytes gzip, $bytes bytes CSV, $events events), asof $asof, $reps reps"
results=$work/results
{
  run "gzip-dc" gzip -dc "$log"
  run "inflate" "$floor" --inflate "$log"
  [ "$isal" = 1 ] && run "inflate-isal" "$floor" --inflate-isal "$log"
  run "floor" "$floor" "$log"
  for t in $threads; do
    run "extract-@$t" "$lapse" extract -q --no-labels --asof "$asof" -@ "$t" -o "$work/out$t.csv" "$log"
    if [ "$isal" = 1 ]; then
      LAPSE_INFLATE=zlib run "zlib-@$t" "$lapse" extract -q --no-labels --asof "$asof" -@ "$t" -o "$work/zlib$t.csv" "$log"
    fi
    if [ -n "${BEFORE_BIN:-}" ]; then
      run "before-@$t" "$BEFORE_BIN" extract -q --no-labels --asof "$asof" -@ "$t" -o "$work/before$t.csv" "$log"
    fi
  done
  if [ -z "${NO_PANDAS:-}" ] && python3 -c 'import pandas' 2> /dev/null; then
    run "pandas" python3 -c "import pandas as pd, sys; d = pd.read_csv(sys.argv[1]); d.groupby(['user_id', 'event']).size()" "$log"
  fi
} > "$results"
for t in $threads; do
  cmp "$work/out1.csv" "$work/out$t.csv" || { echo "-@1 and -@$t outputs differ" >&2; exit 1; }
  if [ "$isal" = 1 ]; then
    cmp "$work/out1.csv" "$work/zlib$t.csv" || { echo "zlib -@$t output differs" >&2; exit 1; }
  fi
  if [ -n "${BEFORE_BIN:-}" ]; then
    cmp "$work/out1.csv" "$work/before$t.csv" || { echo "before -@$t output differs" >&2; exit 1; }
  fi
done
rows=$(( $(wc -l < "$work/out1.csv") - 2 ))
users=$("$lapse" extract --no-labels --asof "$asof" -o "$work/out1.csv" "$log" 2>&1 | sed -n 's/.* \([0-9]*\) users.*/\1/p')
echo "output: $rows rows of $users users, sha256 $(sha256sum < "$work/out1.csv" | cut -c1-16)"
gz_wall=$(awk '$1 == "gzip-dc" {print $2}' "$results")
printf '%-12s %8s %9s %12s %9s %10s %8s\n' peer wall_s MB/s events/s x_gzip peak_MB cpu_s
while read -r name wall rss cpu; do
  awk -v n="$name" -v w="$wall" -v r="$rss" -v c="$cpu" -v b="$bytes" -v e="$events" -v g="$gz_wall" \
    'BEGIN { printf "%-12s %8.2f %9.1f %12.0f %9.2f %10.1f %8.2f\n", n, w, b / w / 1e6, e / w, g / w, r / 1024, c }'
done < "$results"
rss1=$(awk '$1 == "extract-@1" {print $3}' "$results")
echo "extract -@1: $(( rss1 * 1024 / (users > 0 ? users : 1) )) bytes of peak RSS per user (fixed buffers included)"

if [ -n "${LOG10:-}" ]; then
  last10=$(gzip -dc "$LOG10" | tail -n +2 | cut -d, -f2 | sort | tail -1)
  asof10=$(date -u -d "$(date -u -d "$last10" +%F) + 1 day" +%F)
  r10=$(run "extract-10x" "$lapse" extract -q --no-labels --asof "$asof10" -@ 1 -o "$work/out10.csv" "$LOG10")
  read -r _ _ rss10 _ <<< "$r10"
  ev10=$(( $(gzip -dc "$LOG10" | wc -l) - 1 ))
  echo "memory: $events events -> $rss1 KB; $ev10 events (same users) -> $rss10 KB; ratio $(awk -v a="$rss10" -v b="$rss1" 'BEGIN { printf "%.3f", a / b }')"
fi

#!/usr/bin/env bash
# Benchmark of lapse extract against its peers on a log partitioned by user
# into several gzip files, as `lapse simulate --files N` writes it (and as
# exports from Kafka, Hive or Spark jobs arrive): extract -@T reads up to T
# files at once, where one gzip stream inflates on one thread.
#
#   bench/extract_files.sh LOGDIR [REPS]   (env: LAPSE_BIN, RUSAGE_BIN, THREADS, ASOF, PYTHON)
#
# Over LOGDIR/events-*.csv.gz, runs REPS times each (default 3) and reports
# medians: `gzip -dc` of every file in one process (the single-thread peer);
# lapse extract --no-labels -@T for each T in THREADS (default "1 2"); pandas
# (one process: read_csv of every file, concat, groupby user and event) when
# PYTHON (default python3) has it. Prints MB/s of uncompressed CSV, events/s,
# ratios to gzip -dc and to pandas, and peak RSS. Outputs are checked to be
# identical across thread counts (a fast but wrong run is caught).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
lapse=${LAPSE_BIN:-$root/build-rel/lapse}
python=${PYTHON:-python3}
threads=${THREADS:-1 2}
[ $# -ge 1 ] && [ -d "$1" ] || { echo "usage: bench/extract_files.sh LOGDIR [REPS] (LOGDIR from lapse simulate --files N)" >&2; exit 2; }
dir=$1
reps=${2:-3}
[ -x "$lapse" ] || { echo "build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel" >&2; exit 2; }
shopt -s nullglob
files=("$dir"/events-*.csv.gz)
shopt -u nullglob
[ ${#files[@]} -gt 0 ] || { echo "no events-*.csv.gz in $dir (make them with lapse simulate --files N)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

bytes=$(gzip -dc "${files[@]}" | wc -c)
events=$(( $(gzip -dc "${files[@]}" | wc -l) - ${#files[@]} )) # one header per file
gz_bytes=$(cat "${files[@]}" | wc -c)
asof=${ASOF:-}
if [ -z "$asof" ]; then
  # The day after the last event: no labels needed, every event counts.
  last=$(for f in "${files[@]}"; do gzip -dc "$f" | tail -n +2; done | cut -d, -f2 | sort | tail -1)
  asof=$(date -u -d "$(date -u -d "$last" +%F) + 1 day" +%F)
fi

# run NAME CMD...: median wall seconds, max RSS (KB) and CPU seconds over $reps runs.
source "$here/run_median.sh"

echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
echo "log: $dir, ${#files[@]} files ($gz_bytes bytes gzip, $bytes bytes CSV, $events events), asof $asof, $reps reps"
have_pandas=0
if "$python" -c 'import pandas' 2> /dev/null; then
  have_pandas=1
else
  echo "pandas: skipped ($python has no pandas; set PYTHON to an interpreter that has it)"
fi
results=$work/results
{
  run "gzip-dc" gzip -dc "${files[@]}"
  for t in $threads; do
    run "extract-@$t" "$lapse" extract -q --no-labels --asof "$asof" -@ "$t" -o "$work/out$t.csv" "${files[@]}"
  done
  if [ "$have_pandas" = 1 ]; then
    run "pandas" "$python" -c "import pandas as pd, sys
d = pd.concat([pd.read_csv(f) for f in sys.argv[1:]], ignore_index=True)
d.groupby(['user_id', 'event']).size()" "${files[@]}"
  fi
} > "$results"
first=${threads%% *}
for t in $threads; do
  cmp "$work/out$first.csv" "$work/out$t.csv" || { echo "-@$first and -@$t outputs differ" >&2; exit 1; }
done
rows=$(( $(wc -l < "$work/out$first.csv") - 2 ))
echo "output: $rows rows, identical for -@ $(echo $threads | tr ' ' /), sha256 $(sha256sum < "$work/out$first.csv" | cut -c1-16)"
gz_wall=$(awk '$1 == "gzip-dc" {print $2}' "$results")
pd_wall=$(awk '$1 == "pandas" {print $2}' "$results")
printf '%-12s %8s %9s %12s %8s %9s %10s %8s\n' peer wall_s MB/s events/s x_gzip x_pandas peak_MB cpu_s
while read -r name wall rss cpu; do
  awk -v n="$name" -v w="$wall" -v r="$rss" -v c="$cpu" -v b="$bytes" -v e="$events" -v g="$gz_wall" -v p="$pd_wall" \
    'BEGIN { if (w <= 0) w = 0.01 # under the timer resolution
             xp = p == "" ? "-" : sprintf("%.2f", p / w)
             printf "%-12s %8.2f %9.1f %12.0f %8.2f %9s %10.1f %8.2f\n", n, w, b / w / 1e6, e / w, g / w, xp, r / 1024, c }'
done < "$results"

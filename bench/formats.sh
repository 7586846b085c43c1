#!/usr/bin/env bash
# Input formats (issue 12): lapse extract -@1 on one log as CSV.gz, CSV.zst,
# JSON lines and JSONL.zst, against `gzip -dc` and `zstd -dc` alone, a
# python json.loads loop over the JSON lines (what a data team would write
# to convert them), and bench/json_floor.c (yajl's parser alone on the
# same lines: the floor of lapse's JSON reader). Two more lapse runs with
# --no-repeat-check, on the JSON lines and on the plain CSV, tell the repeat
# check's share and extract's own work apart from any JSON parse.
#
#   bench/formats.sh [USERS] [DAYS] [REPS]   (env: LAPSE_BIN, PYTHON)
#
# Simulates USERS (default 20000) over DAYS (120), converts the log, then
# runs every case once per round, REPS rounds (default 3), alternating, and
# prints the medians of wall and of CPU (user + system) seconds, and MB/s of
# uncompressed input (each format's own text) by CPU time: per core, and
# fair on a machine shared with other work, where wall time also counts
# waiting for a core.
# The feature tables of the four lapse runs must match but for the meta line.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
lapse=${LAPSE_BIN:-$root/build-rel/lapse}
python=${PYTHON:-python3}
users=${1:-20000}
days=${2:-120}
reps=${3:-3}
[ -x "$lapse" ] || { echo "build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$lapse" simulate --users "$users" --days "$days" -o "$work/sim" > /dev/null 2>&1
gzip -dc "$work/sim/events.csv.gz" > "$work/events.csv"
zstd -q -3 -c "$work/events.csv" > "$work/events.csv.zst"
cp "$work/sim/events.csv.gz" "$work/events.csv.gz"
# Segment-like keys; empty fields left out; amounts as numbers.
awk -F, 'NR > 1 { printf "{\"userId\":\"%s\",\"timestamp\":\"%s\",\"event\":\"%s\"", $1, $2, $3
                  if ($4 != "") printf ",\"properties\":{\"revenue\":%s}", $4
                  if ($5 != "") printf ",\"session_id\":\"%s\"", $5
                  if ($6 != "") printf ",\"device_id\":\"%s\"", $6
                  print "}" }' "$work/events.csv" > "$work/events.jsonl"
zstd -q -3 -c "$work/events.jsonl" > "$work/events.jsonl.zst"
asof=$(tail -n +2 "$work/events.csv" | cut -d, -f2 | cut -c1-10 | sort | tail -1)
cc -O2 -Wall -Wextra "$here/json_floor.c" -lyajl -o "$work/json_floor"
cat > "$work/loads.py" <<'PY'
import json, sys
n = 0
with open(sys.argv[1], "rb") as f:
    for line in f:
        json.loads(line)
        n += 1
print(n)
PY

csv_mb=$(stat -c %s "$work/events.csv")
jsonl_mb=$(stat -c %s "$work/events.jsonl")
cases=(lapse_csv_gz lapse_csv_zst lapse_jsonl lapse_jsonl_zst lapse_jsonl_norc lapse_csv_norc gzip_dc zstd_dc
       zstd_dc_jsonl python_json_loads yajl_parser)
declare -A size cmd times cpus
for c in "${cases[@]}"; do size[$c]=$csv_mb; done
for c in lapse_jsonl lapse_jsonl_zst lapse_jsonl_norc zstd_dc_jsonl python_json_loads yajl_parser; do
  size[$c]=$jsonl_mb
done
x="$lapse extract -q -@1 --no-labels --asof $asof"
cmd[lapse_csv_gz]="$x -o $work/out_csv_gz $work/events.csv.gz"
cmd[lapse_csv_zst]="$x -o $work/out_csv_zst $work/events.csv.zst"
cmd[lapse_jsonl]="$x -o $work/out_jsonl $work/events.jsonl"
cmd[lapse_jsonl_zst]="$x -o $work/out_jsonl_zst $work/events.jsonl.zst"
cmd[lapse_jsonl_norc]="$x --no-repeat-check -o $work/out_jsonl_norc $work/events.jsonl"
cmd[lapse_csv_norc]="$x --no-repeat-check -o $work/out_csv_norc $work/events.csv"
cmd[gzip_dc]="gzip -dc $work/events.csv.gz"
cmd[zstd_dc]="zstd -q -dc $work/events.csv.zst"
cmd[zstd_dc_jsonl]="zstd -q -dc $work/events.jsonl.zst"
cmd[python_json_loads]="$python $work/loads.py $work/events.jsonl"
cmd[yajl_parser]="$work/json_floor $work/events.jsonl"

for _ in $(seq "$reps"); do
  for c in "${cases[@]}"; do
    # shellcheck disable=SC2086 # the command is split on spaces on purpose
    /usr/bin/time -f '%e %U %S' -o "$work/t" ${cmd[$c]} > /dev/null 2>> "$work/stderr"
    read -r wall user sys < "$work/t"
    times[$c]="${times[$c]:-} $wall"
    cpus[$c]="${cpus[$c]:-} $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')"
  done
done
for o in out_csv_zst out_jsonl out_jsonl_zst out_jsonl_norc out_csv_norc; do
  cmp -s <(tail -n +2 "$work/out_csv_gz") <(tail -n +2 "$work/$o") || { echo "FAIL: $o differs from out_csv_gz" >&2; exit 1; }
done

echo "# $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'); $users users, $days days:" \
     "CSV $((csv_mb >> 20)) MB, JSONL $((jsonl_mb >> 20)) MB uncompressed; medians of $reps alternating runs"
printf '%-20s %8s %8s %8s\n' case wall_s cpu_s MB/s_cpu
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( (reps + 1) / 2 ))p"; }
declare -A cpu
for c in "${cases[@]}"; do
  # shellcheck disable=SC2086
  m=$(median ${times[$c]})
  # shellcheck disable=SC2086
  cpu[$c]=$(median ${cpus[$c]})
  printf '%-20s %8s %8s %8.1f\n' "$c" "$m" "${cpu[$c]}" "$(awk -v s="${size[$c]}" -v t="${cpu[$c]}" 'BEGIN { print s / 1048576 / (t > 0 ? t : 0.001) }')"
done
ratio() { awk -v a="${cpu[$1]}" -v b="${cpu[$2]}" 'BEGIN { printf "%.2f", a / (b > 0 ? b : 0.001) }'; }
echo "per core (CPU seconds): python json.loads / lapse extract JSONL = $(ratio python_json_loads lapse_jsonl)x;" \
     "python / extract JSONL --no-repeat-check = $(ratio python_json_loads lapse_jsonl_norc)x;" \
     "python / yajl's parser alone = $(ratio python_json_loads yajl_parser)x;" \
     "extract CSV.gz / extract CSV.zst = $(ratio lapse_csv_gz lapse_csv_zst)x"

#!/usr/bin/env bash
# Peak memory of lapse extract on inputs ten times larger than the tests use
# (tests/cli/*.sh, tests/bad): each row is the test-sized input and its 10x
# version, with peak RSS, wall time and a hash of the output (so a run that
# is small because it is wrong is caught).
#
#   bench/memory.sh            (env: LAPSE_BIN, default build-rel/lapse)
#
# Inputs, all made here from fixed seeds:
#   log       lapse simulate, 800 users x 70 days (kill test) -> 8000 users
#   names     100k distinct event names (tests/bad) -> 1M
#   line      one 10 MB event name (tests/bad) -> 60 MB; and 100 MB, which is
#             over the 64 MB record limit and refused
#   long ids  1 row with a 1 KB user id (tests/bad) -> 10 000 rows of 10 KB
#             ids, skipped with --max-bad-rows
#   max ids   10 000 users with 256-byte ids (the limit) -> 100 000
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
lapse=${LAPSE_BIN:-$root/build-rel/lapse}
[ -x "$lapse" ] || { echo "build first: cmake -S . -B build-rel -DCMAKE_BUILD_TYPE=Release && cmake --build build-rel" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'); lapse: $lapse"

# measure NAME INPUT ARGS...: one row: input size, exit code, wall, peak RSS, output hash.
measure() {
  local name=$1 input=$2 code=0
  shift 2
  /usr/bin/time -f '%e %M' -o t.txt "$lapse" "$@" -o out.csv "$input" > /dev/null 2> err.txt || code=$?
  local wall rss hash=-
  read -r wall rss < <(tail -1 t.txt)
  [ -e out.csv ] && hash=$(sha256sum < out.csv | cut -c1-12)
  printf '%-26s %10.1f %5s %7s %9.1f %s\n' "$name" "$(stat -c %s "$input")e-6" "$code" "$wall" \
    "$(echo "$rss / 1024" | bc -l)" "$hash"
  rm -f out.csv
}

x=(extract -q --no-labels --asof 2026-03-01)
header='user_id,ts,event'
"$lapse" simulate -q --seed 3 --users 800 --days 70 --snapshots 2026-02-01 -o log1
"$lapse" simulate -q --seed 3 --users 8000 --days 70 --snapshots 2026-02-01 -o log10
names() {
  awk -v n="$1" 'BEGIN { print "user_id,ts,event"
    for (u = 0; u < 100; u++) printf "u%d,2026-02-27,login\n", u
    for (i = 0; i < n; i++) printf "u%d,2026-02-%02d,ev%d\n", i % 100, 1 + i % 28, i }' | gzip -1 -n
}
names 100000 > names1.csv.gz
names 1000000 > names10.csv.gz
line() { { echo "$header"; echo 'u,2026-02-27,login'; printf 'u,2026-02-27,'; head -c "$1" /dev/zero | tr '\0' x; echo; } > "$2"; }
line 10485760 line10.csv
line 62914560 line60.csv
line 104857600 line100.csv
ids() {
  awk -v n="$1" -v len="$2" 'BEGIN { print "user_id,ts,event"; pad = ""; while (length(pad) < len - 12) pad = pad "x"
    for (i = 0; i < n; i++) printf "%s%012d,2026-02-27,login\n", pad, i }'
}
ids 1 1024 > longid1.csv
ids 10000 10240 > longid10.csv
ids 10000 256 > maxid1.csv
ids 100000 256 > maxid10.csv

printf '%-26s %10s %5s %7s %9s %s\n' input MB exit wall_s peak_MB output
measure "log 800 users -@1" log1/events.csv.gz "${x[@]/2026-03-01/2026-02-01}" -@ 1
measure "log 8000 users -@1" log10/events.csv.gz "${x[@]/2026-03-01/2026-02-01}" -@ 1
measure "log 800 users -@2" log1/events.csv.gz "${x[@]/2026-03-01/2026-02-01}" -@ 2
measure "log 8000 users -@2" log10/events.csv.gz "${x[@]/2026-03-01/2026-02-01}" -@ 2
measure "names 100k" names1.csv.gz "${x[@]}"
measure "names 1M" names10.csv.gz "${x[@]}"
measure "line 10 MB" line10.csv "${x[@]}"
measure "line 60 MB" line60.csv "${x[@]}"
measure "line 100 MB (refused)" line100.csv "${x[@]}"
grep -q 'no line end outside quotes in 64 MB' err.txt || { echo "100 MB line: $(cat err.txt)" >&2; exit 1; }
measure "1 KB id x1 (skipped)" longid1.csv "${x[@]}" --max-bad-rows 1
measure "10 KB ids x10k (skipped)" longid10.csv "${x[@]}" --max-bad-rows 10000
measure "256 B ids x10k" maxid1.csv "${x[@]}"
measure "256 B ids x100k" maxid10.csv "${x[@]}"

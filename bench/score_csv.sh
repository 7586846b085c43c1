#!/usr/bin/env bash
# Logistic scoring from a feature table, end to end (file in, scored CSV
# out), per thread: this build from the CSV table, from the same table as a
# binary table (--format npy, NPY=T.npy or made here), and another build
# (BEFORE_BIN, e.g. main's) from the CSV and, when it reads them, from the
# binary table, in the same loop, same model.
#
#   bench/score_csv.sh [TABLE MODEL] [REPS]   (env: LAPSE_BIN, BEFORE_BIN, NPY, THREADS, USERS,
#                                             FLOOR_BIN)
#
# FLOOR_BIN (bench/floor.c: libcsv over the file, callbacks that only
# count) adds the floor of the CSV path: the mandated parse alone. BASE_BIN
# (the build a goal is stated against, e.g. main before issue 17's work)
# scores the CSV too, for the x_base column; its file is not compared (an
# older float policy writes other digits).
#
# CPU is timed to the microsecond (RUSAGE_BIN overrides). OpenBLAS's
# server threads spin at load in every run unless OPENBLAS_THREAD_TIMEOUT
# is set (e.g. 4): set it for the whole script, so every build runs alike.
#
# Without TABLE and MODEL: `lapse simulate --users $USERS` (default 100000),
# extract at three snapshots (CSV and npy), train logistic. Prints median
# wall and CPU seconds, rows/s (by wall and by CPU: the machine may be
# shared), the wall ratio to the first THREADS value (THREADS="1 2": what
# a second thread gives) and the CPU ratio to BEFORE_BIN at the same -@ and input format
# (BEFORE_NPY=0 when that build has no --format npy); every scored file
# must be the same bytes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
lapse=${LAPSE_BIN:-$root/build-rel/lapse}
before=${BEFORE_BIN:-}
threads=${THREADS:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
table=${1:-} model=${2:-}
reps=${3:-5}
if [ -z "$table" ]; then
  "$lapse" simulate -q --users "${USERS:-100000}" --days 180 -o "$work/sim"
  "$lapse" extract -q --preset app --asof 2026-04-01,2026-05-01,2026-05-31 -o "$work/features.csv" "$work/sim/events.csv.gz" 2> /dev/null
  "$lapse" extract -q --preset app --asof 2026-04-01,2026-05-01,2026-05-31 --format npy -o "$work/features.npy" "$work/sim/events.csv.gz" 2> /dev/null
  "$lapse" train -q --model logistic -o "$work/lr.model" "$work/features.csv" 2> /dev/null
  table=$work/features.csv model=$work/lr.model NPY=${NPY:-$work/features.npy}
fi
npy=${NPY:-}
# CPU seconds to the microsecond (a run is about 0.1 s; GNU time and
# bench/rusage.c print 10 ms steps): rusage.c's interface, run_median.sh's
# RUSAGE_BIN, unless one is given.
if [ -z "${RUSAGE_BIN:-}" ]; then
  cat > "$work/rusage" <<'PY'
#!/usr/bin/env python3
# posix_spawn (no copy of python to run first) and wait4: that child's own figures
import os, shutil, sys, time
start = time.monotonic()
pid = os.posix_spawn(shutil.which(sys.argv[2]) or sys.argv[2], sys.argv[2:], os.environ)
_, status, u = os.wait4(pid, 0)
wall = time.monotonic() - start
with open(sys.argv[1], "w") as out:
    out.write(f"{wall:.6f} {u.ru_maxrss} {u.ru_utime:.6f} {u.ru_stime:.6f}\n")
sys.exit(os.waitstatus_to_exitcode(status))
PY
  chmod +x "$work/rusage"
  RUSAGE_BIN=$work/rusage
fi
source "$here/run_median.sh"
rows=$(( $(wc -l < "$table") - 2 ))
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "table: $table ($rows rows, $(( $(stat -c %s "$table") / 1000000 )) MB), model $model, $reps reps"
results=$work/results
{
  [ -z "${FLOOR_BIN:-}" ] || run "floor-csv" "$FLOOR_BIN" "$table"
  for t in $threads; do
    run "score-@$t" "$lapse" score -q -@ "$t" -m "$model" -o "$work/after$t.csv" "$table"
    [ -z "$npy" ] || run "npy-@$t" "$lapse" score -q -@ "$t" -m "$model" -o "$work/npy$t.csv" "$npy"
    [ -z "${BASE_BIN:-}" ] || run "base-@$t" "$BASE_BIN" score -q -@ "$t" -m "$model" -o "$work/base$t.csv" "$table"
    [ -z "$before" ] || run "before-@$t" "$before" score -q -@ "$t" -m "$model" -o "$work/before$t.csv" "$table"
    [ -z "$before" ] || [ -z "$npy" ] || [ "${BEFORE_NPY:-1}" = 0 ] ||
      run "before-npy-@$t" "$before" score -q -@ "$t" -m "$model" -o "$work/beforenpy$t.csv" "$npy"
  done
} > "$results"
for t in $threads; do
  [ -z "$before" ] || cmp "$work/after$t.csv" "$work/before$t.csv" || { echo "before -@$t output differs" >&2; exit 1; }
  [ -z "$npy" ] || cmp "$work/after$t.csv" "$work/npy$t.csv" || { echo "npy -@$t output differs" >&2; exit 1; }
  [ ! -e "$work/beforenpy$t.csv" ] || cmp "$work/after$t.csv" "$work/beforenpy$t.csv" ||
    { echo "before npy -@$t output differs" >&2; exit 1; }
done
first=${threads%% *}
for t in $threads; do
  cmp "$work/after$first.csv" "$work/after$t.csv" || { echo "-@$t output differs from -@$first" >&2; exit 1; }
done
echo "scored: sha256 $(sha256sum < "$work/after$first.csv" | cut -c1-16), the same bytes at -@ $threads"
echo "OPENBLAS_THREAD_TIMEOUT=${OPENBLAS_THREAD_TIMEOUT:-unset}"
printf '%-14s %8s %8s %12s %12s %10s %8s %8s\n' run wall_s cpu_s rows/s cpu_rows/s x_before x_base wall_x1
while read -r name wall rss cpu; do
  # The peer reads the same format: before-npy-@T for npy-@T and itself.
  case $name in
    npy-@* | before-npy-@*) peer_name=before-npy-@${name#*-@} ;;
    *) peer_name=before-@${name#*-@} ;;
  esac
  peer=$(awk -v n="$peer_name" '$1 == n {print $4}' "$results")
  base=$(awk -v n="base-@${name#*-@}" '$1 == n {print $4}' "$results")
  # wall_x1: the same run at the first -@ given, by wall time (threads pay off in wall time).
  one=$(awk -v n="${name%-@*}-@$first" '$1 == n {print $2}' "$results")
  awk -v n="$name" -v w="$wall" -v c="$cpu" -v r="$rows" -v p="${peer:-0}" -v b="${base:-0}" \
    -v o="${one:-0}" \
    'BEGIN { printf "%-14s %8.3f %8.4f %12.0f %12.0f %10s %8s %8s\n", n, w, c, r / w, r / c,
             (p > 0 ? sprintf("%.2f", p / c) : "-"), (b > 0 ? sprintf("%.2f", b / c) : "-"),
             (o > 0 ? sprintf("%.2f", o / w) : "-") }'
done < "$results"

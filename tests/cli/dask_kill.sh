#!/usr/bin/env bash
# tools/lapse-dask survives a worker killed mid-run: a dask scheduler and two
# dask worker processes (no nanny, so nothing restarts the killed one); once
# the first map has written its files, one worker gets SIGKILL; Dask runs its
# tasks again on the other, and the gathered table and scores are still the
# single-machine bytes.
source "$LAPSE_SOURCE_DIR/tests/cli/dask_common.inc"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Every task takes a moment longer, so that the kill lands while tasks run.
printf '#!/bin/sh\nsleep 0.4\nexec "%s" "$@"\n' "$LAPSE_BIN" > slow-lapse
chmod +x slow-lapse

dask scheduler --host 127.0.0.1 --port 0 --no-dashboard --scheduler-file sched.json \
    >scheduler.log 2>&1 &
pids+=($!)
for i in 1 2; do
    # Waits for the scheduler file itself.
    dask worker --scheduler-file sched.json --nthreads 1 --no-nanny --no-dashboard \
        --name "w$i" >"worker$i.log" 2>&1 &
    pids+=($!)
done
victim=${pids[1]}
for ((i = 0; i < 300; i++)); do
    [ -s sched.json ] && break
    sleep 0.1
done
[ -s sched.json ] || fail "no scheduler after 30 s: $(cat scheduler.log)"

/usr/bin/python3 "$driver" score --scheduler sched.json --lapse "$work/slow-lapse" --buckets 4 \
    --files-per-map 6 -m lr.model --features features.csv --work w -o scores.csv -q \
    "${extract_args[@]}" logs/*.gz >driver.log 2>&1 &
driver_pid=$!
pids+=("$driver_pid")

for ((i = 0; i < 600; i++)); do
    [ -n "$(find w/maps -type f 2>/dev/null | head -1)" ] && break
    sleep 0.1
done
[ -n "$(find w/maps -type f 2>/dev/null | head -1)" ] || fail "no map output after 60 s: $(cat driver.log)"
kill -0 "$driver_pid" 2>/dev/null || fail "the run ended before the kill: $(cat driver.log)"
kill -9 "$victim"
rc=0
wait "$driver_pid" || rc=$?
[ "$rc" -eq 0 ] || fail "lapse-dask exited $rc after a worker died: $(cat driver.log)"
kill -0 "$victim" 2>/dev/null && fail "the killed worker still runs"
grep -q "Remove worker.*name: w1" scheduler.log || fail "the scheduler did not see the worker go: $(cat scheduler.log)"
cmp single.csv features.csv || fail "the table differs after a worker died"
cmp single_scores.csv scores.csv || fail "the scores differ after a worker died"
echo "ok: the run finished with the same bytes after worker w1 was killed"

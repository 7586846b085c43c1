#!/usr/bin/env bash
# tools/lapse-dask on a Dask LocalCluster (a scheduler and 2 worker
# processes): maps over daily files in which users span files, merges and
# scores per bucket, and gathers the same bytes as one lapse extract and
# lapse score over the whole log; each bucket's table holds exactly the
# single table's rows of its users.
source "$LAPSE_SOURCE_DIR/tests/cli/dask_common.inc"
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 "$driver" score --lapse "$LAPSE_BIN" --workers 2 --buckets 4 --files-per-map 8 \
    -m lr.model --features features.csv --dormant dormant.csv --work w -o scores.csv -q \
    "${extract_args[@]}" logs/*.gz
cmp single.csv features.csv || fail "the gathered table differs from one extract's"
cmp single_dormant.csv dormant.csv || fail "the gathered dormant table differs"
cmp single_scores.csv scores.csv || fail "the gathered scores differ from one lapse score's"

maps=$(((files + 7) / 8))
[ "$(find w/maps -type f | wc -l)" -eq $((maps * 4)) ] || fail "not 4 partial files per map"
# The buckets' rows, together, are the single table's rows, each once.
for b in w/tables/bucket-*.csv; do
    head -2 "$b" | tail -1 | cmp - <(sed -n 2p single.csv) || fail "$b has another header"
    tail -n +3 "$b"
done | sort > buckets.txt
tail -n +3 single.csv | sort | cmp - buckets.txt || fail "the buckets' rows are not the table's"
# Per-bucket scores: the single scores' rows, p_churn to the last bits
# (BLAS sums a batch of rows in an order that depends on the batch).
for s in w/scores/bucket-*.csv; do grep -v '^#' "$s" | tail -n +2; done | sort > bucket_scores.txt
grep -v '^#' single_scores.csv | tail -n +2 | sort > single_rows.txt
paste -d'\n' single_rows.txt bucket_scores.txt | awk -F, -v OFS=, '
    NR % 2 { p = $3; $3 = ""; line = $0; next }
    { d = $3 - p; if (d < 0) d = -d; $3 = ""
      if (d > 1e-12 || $0 != line) { print "differs: " line " | " $0; bad = 1 } }
    END { exit bad }' || fail "the buckets' scores are not the single scores"
[ "$(wc -l < single_rows.txt)" -eq "$(wc -l < bucket_scores.txt)" ] || fail "scores missing"

# extract alone, into a fresh work folder: the same table.
/usr/bin/python3 "$driver" extract --lapse "$LAPSE_BIN" --buckets 3 -o features2.csv -q \
    "${extract_args[@]}" logs/*.gz
cmp single.csv features2.csv || fail "lapse-dask extract differs from one extract"
# A bad row fails its map once (no retries of a failure that would repeat),
# and lapse-dask exits with lapse's code and message, naming the file.
mkdir badlogs
cp logs/day-2026-01-0[1-3].csv.gz badlogs/
printf 'user_id,ts,event\nu1,2026-01-02T25:00:00Z,login\n' | gzip -n > badlogs/day-2026-01-04.csv.gz
rc=0
/usr/bin/python3 "$driver" extract --lapse "$LAPSE_BIN" --buckets 2 -o bad.csv -q --asof 2026-01-03 \
    badlogs/*.gz 2>bad.err || rc=$?
[ "$rc" -eq 1 ] || fail "a bad row: lapse-dask exited $rc, not 1: $(cat bad.err)"
grep -q "lapse-dask: .*badlogs/day-2026-01-04.csv.gz" bad.err || fail "the message names no file: $(cat bad.err)"
[ "$(grep -c 'Compute Failed' bad.err)" -le 1 ] || fail "the failing map ran more than once"
[ ! -e bad.csv ] || fail "a failed run left its output"
echo "ok: $files daily files, $spanning users spanning them"

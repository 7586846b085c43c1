# lapse simulate --files N: a log partitioned by user into N gzip files holds
# the rows of the single-file log (the same member bytes), the same for any
# thread count, and extract reads it to the same table; bad values are usage
# errors; a failed file leaves none of the outputs.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

header="user_id,ts,event,amount,session_id,device_id"

# Expects exit code 2 and a message containing $1 for the remaining arguments.
usage_error() { expect_error 2 "$1" simulate "${@:2}"; }

"$LAPSE_BIN" simulate --help | grep -q -- "--files N" || fail "--help does not name --files"
for bad in 0 -3 257 99999999999999999999 many 2x ""; do
    usage_error "--files needs a whole number from 1 to 256, not \"$bad\"" -o d --files "$bad"
done
[ ! -e d ] || fail "a refused run created its folder"

# Sorted data rows of the files named, headers left out (each file must start with one).
rows() {
    local f
    for f in "$@"; do
        [ "$(zcat "$f" | head -1)" = "$header" ] || fail "$f does not start with the header"
        zcat "$f" | tail -n +2
    done | LC_ALL=C sort
}

# 700 users: 3 blocks of 256, so 2 files get 2 and 1 blocks, 4 files leave one empty.
args=(--seed 5 --users 700 --days 70 --start 2026-01-01 -q)
"$LAPSE_BIN" simulate "${args[@]}" -o one
"$LAPSE_BIN" simulate "${args[@]}" -o two1 --files 2 -@ 1
"$LAPSE_BIN" simulate "${args[@]}" -o two2 --files 2 -@ 2
"$LAPSE_BIN" simulate "${args[@]}" -o four --files 4 -@ 2
[ "$(ls two1 | tr '\n' ' ')" = "events-0.csv.gz events-1.csv.gz truth.csv truth_snapshots.csv " ] ||
    fail "--files 2 wrote: $(ls two1 | tr '\n' ' ')"
for f in events-0.csv.gz events-1.csv.gz truth.csv truth_snapshots.csv; do
    cmp -s "two1/$f" "two2/$f" || fail "--files 2: $f differs between -@ 1 and -@ 2"
done
for f in truth.csv truth_snapshots.csv; do
    cmp -s "one/$f" "two1/$f" || fail "--files 2: $f differs from the single-file run"
done
rows one/events.csv.gz > one.rows
[ "$(wc -l < one.rows)" -gt 10000 ] || fail "too few events to compare: $(wc -l < one.rows)"
rows two1/events-*.csv.gz | cmp -s - one.rows || fail "--files 2 rows differ from the single file"
rows four/events-*.csv.gz | cmp -s - one.rows || fail "--files 4 rows differ from the single file"

# User u<i> is in block i / 256, and block b in file b mod N (file 3 of 4 is empty).
for n in 2 4; do
    dir=$([ "$n" = 2 ] && echo two1 || echo four)
    for ((f = 0; f < n; f++)); do
        zcat "$dir/events-$f.csv.gz" | awk -F, -v n="$n" -v f="$f" '
            NR > 1 { rows++; if (int(substr($1, 2) / 256) % n != f) { print; exit 1 } }
            END { if (rows == 0 && f < 3) { print "empty"; exit 1 } }' ||
            fail "--files $n: events-$f.csv.gz holds a user of another block"
    done
done

# Bytes: block b is the same gzip member in file b mod N; files other than
# the first start with a member holding the header alone, which is all the
# empty fourth file has.
hsize=$(stat -c %s four/events-3.csv.gz)
[ "$(zcat four/events-3.csv.gz)" = "$header" ] || fail "the empty partition is not just the header"
{ cat four/events-0.csv.gz; tail -c +$((hsize + 1)) four/events-1.csv.gz
  tail -c +$((hsize + 1)) four/events-2.csv.gz; } | cmp -s - one/events.csv.gz ||
    fail "the members of --files 4 are not those of the single file"

# Names are zero-padded to the width of N - 1.
# A folder holding a log of another layout is refused, untouched: its users
# would be read twice by anyone taking the folder's events*.csv.gz.
sum_before=$(cat four/* | md5sum)
rc=0
"$LAPSE_BIN" simulate "${args[@]}" -o four --files 2 2>err.txt || rc=$?
[ "$rc" -ne 0 ] || fail "a folder with events-2.csv.gz from --files 4 was taken for --files 2"
grep -qF "the folder holds events-2.csv.gz, an event log this run would not replace" err.txt &&
    grep -qF "(in four)" err.txt || fail "stale log: $(cat err.txt)"
[ "$(cat four/* | md5sum)" = "$sum_before" ] || fail "a refused run changed the folder"
"$LAPSE_BIN" simulate "${args[@]}" -o four --files 4 -@ 2 # the same layout again is fine
[ "$(cat four/* | md5sum)" = "$sum_before" ] || fail "the same run wrote other bytes"

"$LAPSE_BIN" simulate "${args[@]}" --users 300 -o eleven --files 11
[ "$(ls eleven | grep -c '^events-[0-9][0-9]\.csv\.gz$')" -eq 11 ] &&
    [ -e eleven/events-00.csv.gz ] && [ -e eleven/events-10.csv.gz ] ||
    fail "--files 11 wrote: $(ls eleven | tr '\n' ' ')"

# extract over the partitions gives the table of the single file, any -@.
# same_table A B: the same rows and meta line, but for the warnings, which
# name the input files (the simulated log repeats some rows exactly).
same_table() { cmp -s <(sed '1s/; warnings=.*//' "$1") <(sed '1s/; warnings=.*//' "$2"); }
for t in 1 2 4; do
    "$LAPSE_BIN" extract -q --no-labels --asof 2026-03-12 -@ "$t" -o "parts$t.csv" four/events-*.csv.gz
    "$LAPSE_BIN" extract -q --asof 2026-02-01,2026-02-08 -@ "$t" -o "labels$t.csv" two1/events-*.csv.gz
done
"$LAPSE_BIN" extract -q --no-labels --asof 2026-03-12 -o single.csv one/events.csv.gz
"$LAPSE_BIN" extract -q --asof 2026-02-01,2026-02-08 -o single_labels.csv one/events.csv.gz
[ "$(wc -l < single.csv)" -gt 300 ] || fail "extract of the single file: $(wc -l < single.csv) lines"
for t in 1 2 4; do
    same_table single.csv "parts$t.csv" || fail "extract -@ $t over 4 files differs from the single file"
    same_table single_labels.csv "labels$t.csv" ||
        fail "labelled extract -@ $t over 2 files differs from the single file"
done

# A file that cannot be written fails the run (exit 3, naming it) and no
# output is committed, the other partitions included.
if [ -w /dev/full ]; then
    mkdir full && ln -s /dev/full full/events-1.csv.gz
    expect_error 3 "No space left on device (in full/events-1.csv.gz)" simulate "${args[@]}" -o full --files 3
    [ "$(ls full)" = "events-1.csv.gz" ] || fail "a failed run left: $(ls full | tr '\n' ' ')"
fi
echo ok

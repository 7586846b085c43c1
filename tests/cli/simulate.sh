# lapse simulate from the command line: files, determinism, bad options.
set -euo pipefail
. "$(dirname "$0")/common.inc"
: "${LAPSE_BIN:?LAPSE_BIN must name the lapse program}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# Expects exit code 2 and a message containing $1 for the remaining arguments.
usage_error() { expect_error 2 "$1" simulate "${@:2}"; }

"$LAPSE_BIN" simulate --help | grep -q "usage: lapse simulate" || fail "--help"

usage_error "-o DIR is required" --users 10
usage_error "--start needs a date" -o d --start 2026-13-01
usage_error "--users needs a whole number from 1" -o d --users 0
usage_error "unknown archetype \"whale\"" -o d --mix whale=1
usage_error "shares sum to 0.9, not 1" -o d --mix price=0.5,feature=0.4
usage_error "cancel" -o d --key cancel
usage_error "--key needs key categories (activity, core, purchase, coupon, social, cancel, other), not \"spend\"" -o d --key spend
usage_error "horizon runs past the last day of the log (2026-06-29)" -o d --snapshots 2026-06-01
usage_error "--snapshots needs a date as YYYY-MM-DD (1970 to 2199), not \"2026-02-30\"" -o d --snapshots 2026-02-30
[ ! -e d ] || fail "a refused run created its folder"

args=(--seed 5 --users 600 --days 100 --start 2026-03-01 -q)
"$LAPSE_BIN" simulate "${args[@]}" -o one -@ 1
"$LAPSE_BIN" simulate "${args[@]}" -o two -@ 2
"$LAPSE_BIN" simulate "${args[@]}" -o other --seed 6 -@ 2
for f in events.csv.gz truth.csv truth_snapshots.csv; do
    cmp -s "one/$f" "two/$f" || fail "$f differs between -@ 1 and -@ 2"
    ! cmp -s "one/$f" "other/$f" || fail "$f is the same for seeds 5 and 6"
done
gzip -t one/events.csv.gz || fail "events.csv.gz is not valid gzip"
[ "$(zcat one/events.csv.gz | head -1)" = "user_id,ts,event,amount,session_id,device_id" ] ||
    fail "events header"
[ "$(head -1 one/truth.csv)" = "user_id,archetype,churn_date,return_date" ] || fail "truth header"
[ "$(wc -l <one/truth.csv)" -eq 601 ] || fail "truth.csv has a row per user"
[ "$(head -1 one/truth_snapshots.csv)" = "user_id,asof,horizon,p_true,label" ] ||
    fail "snapshots header"
# 100 days from 2026-03-01: the default snapshots are days 60 (2026-04-30) only.
[ "$(cut -d, -f2 one/truth_snapshots.csv | sort -u | tr '\n' ' ')" = "2026-04-30 asof " ] ||
    fail "default snapshots: $(cut -d, -f2 one/truth_snapshots.csv | sort -u | tr '\n' ' ')"

# --observer adds p_observed before the label and changes nothing else.
"$LAPSE_BIN" simulate "${args[@]}" -o seen -@ 2 --observer
cmp -s one/events.csv.gz seen/events.csv.gz || fail "--observer changed the log"
[ "$(head -1 seen/truth_snapshots.csv)" = "user_id,asof,horizon,p_true,p_observed,label" ] ||
    fail "observer snapshots header"
cut -d, -f1-4,6 seen/truth_snapshots.csv | cmp -s - one/truth_snapshots.csv ||
    fail "--observer changed the other columns"

# Labels are what an extractor computes from the log: no activity event in
# [asof, asof + 30 days). The simulator's own CSV has no quoted fields, so
# awk can split it.
zcat one/events.csv.gz | awk -F, '
    NR == FNR { if (FNR > 1 && ($3 == "login" || $3 == "app_open" || $3 == "session_start") &&
                    $2 >= "2026-04-30" && $2 < "2026-05-30") seen[$1] = 1; next }
    FNR > 1 { n++; if (($5 == 1) == ($1 in seen)) bad++ }
    END { if (n < 100 || bad) { print n, bad; exit 1 } }' - one/truth_snapshots.csv ||
    fail "labels disagree with the log"

# Timestamps are ISO 8601 in UTC within the log; amounts only on purchases.
zcat one/events.csv.gz | awk -F, 'NR > 1 {
        if ($2 !~ /^2026-0[3-6]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z$/) { print; exit 1 }
        if (($4 != "") != ($3 == "purchase")) { print; exit 1 }
        if ($4 != "" && $4 !~ /^[0-9]+\.[0-9][0-9]$/) { print; exit 1 } }' ||
    fail "bad timestamp or amount"

# Explicit snapshots, another key and horizon; the summary names them.
"$LAPSE_BIN" simulate --seed 5 --users 300 --days 100 --start 2026-03-01 -o keyed \
    --snapshots 2026-05-01,2026-04-01 --horizon 14 --key purchase+coupon 2>summary.txt
[ "$(cut -d, -f2,3 keyed/truth_snapshots.csv | sort -u | tr '\n' ' ')" = \
  "2026-04-01,14 2026-05-01,14 asof,horizon " ] || fail "explicit snapshots"
grep -q "snapshot 2026-04-01: .* silent within 14 days" summary.txt || fail "summary"
echo ok

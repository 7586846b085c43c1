#!/bin/bash
# The conversion lapse still needs for the XuetangX (KDD Cup 2015) copy we could fetch: it is
# not the raw event log but one row per enrollment and day with a count per event type
# (enrollment_id,time,event_access,...,event_wiki). lapse reads one event per row, so each
# non-zero (day, type) cell becomes one event row (the count within a day is lost). Each
# enrollment's snapshot is the day after its course's 30-day window; courses whose window
# ends after 2014-07-01 are the test set. A needed script is a lapse failure: see
# bench/public/README.md.
#
#   bash bench/public/xuetangx_prep.sh DATADIR    writes DATADIR/lapse/{events.csv.gz,train_asof.csv,test_asof.csv,labels.csv}
set -euo pipefail
DATA=${1:?usage: xuetangx_prep.sh DATADIR}
mkdir -p "$DATA/lapse"
awk -F, '
    FNR == 1 { for (i = 3; i <= NF; i++) { name[i] = $i; sub(/^event_/, "", name[i]) }; next }
    { for (i = 3; i <= NF; i++) if ($i > 0) print $1 "," $2 "," name[i] }
' "$DATA"/trainCourse*.csv | { echo user_id,ts,event; cat; } | gzip -n > "$DATA/lapse/events.csv.gz"
# course end = the last day of each enrollment's window; asof = the day after
awk -F, 'FNR > 1 && $2 > last[$1] { last[$1] = $2 } END { for (u in last) print u "," last[u] }' \
    "$DATA"/trainCourse*.csv | sort -t, -k1,1n > "$DATA/lapse/last.tmp"
cut -d, -f2 "$DATA/lapse/last.tmp" | sed 's/$/ + 1 day/' | date -u -f - +%F |
    paste -d, <(cut -d, -f1 "$DATA/lapse/last.tmp") - > "$DATA/lapse/asof.tmp"
{ echo user_id,asof; awk -F, '$2 <= "2014-07-01"' "$DATA/lapse/asof.tmp"; } > "$DATA/lapse/train_asof.csv"
{ echo user_id,asof; awk -F, '$2 > "2014-07-01"' "$DATA/lapse/asof.tmp"; } > "$DATA/lapse/test_asof.csv"
# lapse's label file wants the header user_id,label; this copy's says enrollment_id,label
sed '1s/^enrollment_id,/user_id,/' "$DATA/truth_train.csv" > "$DATA/lapse/labels.csv"
rm "$DATA/lapse/last.tmp" "$DATA/lapse/asof.tmp"

#!/usr/bin/env bash
# What counting purchase days changes on CDNOW's master log (bench/RESULTS.md, "Frequency by
# purchase days"): extract at 2021-10-01 (the end of the 39-week calibration period; this copy's
# dates are 1997's moved to 2021), then BG/NBD (weeks) on the table as extract writes it (x =
# days with a purchase after the first) and on the same table with x = purchase events after the
# first, as extract counted before; every other column is the same either way.
#   bench/btyd_days.sh DATADIR        DATADIR holds CDNOW_master.txt
# LAPSE names the binary (default build-rel/lapse); WORK the folder (default /tmp/lapse-btyd-days).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:?usage: btyd_days.sh DATADIR}
LAPSE=${LAPSE:-build-rel/lapse}
WORK=${WORK:-/tmp/lapse-btyd-days}
mkdir -p "$WORK"
{ echo 'user_id ts quantity amount'; cat "$DATA/CDNOW_master.txt"; } |
    "$LAPSE" extract -q --preset ecommerce --no-labels --delim ' ' --event purchase \
        --asof 2021-10-01 -o "$WORK/days.csv" --dormant "$WORK/days_dormant.csv" - 2>/dev/null
# The event count: repeat_purchases = max(purchases_total - 1, 0).
for f in days days_dormant; do
    awk -F, -v OFS=, '/^#/ { print; next }
        $1 == "user_id" { for (i = 1; i <= NF; i++) c[$i] = i; print; next }
        { p = $c["purchases_total"]; $c["repeat_purchases"] = p > 0 ? p - 1 : 0; print }' \
        "$WORK/$f.csv" > "$WORK/events${f#days}.csv"
done
cat "$WORK/days.csv" "$WORK/days_dormant.csv" | grep -v '^#' | awk -F, '
    $1 == "user_id" { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { p = $c["purchases_total"]; e = p > 0 ? p - 1 : 0; d = $c["repeat_purchases"]; n++
      changed += e != d; se += e; sd += d; re += e > 0; rd += d > 0; if (e - d > most) most = e - d }
    END { printf "customers %d; x changed for %d (at most by %d); sum of x %d by events, %d by days; " \
                 "repeat buyers %d by events, %d by days\n", n, changed, most, se, sd, re, rd }'
for x in events days; do
    "$LAPSE" train -q --model bgnbd --time-unit weeks -o "$WORK/$x.model" "$WORK/$x.csv" \
        "$WORK/${x}_dormant.csv" 2>/dev/null
    echo "x by $x:"
    "$LAPSE" model show "$WORK/$x.model" | sed -n '/^log-likelihood/,/^  b /p'
done

#!/usr/bin/env bash
# Churn within 7, 14 and 30 days from days_to_churn (issue 15): on the
# simulator (USERS users x 240 days, seeds SEEDS; key activity, 30 silent
# days, horizon 30), extract four monthly labelled snapshots to train on and
# a fifth to measure on, and
#   1. check the column over every row: days_to_churn is set exactly on the
#      rows labelled 1, and equals min(30, 31 - days_since_activity) there
#      (the day is known at the snapshot; datasets/README.md);
#   2. for each h, "churned within h" on the fifth snapshot scored two ways:
#      gated, the 30-day logistic model's p_churn where the user's silence
#      can reach 30 days by day h (days_since_activity >= 31 - h), else 0;
#      separate, a logistic model trained on the label days_to_churn <= h.
#      AUC and ECE from lapse eval, and the rows where gated p_7 > p_14 or
#      p_14 > p_30 (none, by construction).
#
#   bench/horizons.sh [USERS] [WORKDIR] [SEEDS]   (defaults 5000, a temp dir, "7 8 9")
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
users=${1:-5000}
work=${2:-$(mktemp -d)}
seeds=${3:-7 8 9}
bin=$root/build-rel/lapse
cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build "$root/build-rel" -j2 >/dev/null
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
mkdir -p "$work"
cd "$work"

# A table with label := days_to_churn <= $2 and no days_to_churn column.
relabel() {
    awk -F, -v OFS=, -v h="$2" '
        NR == 1 { print; next }
        NR == 2 { sub(/,days_to_churn$/, ""); print; next }
        { d = $NF; NF--; if ($NF != "") $NF = (d != "" && d + 0 <= h) ? 1 : 0; print }' "$1"
}
# user_id,asof,p_churn,label for horizon $3 from a scored file $1 and its
# table $2: the label days_to_churn <= $3, and p_churn gated when $4 is 1.
scored_for() {
    awk -F, -v h="$3" -v gate="$4" '
        FNR == 1 { file++ }
        file == 1 && FNR == 2 { for (i = 1; i <= NF; i++) { if ($i == "days_since_activity") a = i
                                                              if ($i == "days_to_churn") d = i }
                                next }
        file == 1 && FNR > 2 { since[$1 "," $2] = $a; day[$1 "," $2] = $d; next }
        file == 2 && /^#/ { next }
        file == 2 && !p { for (i = 1; i <= NF; i++) { if ($i == "p_churn") p = i
                                                      if ($i == "label") l = i }
                          print "user_id,asof,p_churn,label"; next }
        file == 2 { k = $1 "," $2; q = $p
          if (gate && since[k] < 31 - h) q = 0
          y = $l == "" ? "" : (day[k] != "" && day[k] + 0 <= h) ? 1 : 0
          print k "," q "," y }' "$2" "$1"
}
figures() { # AUC ECE of an eval on $1
    "$bin" eval "$1" 2>/dev/null >e.txt
    printf '%s %s' "$(sed -n 's/^AUC-ROC: *\([0-9.]*\).*/\1/p' e.txt)" "$(sed -n 's/^ECE: *//p' e.txt)"
}

printf '%-5s %8s %10s %12s %3s %9s %8s %9s %8s\n' seed rows churned "day = rule" h \
    "gated AUC" ECE "sep. AUC" ECE
for seed in $seeds; do
    "$bin" simulate -q --seed "$seed" --users "$users" --days 240 --start 2026-01-01 -o "sim$seed"
    "$bin" extract -q --asof 2026-03-01,2026-04-01,2026-05-01,2026-06-01 -o "fit$seed.csv" \
        "sim$seed/events.csv.gz" 2>/dev/null
    "$bin" extract -q --asof 2026-07-01 -o "later$seed.csv" "sim$seed/events.csv.gz" 2>/dev/null
    check=$(awk -F, 'FNR == 1 { next }
        FNR == 2 { for (i = 1; i <= NF; i++) { if ($i == "days_since_activity") a = i
                                               if ($i == "label") l = i; if ($i == "days_to_churn") d = i }
                   next }
        { n++; if (($l == 1) != ($d != "")) bad++
          if ($d != "") { c++; want = 31 - $a; if (want > 30) want = 30; if ($d == want) ok++ } }
        END { printf "%d %d %d", n, c, ok - bad }' "fit$seed.csv" "later$seed.csv")
    read -r rows churned rule <<<"$check"
    "$bin" train -q --model logistic --seed "$seed" -o m30.model "fit$seed.csv" 2>/dev/null
    "$bin" score -q -m m30.model -o s30.csv "later$seed.csv" 2>/dev/null
    for h in 7 14 30; do
        scored_for s30.csv "later$seed.csv" "$h" 1 >"gated$h.csv"
        gated=$(figures "gated$h.csv")
        relabel "fit$seed.csv" "$h" >fit_h.csv
        relabel "later$seed.csv" "$h" >later_h.csv
        "$bin" train -q --model logistic --seed "$seed" -o mh.model fit_h.csv 2>/dev/null
        "$bin" score -q -m mh.model -o sh.csv later_h.csv 2>/dev/null
        scored_for sh.csv "later$seed.csv" "$h" 0 >"sep$h.csv"
        sep=$(figures "sep$h.csv")
        # shellcheck disable=SC2086 # two figures each
        printf '%-5s %8s %10s %12s %3s %9s %8s %9s %8s\n' "$seed" "$rows" "$churned" \
            "$rule/$churned" "$h" $gated $sep
    done
    paste -d, gated7.csv gated14.csv gated30.csv | awk -F, 'NR > 1 && ($3 > $7 || $7 > $11) { bad++ }
        END { printf "      rows with p_7 > p_14 or p_14 > p_30 (gated): %d\n", bad + 0 }'
done

#!/usr/bin/env bash
# Churn within 7, 14 and 30 days (issue 15): on the simulator (USERS users x
# 240 days, seeds SEEDS; key activity, 30 silent days, horizon 30, with the
# observer and its p_observed_h), extract four monthly labelled snapshots to
# train on and a fifth (2026-07-01) to measure on, and
#   1. check the column over every row: days_to_churn is set exactly on the
#      rows labelled 1, and equals min(30, 31 - days_since_activity) there
#      (the day is known at the snapshot; datasets/README.md);
#   2. train one hazard model (lapse train --horizons 7,14,30) with a
#      logistic classifier and one with boosted trees (--model gbdt, the
#      band a feature), score the fifth snapshot, and take lapse eval's
#      per-horizon AUC, ECE and concordance; count rows where p_7 > p_14 or
#      p_14 > p_30;
#   3. for each h, a separate lapse logistic and a separate gbdt model
#      trained on the label days_to_churn <= h, scored on the same rows;
#   4. bench/horizons_peers.py on the same rows: p_observed_h's AUC, and the
#      peers fitted in this run (scikit-learn, one logistic regression per
#      horizon; statsmodels, a discrete-time logit hazard on person-periods);
#   5. scoring cost: lapse score -@1 of SCORE_ROWS rows (the fifth snapshot's
#      rows repeated under new ids) with each hazard model and the 30-day
#      model of the same classifier, medians of 5 runs each.
# bench/horizons_candidates.py measures other ways to fit the hazard on the
# files this leaves in WORKDIR (bench/RESULTS.md, Horizons).
#
#   bench/horizons.sh [USERS] [WORKDIR] [SEEDS] [SCORE_ROWS]
#   (defaults 5000, a temp dir, "7 8 9", 200000)
#   bench/horizons.sh --tables FIT LATER [WORKDIR]
# The second form takes steps 2 to 4 on the tables of a real log (as
# bench/public/run.sh extracts them: FIT the training snapshots, LATER the
# test snapshot), which has no p_observed and no planted day to check.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tables=()
if [ "${1:-}" = --tables ]; then
    tables=("$(realpath "$2")" "$(realpath "$3")")
    work=${4:-$(mktemp -d)}
else
    users=${1:-5000}
    work=${2:-$(mktemp -d)}
    seeds=${3:-7 8 9}
    score_rows=${4:-200000}
fi
bin=$root/build-rel/lapse
py=/usr/bin/python3 # Debian's, with python3-sklearn and python3-statsmodels
cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
cmake --build "$root/build-rel" -j2 >/dev/null
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "peers: $($py -c 'import sklearn, statsmodels; print("scikit-learn", sklearn.__version__, "statsmodels", statsmodels.__version__)')"
mkdir -p "$work"
cd "$work"

# A table with label := days_to_churn <= $2 and no days_to_churn column.
relabel() {
    awk -F, -v OFS=, -v h="$2" '
        NR == 1 { print; next }
        NR == 2 { sub(/,days_to_churn$/, ""); print; next }
        { d = $NF; NF--; if ($NF != "") $NF = (d != "" && d + 0 <= h) ? 1 : 0; print }' "$1"
}

# Steps 2 to 4 on FIT and LATER (lapse feature tables with days_to_churn),
# files named by TAG, the seed SEED; TRUTH the simulator's, or "-".
measure() {
    local fit=$1 later=$2 truth=$3 tag=$4 seed=$5 kind hz h
    for kind in logistic gbdt; do
        hz=hz$tag; [ "$kind" = gbdt ] && hz=tz$tag
        "$bin" train -q --model "$kind" --seed "$seed" --horizons 7,14,30 -o "$hz.model" \
            "$fit" 2>/dev/null
        "$bin" model show --json "$hz.model" >"$hz.json"
        "$bin" score -q -m "$hz.model" -o "$hz.csv" "$later" 2>/dev/null
        "$bin" eval --json "$hz.csv" 2>/dev/null | $py -c '
import json, sys
h = json.load(sys.stdin)["horizons"]
print("lapse eval '"$kind"': " + "  ".join("h=%d AUC %.4f ECE %.4f" % (r["days"], r["auc"], r["ece"])
                                 for r in h["by_horizon"])
      + "  C_td %.4f over %d pairs" % (h["concordance"], h["pairs"]))'
        awk -F, '/^#/ { next } !c { for (i = 1; i <= NF; i++) { if ($i == "p_7") a = i; if ($i == "p_14") b = i
                                                             if ($i == "p_30") z = i; if ($i == "p_churn") p = i }
                              c = 1; next }
            { n++; if ($a > $b || $b > $z) bad++; if ($z != $p) diff++ }
            END { printf "rows scored %d: p_7 > p_14 or p_14 > p_30 on %d, p_30 != p_churn on %d\n", n, bad, diff }' \
            "$hz.csv"
    done
    for h in 7 14 30; do
        relabel "$fit" "$h" >fit_h.csv
        relabel "$later" "$h" >later_h.csv
        "$bin" train -q --model logistic --seed "$seed" -o "m$h.model" fit_h.csv 2>/dev/null
        "$bin" score -q -m "m$h.model" -o "sep$tag-$h.csv" later_h.csv 2>/dev/null
        "$bin" train -q --model gbdt --seed "$seed" -o "g$h.model" fit_h.csv 2>/dev/null
        "$bin" score -q -m "g$h.model" -o "gsep$tag-$h.csv" later_h.csv 2>/dev/null
    done
    $py "$root/bench/horizons_peers.py" "$fit" "$later" "$truth" "hz$tag.json" "hz$tag.csv" \
        "sep$tag-" 7,14,30 "tz$tag.csv" "gsep$tag-"
}

if [ ${#tables[@]} -gt 0 ]; then
    echo "== tables ${tables[0]} (fit), ${tables[1]} (measured)"
    measure "${tables[0]}" "${tables[1]}" - real 1
    exit 0
fi

for seed in $seeds; do
    echo "== seed $seed"
    "$bin" simulate -q --seed "$seed" --users "$users" --days 240 --start 2026-01-01 --observer \
        --horizons 7,14,30 --snapshots 2026-03-01,2026-04-01,2026-05-01,2026-06-01,2026-07-01 \
        -o "sim$seed"
    "$bin" extract -q --asof 2026-03-01,2026-04-01,2026-05-01,2026-06-01 -o "fit$seed.csv" \
        "sim$seed/events.csv.gz" 2>/dev/null
    "$bin" extract -q --asof 2026-07-01 -o "later$seed.csv" "sim$seed/events.csv.gz" 2>/dev/null
    awk -F, 'FNR == 1 { next }
        FNR == 2 { for (i = 1; i <= NF; i++) { if ($i == "days_since_activity") a = i
                                               if ($i == "label") l = i; if ($i == "days_to_churn") d = i }
                   next }
        { n++; if (($l == 1) != ($d != "")) bad++
          if ($d != "") { c++; want = 31 - $a; if (want > 30) want = 30; if ($d == want) ok++ } }
        END { printf "rows %d, churned %d, day = rule on %d of them\n", n, c, ok - bad }' \
        "fit$seed.csv" "later$seed.csv"

    measure "fit$seed.csv" "later$seed.csv" "sim$seed/truth_snapshots.csv" "$seed" "$seed"
done

# Scoring cost, on the last seed's tables: its rows repeated under new ids.
echo "== scoring cost: $score_rows rows, -@1, median of 5"
awk -F, -v OFS=, -v want="$score_rows" '
    NR <= 2 { print; next } { row[++n] = $0 }
    END { for (k = 0; k < want; k++) { r = row[k % n + 1]; sub(/^[^,]*/, "x" k, r); print r } }' \
    "later$seed.csv" >big.csv
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for m in "m30.model" "hz$seed.model" "g30.model" "tz$seed.model"; do
    for rep in 1 2 3 4 5; do
        start=$(date +%s.%N)
        "$bin" score -q -@1 -m "$m" -o scored_big.csv big.csv 2>/dev/null
        echo "$(date +%s.%N) - $start" | bc
    done | median >"time_$m"
    printf '%-16s %8.3f s\n' "$m" "$(cat "time_$m")"
done
ratio() { echo "$(cat "time_$1") / $(cat "time_$2")" | bc -l | cut -c1-5; }
echo "ratio logistic hazard / 30-day logistic: $(ratio "hz$seed.model" m30.model)"
echo "ratio gbdt hazard / 30-day gbdt: $(ratio "tz$seed.model" g30.model)"

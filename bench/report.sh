#!/usr/bin/env bash
# lapse report benchmark: a scored-shaped CSV of N rows (made by a seeded
# python script: p_churn, a label drawn from it, tiers, segments, reasons,
# actions as lapse score writes them), reported on, against `lapse eval` on
# the same file in the same run (the same reader, exact sort-based figures,
# memory linear in rows). Memory flat in rows: the report's peak RSS at N
# rows against N/10. Also the comparison with last month's scores (joined by
# user_id and asof: that part holds the previous file's keys).
#
#   bench/report.sh [--rows N] [--reps R] [--dir DIR]
#
# Prints medians of R runs (wall s, peak RSS, CPU s) and, as a check that
# a fast run is not a wrong one, the AUC the page shows beside eval's.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rows=1000000 reps=3 dir=
while [[ $# -gt 0 ]]; do
    case $1 in
    --rows) rows=$2 ;; --reps) reps=$2 ;; --dir) dir=$2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift 2
done
if [[ -z ${LAPSE_BENCH_NO_BUILD:-} ]]; then
    cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
    cmake --build "$root/build-rel" -j2 --target lapse >/dev/null
fi
lapse="$root/build-rel/lapse"
[[ -n $dir ]] || dir=$(mktemp -d)
mkdir -p "$dir"
work=$dir
: >"$work/stderr"
# shellcheck source=bench/run_median.sh
source "$root/bench/run_median.sh"

# make_scored ROWS SEED SHIFT FILE: a scored file; SHIFT moves last month's scores.
make_scored() {
    [[ -s $4 && $(($(wc -l <"$4") - 1)) == "$1" ]] && return
    python3 - "$1" "$2" "$3" "$4" <<'PY'
import math, random, sys
rows, seed, shift, path = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
truth = random.Random(7)      # the users and what happened: the same in every file
noise = random.Random(seed)   # the model's view of them
reasons = [f"{f}:{d}" for f in ("days_silent", "spend_90", "share_core", "events_social_90",
           "sessions_30", "tenure_days", "days_since_core", "active_days_30") for d in ("high", "low")]
segments = ("price-sensitive", "feature-dependent", "social-driven")
actions = {"price-sensitive": "coupon", "feature-dependent": "push_feature", "social-driven": "community"}
with open(path, "w") as out:
    out.write("user_id,asof,p_churn,risk_tier,response,segment,days_silent,value_tier,"
              "value_at_risk,reason_1,reason_2,reason_3,action,label\n")
    for i in range(rows):
        risk = truth.gauss(-1.6, 1.3)
        label = 1 if truth.random() < 1 / (1 + math.exp(-risk)) else 0
        segment = segments[truth.randrange(3)]
        high_value = truth.random() < 0.1
        p = 1 / (1 + math.exp(-(risk + shift + noise.gauss(0, 0.6))))
        tier = "low" if p < 0.08 else "medium" if p < 0.4 else "high" if p < 0.72 else "critical"
        picks = noise.sample(reasons, 3)
        out.write(f"u{i:07d},2026-05-31,{p:.17g},{tier},{'warning' if tier in ('high', 'critical') else ''},"
                  f"{segment},{truth.randrange(60)},{'high' if high_value else 'low'},{p * 40:.2f},"
                  f"{picks[0]},{picks[1]},{picks[2]},{'phone' if high_value else actions[segment]},{label}\n")
PY
}
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//'), $(free -g | awk '/Mem:/ { print $2 }') GB"
make_scored "$rows" 1 0 "$dir/scored.csv"
make_scored "$rows" 2 0.2 "$dir/previous.csv"
make_scored $((rows / 10)) 1 0 "$dir/scored_tenth.csv"
echo "data: $rows scored rows, $(du -m "$dir/scored.csv" | cut -f1) MB (in $dir)"

echo "run wall_s peak_rss_kb cpu_s"
run "report" "$lapse" report -q -o "$dir/report.html" "$dir/scored.csv"
run "report_tenth_rows" "$lapse" report -q -o "$dir/report_tenth.html" "$dir/scored_tenth.csv"
run "report_with_previous" "$lapse" report -q --previous-scores "$dir/previous.csv" \
    -o "$dir/report_compare.html" "$dir/scored.csv"
run "eval_peer" "$lapse" eval "$dir/scored.csv"
run "cat_floor" cat "$dir/scored.csv"

page_auc=$(grep -o '<th>AUC-ROC</th><td>[^<]*' "$dir/report.html" | sed 's/.*<td>//')
eval_auc=$("$lapse" eval "$dir/scored.csv" | awk '/^AUC-ROC:/ { print $2 }')
delong=$(grep -o 'DeLong 95% interval)</th><td>[^<]*' "$dir/report_compare.html" | sed 's/.*<td>//')
echo "check: page AUC $page_auc (1,000 bins), eval AUC $eval_auc (exact); this month against last: $delong"
echo "page: $(du -k "$dir/report.html" | cut -f1) KB, sha256 $(sha256sum "$dir/report.html" | cut -c1-16)"

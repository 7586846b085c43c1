#!/usr/bin/env bash
# Coverage of eval's 95% uplift intervals: over many seeds, simulate a
# campaign with planted per-channel uplifts, evaluate it, and count how often
# each channel's interval holds the planted uplift. Peer in the same run: the
# Wald interval (diff +- 1.96 sqrt(p1 q1/n1 + p2 q2/n2)) from the same counts.
# Also the share of seeds whose SRM p is below 0.05 (control is stratified,
# so it should be about 0) and the run time.
#
# Then the same for touch sequences (push@0h,sms@24h,phone@48h with a
# planted uplift per step over stopping before it, step holdout 0.3): how
# often each step's interval holds its step's planted uplift; again with
# daily capacities (push half the users, sms three quarters, phone a
# quarter), so users skip full steps and some open their sequence at sms.
#
#   bench/campaign_coverage.sh [SEEDS] [USERS...]     default: 200 seeds, 20000 and 2000 users
#   LAPSE_BIN=build-rel/lapse bench/campaign_coverage.sh 200 20000
#   SEQUENCE_ONLY=1 bench/campaign_coverage.sh 200 20000    only the sequences
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${LAPSE_BIN:-$root/build-rel/lapse}
if [ ! -x "$bin" ]; then
    cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build-rel" -j2 >/dev/null
fi
seeds=${1:-200}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(20000 2000)
uplift=sms_email=0.02,push_feature=0.04,coupon=0.08,phone=0.15,community=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
echo "planted uplift: $uplift; base recall 0.15/0.08/0.04 by tier; control 0.2; window 24 h"
for users in "${sizes[@]}"; do
    [ -z "${SEQUENCE_ONLY:-}" ] || break
    : > "$work/all.csv"
    start=$(date +%s.%N)
    for seed in $(seq 1 "$seeds"); do
        "$bin" simulate --campaign -q -o "$work/sim" --users "$users" --seed "$seed" \
            --control 0.2 --uplift "$uplift"
        "$bin" campaign eval -q --sends "$work/sim/sends.csv" --control 0.2 \
            -o "$work/report.csv" "$work/sim/events.csv"
        awk -F, -v seed="$seed" 'NR == FNR { if (FNR > 1) t[$1] = $3; next }
            FNR > 1 && $1 != "all" { print seed "," $1 "," t[$1] "," $0 }' \
            "$work/sim/truth.csv" "$work/report.csv" >> "$work/all.csv"
    done
    end=$(date +%s.%N)
    # fields: seed, channel, truth, then the report row (channel at 4)
    awk -F, -v users="$users" -v seeds="$seeds" -v secs="$(echo "$end - $start" | bc)" '
        function wald_cover(   p1, p2, n1, n2, se) {
            n1 = $6; n2 = $12; p1 = $9; p2 = $14
            se = sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
            return ($15 - 1.959964 * se <= $3 && $3 <= $15 + 1.959964 * se)
        }
        {
            n[$2]++; all++
            c = ($16 <= $3 && $3 <= $17); cov[$2] += c; call += c
            w = wald_cover(); wcov[$2] += w; wall += w
            width[$2] += $17 - $16
            srm += ($21 < 0.05)
        }
        END {
            printf "users %d, %d seeds (%.1f s): Newcombe %.3f, Wald %.3f of %d intervals; SRM p<0.05 in %d of %d\n",
                users, seeds, secs, call / all, wall / all, all, srm, all
            for (k in n)
                printf "  %-12s Newcombe %.3f  Wald %.3f  mean width %.4f\n", k, cov[k] / n[k], wcov[k] / n[k], width[k] / n[k]
        }' "$work/all.csv"
    echo "  md5 of all rows: $(md5sum < "$work/all.csv" | cut -c1-32)"
done

sequence=push@0h,sms@24h,phone@48h
step_uplift=0.03,0.05,0.10
# sequence_coverage USERS LABEL [simulate options...]: per step, how often
# the interval holds the step's planted uplift (opening and following rows)
sequence_coverage() {
    local users=$1 label=$2
    shift 2
    : > "$work/seq.csv"
    : > "$work/touches.csv"
    local start end
    start=$(date +%s.%N)
    for seed in $(seq 1 "$seeds"); do
        "$bin" simulate --campaign -q -o "$work/seq" --users "$users" --seed "$seed" --control 0.2 \
            --sequence "$sequence" --step-uplift "$step_uplift" --step-holdout 0.3 "$@"
        "$bin" campaign eval -q --sends "$work/seq/sends.csv" --control 0.2 \
            -o "$work/seq_report.csv" "$work/seq/events.csv"
        # truth: step,channel,variant,uplift; report: step in column 26, opening in 28
        awk -F, -v seed="$seed" 'NR == FNR { if (FNR > 1) t[$1] = $4; next }
            FNR > 1 && $1 != "all" { print seed "," $26 "," t[$26] "," $13 "," $14 "," $14 - $13 "," $28 "," $18 }' \
            "$work/seq/truth.csv" "$work/seq_report.csv" >> "$work/seq.csv"
        awk -F, 'FNR > 1 { print $8 }' "$work/seq/sends.csv" >> "$work/touches.csv"
    done
    end=$(date +%s.%N)
    # fields: seed, step, truth, ci_low, ci_high, width, opening, srm_p
    awk -F, -v users="$users" -v seeds="$seeds" -v label="$label" -v secs="$(echo "$end - $start" | bc)" '
        NR == FNR { touches[$1]++; next }
        { k = $2 ($7 ? "" : "+"); n[k]++; all++; c = ($4 <= $3 && $3 <= $5); cov[k] += c; call += c; w[k] += $6
          if ($8 != "") { srm_n++; srm += ($8 < 0.05) } }
        END {
            printf "%s, users %d, %d seeds (%.1f s): Newcombe covers %.3f of %d step intervals; SRM p<0.05 in %d of %d\n",
                label, users, seeds, secs, call / all, all, srm, srm_n
            for (s = 1; s in touches; s++)
                for (o = 0; o < 2; o++) {
                    k = s (o ? "+" : "")
                    if (k in n)
                        printf "  step %d %-9s covers %.3f  mean width %.4f  (touches of the step a seed: %.0f)\n", s, o ? "following" : "opening", cov[k] / n[k], w[k] / n[k], touches[s] / seeds
                }
        }' "$work/touches.csv" "$work/seq.csv"
    echo "  md5 of all rows: $(md5sum < "$work/seq.csv" | cut -c1-32)"
}

echo "sequence $sequence, planted step uplift $step_uplift; step holdout 0.3; control 0.2; window 24 h"
for users in "${sizes[@]}"; do
    sequence_coverage "$users" sequence
done
for users in "${sizes[@]}"; do
    capacity=push=$((users / 2)),sms=$((users * 3 / 4)),phone=$((users / 4))
    echo "capacities $capacity a day: later users skip full steps (some open at sms)"
    sequence_coverage "$users" "sequence with capacities" --capacity "$capacity"
done

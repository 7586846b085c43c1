#!/usr/bin/env bash
# Coverage of the BG/NBD fit's 95% intervals through the command line: the
# symmetric one (estimate +- 1.96 SE, SE from the observed information) and
# the one lapse model show prints (the same SE on the log scale). Over many
# seeds, lapse simulate --btyd plants CDNOW's parameters (weeks), lapse
# extract makes the feature table (every buyer labelled, from the truth;
# --silent-days beyond the log), lapse train --model bgnbd fits it, and each
# interval is checked against the planted value. Also the mean AUC of
# score's p_churn against what happened, beside the oracles in the truth:
# p_model (BG/NBD at the planted parameters) and p_true (the hidden state).
#
#   bench/btyd_coverage.sh [SEEDS] [USERS]     default: 200 seeds of 2357 users (CDNOW's size)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${LAPSE_BIN:-$root/build-rel/lapse}
if [ ! -x "$bin" ]; then
    cmake -S "$root" -B "$root/build-rel" -DCMAKE_BUILD_TYPE=Release -DLAPSE_TESTS=OFF >/dev/null
    cmake --build "$root/build-rel" -j2 --target lapse >/dev/null
fi
bin=$(realpath "$bin") # the runs happen in a scratch folder
seeds=${1:-200}
users=${2:-2357}
planted=(0.243 4.414 0.793 2.426)
names=(r alpha a b)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# auc FILE COLUMN: AUC of COLUMN (a p_churn) against label, via lapse eval.
auc() {
    awk -F, -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == c) k = i; if ($i == "label") l = i }
                                 print "p_churn,label"; next }
                       { print $k "," $l }' "$1" > auc.csv
    "$bin" eval auc.csv 2>&1 | sed -n 's/^AUC-ROC: *\([0-9.]*\).*/\1/p' | head -1
}

echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/.*: *//')"
echo "planted BG/NBD (weeks): r ${planted[0]}, alpha ${planted[1]}, a ${planted[2]}, b ${planted[3]}; $users users, $seeds seeds"
start=$(date +%s.%N)
: > fits.txt
for ((s = 1; s <= seeds; s++)); do
    rm -rf sim
    "$bin" simulate -q --btyd "$(IFS=,; echo "${planted[*]}")" --users "$users" --seed "$s" -o sim
    # Labels from the truth (the same rule), since a small log may lack events on its last day.
    cut -d, -f1,9 sim/truth.csv > labels.csv
    "$bin" extract -q --key purchase --silent-days 3650 --asof 2026-10-01 --labels labels.csv \
        -o feat.csv sim/events.csv
    "$bin" train -q --model bgnbd --time-unit weeks -o m.model feat.csv
    "$bin" score -q -m m.model -o scores.csv feat.csv
    { "$bin" model show m.model | awk '$1 == "r" || $1 == "alpha" || $1 == "a" || $1 == "b" { printf "%s %s ", $2, $4 }'
      echo "$(auc scores.csv p_churn) $(auc sim/truth.csv p_model) $(auc sim/truth.csv p_true)"
    } >> fits.txt
done
seconds=$(echo "$(date +%s.%N) - $start" | bc)
awk -v r="${planted[0]}" -v al="${planted[1]}" -v a="${planted[2]}" -v b="${planted[3]}" \
    -v names="${names[*]}" -v seconds="$seconds" '
    BEGIN { split(names, name, " "); truth[1] = r; truth[2] = al; truth[3] = a; truth[4] = b }
    { for (k = 1; k <= 4; k++) {
          est = $(2 * k - 1); se = $(2 * k)
          inside[k] += est - 1.96 * se <= truth[k] && truth[k] <= est + 1.96 * se
          # As model show prints it: exp(log est +- 1.96 se / est).
          inside_log[k] += est * exp(-1.96 * se / est) <= truth[k] && truth[k] <= est * exp(1.96 * se / est)
          sum[k] += est; low[k] += est < truth[k] }
      fit_auc += $9; model_auc += $10; true_auc += $11; n++ }
    END {
        printf "%-6s %9s %9s %12s %16s %14s\n", "param", "planted", "mean est", "coverage95",
               "log-scale cov95", "share below"
        for (k = 1; k <= 4; k++)
            printf "%-6s %9g %9.4f %12.3f %16.3f %14.3f\n", name[k], truth[k], sum[k] / n,
                   inside[k] / n, inside_log[k] / n, low[k] / n
        printf "mean AUC of p_churn vs label: fitted %.4f, oracle p_model %.4f, hidden-state p_true %.4f\n",
               fit_auc / n, model_auc / n, true_auc / n
        printf "%d fits in %.1f s\n", n, seconds
    }' fits.txt

#!/usr/bin/env bash
# lapse model show: the readable form of a model, and the loader's refusals
# with exit 1 (bad file), 2 (usage) and 3 (cannot read). The models come from
# test_model --write-fixtures, so no binary fixture is committed.
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
writer="${LAPSE_MODEL_WRITER:-$(dirname "$LAPSE_BIN")/tests/test_model}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$writer" --write-fixtures .

"$LAPSE_BIN" model show logistic.model >out.txt
diff -u - out.txt <<'TXT' || fail "model show logistic.model differs"
model:        logistic.model
churn:        key=activity; silent_days=30; horizon=14; churn=silence
schema:       af237d4f70a0b904 (feature table format 1)
features:     5: days_since_active, sessions_7d, spend_30d, coupon_share, social_share
scaler:       every feature standardized; 2 of 5 log1p-transformed first (sessions_7d, spend_30d)
segments:     3 on 2 profile features, silhouette 0.41
  segment                    rows   coupon_share   social_share
  price-sensitive            1000            0.4           0.15
  feature-dependent          1010            0.1           0.15
  social-driven              1020           0.15            0.6
classifier:   logistic regression, bias -0.125; largest weights (scaled features):
  social_share                 -2.25
  days_since_active            +1.5
  sessions_7d                  -0.75
  spend_30d                    -0.2
  coupon_share                 +0.05
calibration:  Platt, p = 1 / (1 + exp(-1.5 f + 0.25))
risk tiers:   low < 0.2 <= medium < 0.4 <= high < 0.7 <= critical
              (percentile tiers, at 50%, 80%, 95% of the validation probabilities)
trained on:   snapshots 2026-01-01 to 2026-03-01; 150000 training rows, 40000 validation rows
validated on: the last labelled snapshot held out (last-snapshot)
options:      logistic l2=1
seed:         42
trained by:   lapse 0.1.0
validation:   AUC 0.87 (standard error 0.011, DeLong), PR-AUC 0.61, log loss 0.33, Brier 0.1, ECE 0.012
TXT

"$LAPSE_BIN" model show svm.model >out.txt
grep -qxF 'classifier:   SVM, RBF kernel (gamma 0.05), 3 support vectors, rho -0.3' out.txt ||
    fail "svm classifier line"
grep -qxF 'calibration:  isotonic, 4 breakpoints: decision -2 .. 1.5 -> probability 0.05 .. 0.9' \
    out.txt || fail "isotonic calibration line"
grep -qxF '              (probability tiers, at probabilities 0.2, 0.4, 0.7)' out.txt ||
    fail "probability tiers line: $(cat out.txt)"
grep -qxF 'validated on: a seeded 20% of users held out (users:0.2)' out.txt || fail "users line"
grep -qxF 'refit:        classifier refitted on all 190000 labelled rows after validation' out.txt ||
    fail "refit line"

# Refusals name the file and the byte.
head -c 100 logistic.model >cut.model
expect_error 1 "lapse: model file truncated: it ends at byte 100 but its header declares 850 bytes (in cut.model, byte 100)" \
    model show cut.model
cp logistic.model flipped.model
byte=$(od -An -tu1 -j300 -N1 flipped.model | tr -d ' ')
printf "\\$(printf %03o $((byte ^ 16)))" | dd of=flipped.model bs=1 seek=300 conv=notrunc 2>/dev/null
expect_error 1 "model file corrupted: CRC-32 is" model show flipped.model
printf 'user_id,asof,days_since_active\n' >table.csv
expect_error 1 "not a lapse model" model show table.csv
expect_error 3 "cannot open the model" model show missing.model
[[ ! -s out.txt ]] || fail "a refused model printed something on stdout"

# Usage.
expect_error 2 "missing action" model
expect_error 2 "unknown action \"frob\"" model frob logistic.model
expect_error 2 "needs exactly one model file" model show
expect_error 2 "needs exactly one model file" model show logistic.model svm.model
expect_error 2 "unrecognized option '--frob'" model show --frob logistic.model
"$LAPSE_BIN" model --help | grep -q '^usage: lapse model show \[--json\] FILE' || fail "model --help"
"$LAPSE_BIN" model show --help | grep -q '^usage: lapse model show \[--json\] FILE' || fail "model show --help"
echo ok

#!/usr/bin/env bash
# Campaigns from a model trained on a table of your own (test_foreign
# --write-fixtures: own.model over own.csv): rules naming a channels file's
# channels (score --channels), and plan of scores without a snapshot date
# (empty asof), which needs --send-at.
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
writer="${LAPSE_FOREIGN_WRITER:-$(dirname "$LAPSE_BIN")/tests/test_foreign}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
"$writer" --write-fixtures . || fail "cannot write the fixtures"

# expect_refused CODE MESSAGE ARGS...: expect_error, and no out.csv written.
expect_refused() {
    expect_error "$@"
    [ ! -e out.csv ] || fail "lapse ${*:3}: left out.csv behind"
}

# Rules naming channels of a file: refused against the built-in table,
# accepted with --channels; a channel in neither is still an error with its
# line and column.
printf 'name,cost,uplift,condition,capacity\nvip_call,3,0.2,,10\nsms,0.03,0.02,,\n' > channels.csv
printf 'segment,value,action\nmixed-1,*,vip_call\n*,*,sms\n' > rules.csv
expect_refused 1 'unknown action "vip_call"' score -q -m own.model --rules rules.csv -o out.csv own.csv
expect_refused 1 'rules.csv:2, column 3' score -q -m own.model --rules rules.csv -o out.csv own.csv
"$LAPSE_BIN" score -q -m own.model --rules rules.csv --channels channels.csv -o scored.csv own.csv
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
         { n[$c["action"]]++; if ($c["asof"] != "") bad = 1 }
         END { exit bad || !n["vip_call"] || length(n) > 2 }' scored.csv ||
    fail "actions from the channels file: $(cat scored.csv)"
printf 'segment,value,action\n*,*,sms\n*,*,fax\n' > rules_bad.csv
expect_refused 1 'unknown action "fax" (expected a channel: vip_call, sms; or none) (in rules_bad.csv:3, column 3)' \
    score -q -m own.model --rules rules_bad.csv --channels channels.csv -o out.csv own.csv
expect_refused 2 'give --rules too' score -q -m own.model --channels channels.csv -o out.csv own.csv

# Plan of scores with an empty asof: refused without --send-at, saying so;
# with it every touch is at that time, and the file's channels are chosen.
expect_refused 1 'give the send time (--send-at)' campaign plan --budget 100 -o out.csv scored.csv
expect_refused 1 'scored.csv:2, column 2' campaign plan --budget 100 -o out.csv scored.csv
"$LAPSE_BIN" campaign plan -q --budget 100 --control 0 --channels channels.csv \
    --send-at 2026-07-01T09:00:00Z -o plan.csv scored.csv
awk -F, 'NR > 1 { n++; if ($3 != "2026-07-01T09:00:00Z") bad = 1; ch[$2]++ }
         END { exit bad || n == 0 || !ch["vip_call"] }' plan.csv || fail "plan: $(cat plan.csv)"
"$LAPSE_BIN" campaign plan -q --budget 100 --control 0 --channels channels.csv \
    --send-at 2026-07-01T09:00:00Z --sequence sms@0h,vip_call@24h -o seq.csv scored.csv
awk -F, 'NR > 1 && $9 == 2 { if ($3 != "2026-07-02T09:00:00Z") bad = 1; n++ }
         END { exit bad || n == 0 }' seq.csv || fail "sequence plan: $(cat seq.csv)"
echo "campaign_foreign: ok"

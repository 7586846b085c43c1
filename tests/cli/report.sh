#!/usr/bin/env bash
# lapse report: which sections a page has for which inputs, a scored file
# without labels (said once on stderr and once in the page), last month's
# model with another churn definition (refused for the comparison, the rest
# written), and refused inputs with their place and exit code. The page's
# charts are checked in a browser by report_browser.sh.
set -euo pipefail
. "$(dirname "$0")/common.inc"

: "${LAPSE_BIN:?LAPSE_BIN must point at the lapse binary}"
: "${LAPSE_SOURCE_DIR:?LAPSE_SOURCE_DIR must point at the source tree}"
writer="${LAPSE_MODEL_WRITER:-$(dirname "$LAPSE_BIN")/tests/test_model}"
model="$LAPSE_SOURCE_DIR/models/default.model"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# sections FILE: the section ids of a page, space-separated.
sections() { grep -o '<section id="[a-z]*"' "$1" | sed 's/.*id="\(.*\)"/\1/' | tr '\n' ' '; }

# Every chart opened is closed and draws something: a polyline with points,
# a bar or a dot between each <svg> and its </svg>.
charts_drawn() {
    local opened closed drawn
    opened=$(grep -o '<svg' "$1" | wc -l)
    closed=$(grep -o '</svg>' "$1" | wc -l)
    [[ $opened == "$closed" && $opened -gt 0 ]] || fail "$1: $opened <svg> against $closed </svg>"
    drawn=$(tr -d '\n' <"$1" | grep -o '<svg.*</svg>' | sed 's#</svg>#</svg>\n#g' |
            grep -c '<polyline class="s[0-9]" points="[0-9]\|<rect class="b[0-9]" x=\|<circle' || true)
    [[ $drawn -ge $opened ]] || fail "$1: $opened charts, only $drawn draw anything"
}

cat >scored.csv <<'CSV'
# lapse-scores; warnings=3 rows skipped
user_id,asof,p_churn,risk_tier,response,segment,days_silent,value_tier,value_at_risk,reason_1,reason_2,reason_3,action,label
a,2026-05-31,0.91,critical,warning,price-sensitive,20,low,1.00,spend_90:low,days_silent:high,,coupon,1
b,2026-05-31,0.72,high,warning,social-driven,3,high,9.00,days_silent:high,,,phone,0
c,2026-05-31,0.55,medium,,price-sensitive,9,low,0.50,spend_90:low,,,coupon,1
d,2026-05-31,0.30,medium,,social-driven,1,low,0.00,tenure_days:low,,,community,0
e,2026-05-31,0.12,low,,feature-dependent,2,low,0.00,spend_90:low,,,push_feature,0
f,2026-05-31,0.05,low,,feature-dependent,0,low,0.00,tenure_days:low,,,push_feature,0
CSV

# The scored file alone: model quality, segments, reasons.
"$LAPSE_BIN" report -o r.html scored.csv 2>err.txt
[[ $(sections r.html) == "model segments reasons " ]] || fail "sections: $(sections r.html)"
grep -qx "lapse: report on 6 rows (6 labelled) written to r.html" err.txt || fail "summary: $(cat err.txt)"
grep -qF '<th>AUC-ROC</th><td>0.875</td>' r.html || fail "AUC (7 of 8 pairs)"
grep -qF 'carry their input&#39;s warnings: 3 rows skipped' r.html ||
    grep -qF "carry their input's warnings: 3 rows skipped" r.html || fail "the scores' warnings"
charts_drawn r.html
[[ $(grep -o '<svg' r.html | wc -l) == 9 ]] || fail "9 charts expected"

# With the model: its summary and the segment centres.
"$LAPSE_BIN" report -q -m "$model" -o rm.html scored.csv
[[ $(sections rm.html) == "model segments reasons training " ]] || fail "with -m: $(sections rm.html)"
grep -qF "Segment centres" rm.html || fail "centre profiles"
grep -qF "risk tiers</th><td>low &lt; 7.7% &le; medium" rm.html || fail "the model's tiers"
charts_drawn rm.html

# Last month's scores: the comparison, here of a file with itself.
"$LAPSE_BIN" report -q -m "$model" --previous-scores scored.csv -o rc.html scored.csv
[[ $(sections rc.html) == "model segments reasons training compare " ]] || fail "compare: $(sections rc.html)"
grep -qF '<th>AUC last month</th><td>0.875</td>' rc.html || fail "last month's AUC"
grep -qF '<th>score PSI</th><td>0.000 (stable' rc.html || fail "PSI"
grep -qF 'interval)</th><td>0.000 (0.000 to 0.000), p = 1.000' rc.html || fail "DeLong of a file with itself"
charts_drawn rc.html

# Last month's model defines churn over 14 days, this month's over 30: the
# comparison is refused, said in the page and on stderr; the rest is written.
"$writer" --write-fixtures .
"$LAPSE_BIN" report -m "$model" --previous-model logistic.model --previous-scores scored.csv \
    -o rr.html scored.csv 2>err.txt
[[ $(sections rr.html) == "model segments reasons training compare " ]] || fail "refused: $(sections rr.html)"
grep -qF "Comparison refused: last month&#39;s model defines churn otherwise (horizon=14, this month&#39;s horizon=30)" rr.html ||
    grep -qF "Comparison refused: last month's model defines churn otherwise (horizon=14, this month's horizon=30)" rr.html ||
    fail "refusal in the page: $(grep -o 'Comparison refused[^<]*' rr.html)"
grep -qF "lapse: warning: comparison refused" err.txt || fail "refusal on stderr: $(cat err.txt)"
grep -qF "AUC last month" rr.html && fail "a refused comparison still shows AUCs"

# A feature table of two snapshots: the drift section.
"$LAPSE_BIN" simulate -q --users 300 --days 120 --seed 3 -o sim/
"$LAPSE_BIN" extract -q --asof 2026-03-01,2026-04-01 -o table.csv sim/events.csv.gz 2>/dev/null
"$LAPSE_BIN" report -q --table table.csv -o rt.html scored.csv 2>/dev/null
[[ $(sections rt.html) == "model segments reasons features " ]] || fail "--table: $(sections rt.html)"
grep -qF "scored period</th><td>snapshot 2026-04-01" rt.html || fail "the latest snapshot"
charts_drawn rt.html
expect_error 2 "--table is read twice" report -o x.html --table - scored.csv

# The event log: the data section first, with its three charts and its counts.
"$LAPSE_BIN" report -q --log sim/events.csv.gz -o rl.html scored.csv
[[ $(sections rl.html) == "data model segments reasons " ]] || fail "--log: $(sections rl.html)"
events=$(($(gzip -dc sim/events.csv.gz | wc -l) - 1))
grouped=$(sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$events") # 47070 -> 47,070, as the page writes counts
grep -qF "$grouped events of " rl.html || fail "--log: no count of $grouped events"
charts_drawn rl.html
[[ $(grep -o '<svg' rl.html | wc -l) == 12 ]] || fail "--log: 12 charts expected"
# A log as a real export comes: blank-separated, no event column (a purchase
# history, as CDNOW's); the log-reading options of extract and inspect apply.
printf 'user_id ts quantity amount\n1 1997-01-01 1 11.77\n2 1997-01-12 5 77.00\n1 1997-01-20 2 30.10\n' >cdnow.txt
"$LAPSE_BIN" report -q --log cdnow.txt --delim ' ' --event purchase -o rc.html scored.csv
grep -qF "<p>3 events of 2 users, 1997-01-01 to 1997-01-20 (20 days)" rc.html ||
    fail "--log with --delim and --event: $(grep -o '<p>[0-9][^<]*' rc.html)"
grep -qF ">purchase<" rc.html || fail "--event purchase: no purchase in the event mix"
expect_error 1 'no column "event"' report -o x.html --log cdnow.txt --delim ' ' scored.csv

# A campaign eval report: the campaign section.
printf 'channel,variant,sent,recall_rate,control_rate,uplift,ci_low,ci_high,p_value,cost_per_recalled\ncoupon,A,1200,0.2,0.1,0.1,0.05,0.15,0.0004,2.5\n' >camp.csv
"$LAPSE_BIN" report -q --campaign camp.csv -o rk.html scored.csv
[[ $(sections rk.html) == "model segments reasons campaign " ]] || fail "--campaign: $(sections rk.html)"
charts_drawn rk.html
printf 'channel,variant,sent\ncoupon,A,1\n' >camp_bad.csv
expect_error 1 "the header has no recall_rate column" report -o x.html --campaign camp_bad.csv scored.csv

# No labels: the label-dependent parts left out, said once in each place.
sed 's/,[01]$/,/' scored.csv >nolabels.csv
"$LAPSE_BIN" report -o rn.html nolabels.csv 2>err.txt
[[ $(grep -c "has no labels" err.txt) == 1 ]] || fail "no-labels warning: $(cat err.txt)"
[[ $(grep -c "Without labels" rn.html) == 1 ]] || fail "no-labels note in the page"
grep -qF "AUC-ROC" rn.html && fail "AUC without labels"
grep -qF "churn rate (95% interval)" rn.html && fail "churn rates without labels"
[[ $(sections rn.html) == "model segments reasons " ]] || fail "no labels: $(sections rn.html)"
charts_drawn rn.html

# gzip and standard input read the same; '-o -' writes to stdout.
gzip -c scored.csv >scored.csv.gz
"$LAPSE_BIN" report -q -o rz.html scored.csv.gz
"$LAPSE_BIN" report -q -o - - <scored.csv >rs.html
sed 's#scored.csv.gz#X#' rz.html | cmp -s - <(sed 's#scored.csv#X#' r.html) || fail "gzip input differs"
grep -qF "<h1>lapse report</h1>" rs.html || fail "stdout page"

# Refused inputs: a bad row names its place (exit 1) and leaves no page.
printf 'user_id,p_churn,label\na,0.5,1\nb,high,0\n' >bad.csv
expect_error 1 "(in bad.csv:3, column 2)" report -o bad.html bad.csv
[[ ! -e bad.html ]] || fail "a failed report left a page"
printf 'user_id,score\na,0.5\n' >nocol.csv
expect_error 1 "no p_churn column" report -o x.html nocol.csv
printf 'user_id,asof,p_churn\na,d,0.5\na,d,0.6\n' >twice.csv
expect_error 1 "(in twice.csv:3)" report -o x.html --previous-scores twice.csv scored.csv
expect_error 1 "not a lapse model (it does not start with the model magic) (in scored.csv, byte 0)" report -o x.html -m scored.csv scored.csv
expect_error 3 "cannot open" report -o x.html no_such_file.csv
# --log: the data section's log, read as lapse inspect reads it; its errors name the file
printf 'user_id,ts,event\nu1,notatime,login\n' >badlog.csv
expect_error 1 'bad timestamp "notatime" (in badlog.csv:2, column 2)' report -o x.html --log badlog.csv scored.csv
expect_error 1 'no column "user_id" in the header' report -o x.html --log scored.csv scored.csv
[[ ! -e x.html ]] || fail "a failed report left x.html"
expect_error 2 "no output" report scored.csv
expect_error 2 "no scored file" report -o x.html
expect_error 2 "one scored file at a time" report -o x.html scored.csv scored.csv
expect_error 2 "--previous-model needs --previous-scores" report -o x.html --previous-model "$model" scored.csv
expect_error 2 "" report -o scored.csv scored.csv
"$LAPSE_BIN" report --help | grep -q "^usage: lapse report" || fail "--help"
echo ok

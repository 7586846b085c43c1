#!/usr/bin/env bash
# lapse campaign end to end: a simulated campaign's planted uplifts fall
# inside eval's intervals; plan -> eval; bad send lists and exit codes.
set -euo pipefail
. "$(dirname "$0")/common.inc"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cd "$dir"

"$LAPSE_BIN" campaign --help | grep -q 'Newcombe' || fail "help"
"$LAPSE_BIN" simulate --campaign --help | grep -q 'planted uplift' || fail "simulate --campaign help"

# Planted uplifts (one negative, one zero) inside each channel's 95% interval.
"$LAPSE_BIN" simulate --campaign -q -o sim --users 20000 --seed 11 --control 0.2 \
    --uplift sms_email=0.03,push_feature=0.05,coupon=0.1,phone=0.2,community=-0.02 --variants 2
"$LAPSE_BIN" campaign eval -q --sends sim/sends.csv --clicks sim/clicks.csv --control 0.2 \
    -o report.csv sim/events.csv
head -1 report.csv | grep -q '^channel,variant,sent,clicked,recalled,recall_rate,total_cost,cost_per_recalled,control,control_recalled,control_rate,uplift,ci_low,ci_high,p_value,test,srm_chi2,srm_p,mde,' || fail "report header"
[ "$(wc -l < report.csv)" -eq 12 ] || fail "5 channels x 2 variants + total: $(wc -l < report.csv)"
awk -F, 'NR == FNR { if (FNR > 1) truth[$1 "," $2] = $3; next }
         FNR > 1 && $1 != "all" {
             k = $1 "," $2; n++
             if (!(k in truth)) { print "no truth for " k; bad = 1 }
             if (!($13 <= truth[k] && truth[k] <= $14)) { print k ": " truth[k] " outside [" $13 ", " $14 "]"; bad = 1 }
             if ($18 < 0.001) { print k ": sample ratio mismatch p " $18; bad = 1 }
             if ($4 == "" || $4 + 0 > $3 + 0) { print k ": clicked " $4; bad = 1 }
         }
         END { exit bad || n != 10 }' sim/truth.csv report.csv || fail "planted uplift outside its interval"
# phone (uplift 0.2) is clearly detected; every row has a power figure.
awk -F, '$1 == "phone" && !($15 < 1e-6) { exit 1 }' report.csv || fail "phone p-value"
awk -F, 'NR > 1 && !($19 > 0) { exit 1 }' report.csv || fail "mde"
# same seed, same bytes
"$LAPSE_BIN" simulate --campaign -q -o sim2 --users 20000 --seed 11 --control 0.2 \
    --uplift sms_email=0.03,push_feature=0.05,coupon=0.1,phone=0.2,community=-0.02 --variants 2
cmp sim/events.csv sim2/events.csv && cmp sim/sends.csv sim2/sends.csv || fail "simulate is not reproducible"

# Sequences in the simulator: each step's planted uplift (over stopping
# before it) inside its interval; the same seed gives the same bytes.
"$LAPSE_BIN" simulate --campaign -q -o simseq --users 20000 --seed 5 --control 0.2 \
    --sequence push@0h,sms@24h,phone@48h --step-uplift 0.03,0.05,0.1 --step-holdout 0.3
"$LAPSE_BIN" campaign eval -q --sends simseq/sends.csv --clicks simseq/clicks.csv --control 0.2 \
    -o seq_sim_report.csv simseq/events.csv
awk -F, 'NR == FNR { if (FNR > 1) truth[$1] = $4; next }
         FNR > 1 && $1 != "all" {
             n++
             if (!($13 <= truth[$26] && truth[$26] <= $14)) { print "step " $26 ": " truth[$26] " outside [" $13 ", " $14 "]"; bad = 1 }
             if ($27 == "" || $27 + 0 > $5 + 0) { print "step " $26 ": recalled without click " $27; bad = 1 }
             # later steps too: against the plan'"'"'s step_holdout column
             if ($18 == "" || $18 < 0.001) { print "step " $26 ": SRM p " $18; bad = 1 }
         }
         END { exit bad || n != 3 }' simseq/truth.csv seq_sim_report.csv || fail "planted step uplift outside its interval"
"$LAPSE_BIN" simulate --campaign -q -o simseq2 --users 20000 --seed 5 --control 0.2 \
    --sequence push@0h,sms@24h,phone@48h --step-uplift 0.03,0.05,0.1 --step-holdout 0.3
cmp simseq/events.csv simseq2/events.csv && cmp simseq/sends.csv simseq2/sends.csv || fail "sequence simulation is not reproducible"
# With capacities: no channel's day holds more touches than its capacity;
# later users skip full steps (some open at sms), and each step's planted
# uplift is still inside its intervals (opening and following rows).
"$LAPSE_BIN" simulate --campaign -q -o simcap --users 20000 --seed 5 --control 0.2 \
    --sequence push@0h,sms@24h,phone@48h --step-uplift 0.03,0.05,0.1 --step-holdout 0.3 \
    --capacity push=10000,sms=15000,phone=5000
awk -F, 'FNR > 1 { n[$2 "," substr($3, 1, 10)]++ }
         END { cap["push"] = 10000; cap["sms"] = 15000; cap["phone"] = 5000
               for (k in n) { split(k, a, ","); if (n[k] > cap[a[1]]) { print k ": " n[k]; bad = 1 }
                              if (n[k] != cap[a[1]]) { print k ": " n[k] " below a full day"; bad = 1 } }
               exit bad || length(n) != 3 }' simcap/sends.csv || fail "simulated capacities"
"$LAPSE_BIN" campaign eval -q --sends simcap/sends.csv --control 0.2 -o cap_report.csv simcap/events.csv
awk -F, 'NR == FNR { if (FNR > 1) truth[$1] = $4; next }
         FNR > 1 && $1 != "all" {
             n++; opening[$26 "," $28] = 1
             if (!($13 <= truth[$26] && truth[$26] <= $14)) { print "step " $26 ": " truth[$26] " outside [" $13 ", " $14 "]"; bad = 1 }
         }
         END { exit bad || n != 4 || !(("2,1") in opening) }' simcap/truth.csv cap_report.csv ||
    fail "capacities: planted step uplift outside its interval: $(cat cap_report.csv)"
# A channels file names the sequence's channels, costs and capacities.
printf 'name,cost,uplift,condition,capacity\nvip_call,3,0.2,,300\nsms,0.03,0.02,,\n' > sim_channels.csv
"$LAPSE_BIN" simulate --campaign -q -o simfile --users 1000 --sequence sms@0h,vip_call@24h \
    --step-uplift 0.03,0.1 --channels sim_channels.csv
awk -F, 'FNR > 1 { n[$2]++; if ($2 == "vip_call" && $4 == "treatment" && $5 != 3) bad = 1 }
         END { exit bad || n["sms"] != 1000 || n["vip_call"] != 300 }' simfile/sends.csv ||
    fail "simulate --channels: $(head -5 simfile/sends.csv)"
expect_error 2 'need --sequence' simulate --campaign -q -o simbad --capacity phone=3
expect_error 2 'capacity is 0' simulate --campaign -q -o simbad --sequence push@0h,phone@24h --capacity phone=0
expect_error 2 'step-uplift needs 2 numbers' simulate --campaign -q -o simbad --sequence push@0h,sms@24h \
    --step-uplift 0.03

# plan -> eval: the send list plan writes is what eval reads.
cat > scored.csv <<'EOF'
user_id,asof,p_churn,risk_tier,segment,days_silent,value_tier,value_at_risk,reason_1,reason_2,reason_3,action,label
a,2026-03-01,0.5,high,mixed,2,high,100,x,y,z,phone,
b,2026-03-01,0.2,low,mixed,2,low,,x,y,z,sms_email,
c,2026-03-01,0.9,high,feature-dependent,2,medium,10,x,y,z,push_feature,
EOF
"$LAPSE_BIN" campaign plan -q --budget 2.1 --control 0 --send-at 2026-03-01T09:00:00Z -o plan.csv scored.csv
# without has_app, push goes to c (push suggested) and not to a: a gets phone.
[ "$(cut -d, -f1,2,4,5 plan.csv | tr '\n' ' ')" = "user_id,channel,group,cost a,phone,treatment,2 b,community,treatment,0.02 c,push_feature,treatment,0 " ] || fail "plan: $(cat plan.csv)"
"$LAPSE_BIN" campaign plan -q --budget 10 --cost phone=50 --control 0 -o plan2.csv scored.csv
grep -q '^a,coupon,' plan2.csv || fail "--cost phone=50 moves a to coupon: $(cat plan2.csv)"
"$LAPSE_BIN" campaign plan -q --budget 100 --control 0.5 --seed 3 -o plan3.csv scored.csv
[ "$(grep -c ',control,0,-,' plan3.csv)" -eq 3 ] || fail "one-user strata round 0.5 up to control"
printf 'user_id,ts,event\na,2026-02-20,login\na,2026-03-01T10:00:00Z,login\nc,2026-03-05,login\nz,2026-04-15,login\n' > log.csv
"$LAPSE_BIN" campaign eval -q --sends plan.csv -o plan_report.csv log.csv
grep -q '^phone,A,1,,1,1,2,2,0,0,,' plan_report.csv || fail "plan report: $(cat plan_report.csv)"

# Channels as configuration: the built-in table round-trips, a file adds a
# channel with a condition and a daily capacity, eval reads the same file.
"$LAPSE_BIN" campaign channels -o channels.csv
head -1 channels.csv | grep -qx 'name,cost,uplift,condition,capacity' || fail "channels header"
grep -qx 'phone,2,0.15,value_tier = high,' channels.csv || fail "built-in phone: $(cat channels.csv)"
for c in sms email push wechat gift coupon cash trial event; do
    grep -q "^$c," channels.csv || fail "built-in table lacks $c"
done
"$LAPSE_BIN" campaign plan -q --budget 2.1 --control 0 --send-at 2026-03-01T09:00:00Z \
    --channels channels.csv -o plan_file.csv scored.csv
cmp plan.csv plan_file.csv || fail "the built-in table as a file plans the same"
printf 'name,cost,uplift,condition,capacity\nvoice_bot,0.1,0.3,p_churn >= 0.5,1\nsms_email,0.05,0.02,,\n' > mine.csv
"$LAPSE_BIN" campaign plan -q --budget 10 --control 0 --channels mine.csv -o plan_mine.csv scored.csv
# a and c pass p_churn >= 0.5, but voice_bot's capacity is 1 a day: one of them
[ "$(grep -c ',voice_bot,' plan_mine.csv)" -eq 1 ] || fail "capacity 1: $(cat plan_mine.csv)"
grep -q '^b,sms_email,' plan_mine.csv || fail "b (p 0.2) gets sms_email: $(cat plan_mine.csv)"
"$LAPSE_BIN" campaign plan -q --budget 10 --control 0 --channels mine.csv --capacity voice_bot=none \
    -o plan_mine2.csv scored.csv
[ "$(grep -c ',voice_bot,' plan_mine2.csv)" -eq 2 ] || fail "no limit: $(cat plan_mine2.csv)"
"$LAPSE_BIN" campaign eval -q --channels mine.csv --sends plan_mine.csv -o mine_report.csv log.csv
grep -q '^voice_bot,A,1,' mine_report.csv || fail "eval by the channels file: $(cat mine_report.csv)"
expect_exit 1 campaign eval -q --sends plan_mine.csv -o out.csv log.csv
grep -q 'unknown channel "voice_bot" (sms_email, push_feature, coupon, phone, community, sms, .*(in plan_mine.csv:2, column 2)' err.txt ||
    fail "unknown channel without the file: $(cat err.txt)"
printf 'name,cost,uplift,condition,capacity\nvoice_bot,0.1,0.3,p_churn => 0.5,1\n' > badch.csv
expect_error 1 'bad condition: a value expected at byte 10' campaign plan -q --budget 10 --channels badch.csv \
    -o out.csv scored.csv
grep -qF '(in badch.csv:2, column 4)' err.txt || fail "bad condition: $(cat err.txt)"
[ ! -e out.csv ] || fail "plan left behind"
expect_error 2 '"voice_bot=0.1" is not channel=value' campaign plan -q --budget 10 --uplift voice_bot=0.1 \
    -o out.csv scored.csv
# a channel the plan could choose whose column the scored file lacks: said
"$LAPSE_BIN" campaign plan --budget 10 --uplift wechat=0.1 -o plan_wechat.csv scored.csv 2> err.txt
grep -q 'warning: scored.csv has no column "wechat": nobody may get channel wechat' err.txt ||
    fail "missing column warning: $(cat err.txt)"

# Sequences: plan a push, an sms a day later and a call at 48 h; next, run
# as the hours pass, sends only to users not back yet, never to control.
printf 'user_id,asof,p_churn,risk_tier,value_tier,value_at_risk,action,has_app\nu1,2026-03-01,0.5,high,high,100,phone,1\nu2,2026-03-01,0.6,high,low,0,sms_email,0\nu3,2026-03-01,0.7,high,medium,20,coupon,1\n' > seq_scored.csv
"$LAPSE_BIN" campaign plan --budget 100 --control 0 --uplift push=0.03,sms=0.02 --send-at 2026-03-01T09:00:00Z \
    --sequence push@0h,sms@24h,phone@48h -o seq.csv seq_scored.csv 2> err.txt
head -1 seq.csv | grep -qx 'user_id,channel,sent_at,group,cost,variant,expected_value,risk_tier,step,start,step_holdout' || fail "sequence header"
[ "$(cut -d, -f1,2,9 seq.csv | tail -n +2 | tr '\n' ' ')" = "u1,push,1 u1,phone,3 u2,sms,2 u3,push,1 u3,sms,2 " ] ||
    fail "sequence steps: $(cat seq.csv)"
grep -q '4 sequence steps skipped' err.txt || fail "skipped steps: $(cat err.txt)"
printf 'user_id,ts,event\nu1,2026-02-25,login\nu2,2026-02-25,login\nu3,2026-02-25,login\nu3,2026-03-01T15:00:00Z,login\nz,2026-03-02T12:00:00Z,login\n' > seq_log.csv
"$LAPSE_BIN" campaign next -q --plan seq.csv --now 2026-03-01T12:00:00Z -o due1.csv seq_log.csv
[ "$(tail -n +2 due1.csv | cut -d, -f1-3 | tr '\n' ' ')" = "u1,push,1 u3,push,1 " ] || fail "first run: $(cat due1.csv)"
"$LAPSE_BIN" campaign next --plan seq.csv --now 2026-03-02T12:00:00Z --since 2026-03-01T12:00:00Z \
    -o due2.csv seq_log.csv 2> err.txt
[ "$(tail -n +2 due2.csv | cut -d, -f1-3 | tr '\n' ' ')" = "u2,sms,2 " ] || fail "second run (u3 is back): $(cat due2.csv)"
grep -q '1 touches due; 1 of 3 treatment users came back' err.txt || fail "next summary: $(cat err.txt)"
# the call is due after the log's last event: written, with a counted warning
"$LAPSE_BIN" campaign next --plan seq.csv --now 2026-03-03T12:00:00Z --since 2026-03-02T12:00:00Z \
    -o due3.csv seq_log.csv 2> err.txt
grep -q '^u1,phone,3,' due3.csv || fail "third run: $(cat due3.csv)"
grep -q "warning: 1 touches are due after the log's last event (2026-03-02T12:00:00Z)" err.txt || fail "unseen warning: $(cat err.txt)"
# control users get no touch
"$LAPSE_BIN" campaign plan -q --budget 100 --control 0.9 --uplift push=0.03,sms=0.02 --send-at 2026-03-01T09:00:00Z \
    --sequence push@0h,sms@24h,phone@48h -o seq_c.csv seq_scored.csv
"$LAPSE_BIN" campaign next --plan seq_c.csv --now 2026-03-03T12:00:00Z -o due_c.csv seq_log.csv 2> err.txt
[ "$(wc -l < due_c.csv)" -eq 1 ] && grep -q 'control touches held back' err.txt || fail "control got touches: $(cat due_c.csv)"
# eval of the sequence: a row per step and channel, recall to the last touch
printf 'user_id,ts,event\nu1,2026-02-25,login\nu2,2026-02-25,login\nu3,2026-02-25,login\nu3,2026-03-01T15:00:00Z,login\nu2,2026-03-02T10:00:00Z,login\nz,2026-04-15,login\n' > seq_after.csv
"$LAPSE_BIN" campaign eval --sends seq.csv -o seq_report.csv seq_after.csv 2> err.txt
head -1 seq_report.csv | grep -q ',censored,control_censored,step,recalled_without_click,opening$' || fail "sequence report header"
[ "$(cut -d, -f1,3,5,26 seq_report.csv | tail -n +2 | tr '\n' ' ')" = "push,2,1,1 sms,1,1,2 phone,1,0,3 all,3,2,0 " ] ||
    fail "sequence report: $(cat seq_report.csv)"
grep -q 'step 2 (opening)  sms' err.txt || fail "sequence summary: $(cat err.txt)"
# u2 cannot get the push: its sms opens its sequence, compared with the control group
[ "$(cut -d, -f1,26,28 seq_report.csv | tr '\n' ' ')" = "channel,step,opening push,1,1 sms,2,1 phone,3,0 all,0,1 " ] || fail "opening column: $(cat seq_report.csv)"
# a step holdout stops some sequences before their later steps: control rows
"$LAPSE_BIN" campaign plan --budget 100 --control 0 --step-holdout 0.9 --seed 4 --uplift push=0.03,sms=0.02 \
    --send-at 2026-03-01T09:00:00Z --sequence push@0h,sms@24h,phone@48h -o seq_h.csv seq_scored.csv 2> err.txt
grep -q 'sequences stopped early' err.txt || fail "holdout summary: $(cat err.txt)"
grep -q ',control,0,-,.*,[23],2026' seq_h.csv || fail "no held-out step: $(cat seq_h.csv)"

# bad sequences: exit 2 with the reason
bad_plan() { expect_error 2 "$1" campaign plan -q --budget 100 "${@:2}" -o out_seq.csv seq_scored.csv; }
bad_plan 'cannot go back in time' --sequence push@24h,sms@0h
bad_plan 'step "fax@24h" is not channel@hours' --sequence push@0h,fax@24h
bad_plan 'step 2 needs phone, whose capacity is 0' --capacity phone=0 --sequence push@0h,phone@48h
[ ! -e out_seq.csv ] || fail "plan left behind"
expect_exit 2 campaign next -q --plan seq.csv --now 2026-03-01T12:00:00Z --since 2026-03-02T00:00:00Z seq_log.csv
expect_error 1 'the header has no "step" column (in plan.csv:1)' campaign next -q --plan plan.csv \
    --now 2026-03-01T12:00:00Z seq_log.csv

# Bad send lists: located errors, exit 1, no report left behind.
printf 'user_id,channel,sent_at,group,cost,variant\na,sms_email,2026-03-01,treatment,0.05,A\nb,fax,2026-03-01,treatment,1,A\n' > bad.csv
expect_exit 1 campaign eval -q --sends bad.csv -o out.csv log.csv
grep -q 'unknown channel "fax".*(in bad.csv:3, column 2)' err.txt || fail "message: $(cat err.txt)"
[ ! -e out.csv ] || fail "report left behind"
printf 'user_id,channel,sent_at,group,cost,variant\na,sms_email,2026-04-16,treatment,0.05,A\n' > late.csv
expect_error 1 "closes after the log's last event (2026-04-15T00:00:00Z), as every send's does: nothing can be measured (give the log through the end of the windows) (in late.csv:2, column 3)" \
    campaign eval -q --sends late.csv log.csv
# unknown users and repeated rows: counted warnings, exit 0
printf 'user_id,channel,sent_at,group,cost,variant\na,sms_email,2026-03-01,treatment,0.05,A\nghost,sms_email,2026-03-01,control,0,-\na,sms_email,2026-03-01,treatment,0.05,A\n' > warn.csv
"$LAPSE_BIN" campaign eval --sends warn.csv log.csv > /dev/null 2> err.txt
grep -q 'warning: warn.csv:3: user "ghost" has no event in the log' err.txt || fail "unknown user warning: $(cat err.txt)"
grep -q 'warning: warn.csv:4 repeats line 2' err.txt || fail "duplicate warning: $(cat err.txt)"
grep -q '3 sends (1 duplicate rows, 1 users not in the log)' err.txt || fail "counts: $(cat err.txt)"

# Usage errors exit 2; a missing file exits 3.
expect_exit 2 campaign plan scored.csv
expect_exit 2 campaign plan --budget 1 --cost fax=1 scored.csv
expect_exit 2 campaign eval log.csv
expect_exit 2 campaign launch
expect_exit 3 campaign eval --sends missing.csv log.csv
expect_error 2 '--step-holdout needs --sequence' campaign plan --budget 10 --step-holdout 0.2 -o step.csv scores.csv
echo ok

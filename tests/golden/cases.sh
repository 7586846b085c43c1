# The golden cases, run in order in one folder by tests/cli/golden.sh: each
# `case_ NAME` is followed by a function golden_NAME whose transcript is
# tests/golden/NAME.txt. Add a case: write the function, run the --redo
# command, review the new file.

case_ help
golden_help() {
    run --help
    run
    run nosuch
    for c in simulate extract train score eval report bench campaign model; do run "$c" --help; done
    run campaign plan --help
    run campaign eval --help
    run simulate --campaign --help
    run extract --features
}

case_ usage
golden_usage() {
    run extract --nosuch x.csv
    run extract --asof 2026-13-01 -o f.csv x.csv
    run extract --asof 2026-03-01 -@ 0 -o f.csv x.csv
    run extract --asof 2026-03-01 --preset nosuch -o f.csv x.csv
    run extract --asof 2026-03-01 -o f.csv
    run train --model tree -o m f.csv
    run train --model svm --k 0 -o m f.csv
    run train --model svm -C abc -o m f.csv
    run score -o s.csv f.csv
    run score -m m --top x f.csv
    run eval --threshold 2 f.csv
    run campaign plan --budget -1 s.csv
    run campaign eval s.csv
    run campaign nosuch
    run model show
    run simulate --users 0 -o sim
}

case_ simulate
golden_simulate() {
    run simulate --seed 5 --users 400 --days 150 -o sim
    show sim/events.csv.gz sim/truth.csv sim/truth_snapshots.csv
    run simulate -q --seed 5 --users 400 --days 150 -@ 2 --files 3 --observer -o simf
    show simf/events-0.csv.gz simf/events-1.csv.gz simf/events-2.csv.gz simf/truth_snapshots.csv
}

case_ inspect
golden_inspect() {
    run inspect --help
    run inspect -n 5 sim/events.csv.gz
    printf 'uid,time,action,extra\nu1,2026-01-01T10:00:00Z,AppOpen,x\nu1,2026-01-01T10:05:00Z,checkout_done,x\nu2,2026-01-02T08:00:00Z,share_photo,x\nu3,2026-01-05T08:00:00Z,"odd, name",x\nu3,2026-01-05T09:00:00Z,login,x\n' >own.csv
    run inspect --col user_id=uid,ts=time,event=action -o map.csv own.csv
    show map.csv
    grep -v login own.csv >nokey.csv
    run extract -q --col user_id=uid,ts=time,event=action --no-labels --asof 2026-01-04 -o nokey_feat.csv nokey.csv
    run extract -q --col user_id=uid,ts=time,event=action --events map.csv --no-labels --asof 2026-01-04 -o nokey_feat.csv nokey.csv
    # The same events as TSV, zstd-compressed, blank-aligned and JSON lines.
    tr , '\t' <own.csv | grep -v odd >own.tsv
    zstd -q -f own.tsv -o own.tsv.zst
    tr , ' ' <own.csv | grep -v odd >own.txt
    printf '{"uid":"u1","time":"2026-01-01T10:00:00Z","action":"AppOpen"}\n{"uid":"u2","time":1767254400,"action":"share_photo","props":{"x":1}}\n' >own.jsonl
    run inspect -n 2 --col user_id=uid,ts=time,event=action own.tsv.zst
    run inspect -n 2 --delim ' ' --col user_id=uid,ts=time,event=action own.txt
    run inspect -n 2 --col user_id=uid,ts=time,event=action own.jsonl
}

case_ extract
golden_extract() {
    run extract --asof 2026-03-02,2026-04-01,2026-05-01 --dormant dormant.csv -o feat.csv sim/events.csv.gz
    SHOW_LINES=3 show feat.csv dormant.csv
    run extract -q -@ 2 --asof 2026-03-02,2026-04-01,2026-05-01 -o feat2.csv sim/events.csv.gz
    SHOW_LINES=0 show feat2.csv
    run extract --preset game --asof 2026-04-01 -o game.csv simf/events-0.csv.gz simf/events-1.csv.gz simf/events-2.csv.gz
    SHOW_LINES=3 show game.csv
    run extract --no-labels --asof 2026-05-30 -o now.csv sim/events.csv.gz
    SHOW_LINES=3 show now.csv
}

case_ train
golden_train() {
    run train --model logistic --seed 3 -o log.model feat.csv
    show log.model
    run train --model svm --seed 3 --max-train 300 -@ 2 -o svm.model feat.csv
    show svm.model
    run model show log.model
    run model show svm.model
}

case_ score
golden_score() {
    run score -m log.model -o scored.csv feat.csv
    show scored.csv
    run score -q -m svm.model -@ 2 --top 10 now.csv
    run score -q -m log.model --top 10 --sort value dormant.csv
    run score -m log.model --logs --asof 2026-05-30 --top 5 sim/events.csv.gz
    run eval scored.csv
}

case_ campaign
golden_campaign() {
    run score -q -m log.model -o now_scored.csv now.csv
    run campaign plan --budget 40 --seed 2 --send-at 2026-05-30T09:00:00Z -o sends.csv now_scored.csv
    show sends.csv
    run campaign eval --sends sends.csv sim/events.csv.gz
    run campaign plan -q --budget 40 --seed 2 --control 0.2 --send-at 2026-05-10T09:00:00Z -o sends2.csv now_scored.csv
    run campaign eval --sends sends2.csv -o sends2_report.csv sim/events.csv.gz
    SHOW_LINES=20 show sends2_report.csv
    # warnings answered by their own response; a phone team of 3 calls a day
    printf 'trigger,segment,value,action\n*,*,high,phone\npayment_stopped,*,*,coupon\nsocial_gone,*,*,community\nlogin_falling,*,*,in_app\ndevice_changed,*,*,sms\n*,*,*,sms_email\n' >trigger_rules.csv
    run score -q -m log.model --rules trigger_rules.csv -o trigger_scored.csv now.csv
    SHOW_LINES=12 show trigger_scored.csv
    run campaign plan --budget 40 --seed 2 --capacity phone=3 --uplift sms=0.02,in_app=0.01 --send-at 2026-05-30T09:00:00Z -o sends3.csv trigger_scored.csv
    show sends3.csv
    # a 48-hour sequence: plan, the touches due at two runs, eval per step
    run campaign plan --budget 40 --seed 2 --uplift push=0.03,sms=0.02 --step-holdout 0.3 --send-at 2026-05-10T09:00:00Z --sequence push@0h,sms@24h,phone@48h -o seq.csv now_scored.csv
    show seq.csv
    run campaign next --plan seq.csv --now 2026-05-10T12:00:00Z -o due1.csv sim/events.csv.gz
    run campaign next --plan seq.csv --now 2026-05-11T12:00:00Z --since 2026-05-10T12:00:00Z -o due2.csv sim/events.csv.gz
    show due1.csv due2.csv
    run campaign eval --sends seq.csv -o seq_report.csv sim/events.csv.gz
    SHOW_LINES=20 show seq_report.csv
    run simulate --campaign --users 3000 --seed 11 --control 0.2 --sequence push@0h,sms@24h --step-uplift 0.05,0.05 --step-holdout 0.3 -o campseq
    run campaign eval --sends campseq/sends.csv --clicks campseq/clicks.csv --control 0.2 -o seqsim.csv campseq/events.csv
    show seqsim.csv campseq/truth.csv
    run simulate --campaign --users 3000 --seed 11 --control 0.2 -o camp
    show camp/sends.csv camp/truth.csv
    run campaign eval --sends camp/sends.csv --clicks camp/clicks.csv --control 0.2 -o report.csv camp/events.csv
    SHOW_LINES=20 show report.csv
}

case_ horizons
golden_horizons() {
    # one hazard model for 7, 14 and 30 days (issue 15): train, show, score, eval
    run train --model logistic --seed 3 --horizons 7,14,30 -o hz.model feat.csv
    show hz.model
    run model show hz.model
    run score -q -m hz.model -o hz_scored.csv feat.csv
    SHOW_LINES=4 show hz_scored.csv
    run eval hz_scored.csv
    run eval --csv hz_eval hz_scored.csv
    show hz_eval/horizons.csv
    run simulate -q --seed 5 --users 100 --days 150 --observer --horizons 7,14,30 -o simh
    SHOW_LINES=3 show simh/truth_snapshots.csv
    run train -q --model logistic --horizons 14,7 -o x.model feat.csv
    run train -q --model logistic --horizons 7,45 -o x.model feat.csv
}

case_ stack
golden_stack() {
    # a classifier stacked on the BG/NBD probability of no purchase (issue 14)
    run train --model logistic --seed 3 --with-btyd -o st.model feat.csv
    show st.model
    run model show st.model
    run score -q -m st.model --top 5 now.csv
    run train -q --model svm --with-btyd --time-unit weeks --max-train 300 -o st2.model feat.csv
    run model show st2.model
}

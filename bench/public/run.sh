#!/bin/bash
# lapse and its peers (scikit-learn LogisticRegression, XGBoost) on one public churn data set,
# the same rows and split for all. bench/public/README.md says where each data set comes from.
#
#   bash bench/public/run.sh NAME DATADIR [WORKDIR]
#
# NAME: cdnow | xuetangx | telco | bank. DATADIR holds the files as fetched (README.md). WORKDIR
# (default /tmp/lapse-public/NAME) receives the tables, models and scores. LAPSE names the
# binary (default build-rel/lapse, a Release build); peers run on Debian's /usr/bin/python3.
# Progress goes to stderr; stdout ends with the result table (bench/public/peers.py explains it).
set -euo pipefail
cd "$(dirname "$0")/../.."
NAME=${1:?usage: run.sh NAME DATADIR [WORKDIR]}
DATA=${2:?usage: run.sh NAME DATADIR [WORKDIR]}
WORK=${3:-/tmp/lapse-public/$NAME}
LAPSE=${LAPSE:-build-rel/lapse}
PY=/usr/bin/python3
PEERS=bench/public/peers.py
SEED=1
mkdir -p "$WORK"

run() { echo "+ $*" >&2; "$@"; }

# The validation AUC lapse train reported, as model show prints it.
reported_auc() { "$LAPSE" model show "$1" | sed -n 's/^validation: *AUC \([0-9.]*\).*/\1/p'; }

# Event logs: lapse extracts the training snapshots and, separately, a later test snapshot
# (rows lapse train never sees); lapse train holds out its own latest snapshot for
# validation. Peers fit on lapse train's fitting rows, stop early on its validation rows,
# and all are judged on the test snapshot.
log_models() {
    local kind
    for kind in logistic svm; do
        run "$LAPSE" train --model "$kind" -q -o "$WORK/$kind.model" "$WORK/train.csv"
        run "$LAPSE" score -m "$WORK/$kind.model" -q -o "$WORK/test.$kind.csv" "$WORK/test.csv"
        echo "== lapse $kind: lapse eval on the test snapshot" >&2
        "$LAPSE" eval "$WORK/test.$kind.csv" | sed -n 1,2p >&2
    done
    echo "== $NAME"
    $PY $PEERS features "$WORK/train.csv" "$WORK/test.csv" $SEED \
        "lapse-logistic=$WORK/test.logistic.csv=$(reported_auc "$WORK/logistic.model")" \
        "lapse-svm=$WORK/test.svm.csv=$(reported_auc "$WORK/svm.model")"
}

# Customer tables (one row per customer, a label column): a seeded, stratified 20% of the
# rows is the test set, written as two files of the table's own rows that lapse and the
# peers both read. Needs `lapse train --label COL --id COL [--positive VALUE]` (issue 11);
# without it, only the peers run and the script says so. $4: the label's churn value.
table_models() {
    local file=$1 id=$2 label=$3 positive=$4
    local labelopts=(--label "$label" --id "$id")
    [ "$positive" = 1 ] || labelopts+=(--positive "$positive")
    run $PY $PEERS split "$file" "$id" "$label" "$WORK" $SEED
    echo "+ $LAPSE train --model logistic ${labelopts[*]} -o $WORK/logistic.model $WORK/train.csv" >&2
    if "$LAPSE" train --model logistic "${labelopts[@]}" \
            -o "$WORK/logistic.model" "$WORK/train.csv" 2>"$WORK/train.err"; then
        cat "$WORK/train.err" >&2
        run "$LAPSE" train --model svm "${labelopts[@]}" -q -o "$WORK/svm.model" "$WORK/train.csv"
        local kind
        for kind in logistic svm; do
            run "$LAPSE" score -m "$WORK/$kind.model" -q -o "$WORK/test.$kind.csv" "$WORK/test.csv"
        done
        echo "== $NAME"
        $PY $PEERS table "$WORK" "$id" "$label" "$positive" $SEED \
            "lapse-logistic=$WORK/test.logistic.csv=$(reported_auc "$WORK/logistic.model")" \
            "lapse-svm=$WORK/test.svm.csv=$(reported_auc "$WORK/svm.model")"
    else
        echo "== $NAME: lapse train refused the table (needs issue 11's --label; it said: $(grep -v 'warning:' "$WORK/train.err" | head -1)); peers only"
        $PY $PEERS table "$WORK" "$id" "$label" "$positive" $SEED
    fi
}

case $NAME in
cdnow)
    # CDNOW master: 69,659 purchases of 23,570 customers, blank-separated, no header, no
    # event column. lapse needs a header row, so one is put in front on the way in.
    log() { { echo 'user_id ts quantity amount'; cat "$DATA/CDNOW_master.txt"; }; }
    opts=(--preset ecommerce --delim ' ' --event purchase -q)
    log | run "$LAPSE" extract "${opts[@]}" -o "$WORK/train.csv" \
        --asof 2021-04-01,2021-05-01,2021-06-01,2021-07-01,2021-08-01,2021-09-01,2021-10-01,2021-11-01,2021-12-01,2022-01-01,2022-02-01,2022-03-01,2022-04-01 -
    log | run "$LAPSE" extract "${opts[@]}" --asof 2022-05-01 -o "$WORK/test.csv" -
    log_models
    ;;
xuetangx)
    # KDD Cup 2015 dropout, the per-day count copy: needs bench/public/xuetangx_prep.sh
    # first (the conversion lapse cannot do yet). Labels are the official truth_train.csv;
    # each enrollment is extracted at the day after its course's window (--asof-file).
    [ -f "$DATA/lapse/events.csv.gz" ] || run bash bench/public/xuetangx_prep.sh "$DATA"
    # shellcheck disable=SC2054 # the commas are --key's own list
    opts=(--events bench/public/xuetangx_map.csv --key activity,core,social,other
          --labels "$DATA/lapse/labels.csv" -q)
    run "$LAPSE" extract "${opts[@]}" --asof-file "$DATA/lapse/train_asof.csv" \
        -o "$WORK/train.csv" "$DATA/lapse/events.csv.gz"
    run "$LAPSE" extract "${opts[@]}" --asof-file "$DATA/lapse/test_asof.csv" \
        -o "$WORK/test.csv" "$DATA/lapse/events.csv.gz"
    log_models
    ;;
telco)
    table_models "$DATA/WA_Fn-UseC_-Telco-Customer-Churn.csv" customerID Churn Yes
    ;;
bank)
    table_models "$DATA/Churn_Modelling.csv" CustomerId Exited 1
    ;;
*)
    echo "run.sh: unknown data set \"$NAME\" (cdnow, xuetangx, telco, bank)" >&2
    exit 2
    ;;
esac

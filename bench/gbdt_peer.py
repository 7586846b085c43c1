"""The peer of bench/gbdt.sh: python's xgboost (Debian python3-xgboost, the
same libxgboost as lapse) with lapse's gbdt settings and early-stopping
procedure on the same training and validation rows, and the AUC of lapse's own
scores on those validation rows.

  gbdt_peer.py sim FEATURES.csv VALID_ASOF LAPSE_SCORES.csv
  gbdt_peer.py own TABLE.csv LABEL POSITIVE ID HOLDOUT_IDS.csv LAPSE_SCORES.csv
"""
import sys
import time

import numpy as np
import pandas as pd
import xgboost as xgb


def auc(y, s):
    """Mann-Whitney AUC with ties counted half."""
    r = pd.Series(s).rank().to_numpy()
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return (r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0)


def fit(xt, yt, xv):
    """lapse's procedure (src/tasks/train.c, fit_gbdt): a seeded fifth of the
    training rows chooses the round on trees grown from the rest, then the
    trees are grown again on every training row for that many rounds. The
    validation rows only judge."""
    params = {"objective": "binary:logistic", "tree_method": "hist", "nthread": 1,
              "max_depth": 6, "eta": 0.1, "seed": 1, "eval_metric": "logloss"}
    start = time.perf_counter()
    stop = np.random.default_rng(1).random(len(yt)) < 0.2
    ds = xgb.DMatrix(xt[stop], label=yt[stop])
    probe = xgb.train(params, xgb.DMatrix(xt[~stop], label=yt[~stop]), 300,
                      evals=[(ds, "stop")], early_stopping_rounds=20, verbose_eval=False)
    b = xgb.train(params, xgb.DMatrix(xt, label=yt), probe.best_iteration + 1)
    seconds = time.perf_counter() - start
    return b.predict(xgb.DMatrix(xv)), probe.best_iteration, seconds


def lapse_auc(scores, keys, y_by_key):
    s = pd.read_csv(scores, comment="#", dtype={"user_id": str, "asof": str})
    s = s.set_index(keys)
    rows = s.loc[y_by_key.index]
    return auc(y_by_key.to_numpy(), rows["p_churn"].to_numpy())


def main():
    if sys.argv[1] == "sim":
        features, valid_asof, scores = sys.argv[2:5]
        t = pd.read_csv(features, skiprows=1, dtype={"user_id": str, "asof": str})
        t = t[t["label"].notna()]
        # days_to_churn is the label's day: an outcome, not a feature.
        cols = [c for c in t.columns if c not in ("user_id", "asof", "label", "days_to_churn")]
        valid = t["asof"] == valid_asof
        keys = ["user_id", "asof"]
    else:
        table, label, positive, idcol, holdout, scores = sys.argv[2:8]
        t = pd.read_csv(table, dtype={idcol: str})
        t["label"] = (t[label].astype(str) == positive).astype(int)
        t = t.rename(columns={idcol: "user_id"})
        x = t.drop(columns=["user_id", label, "label"])
        for c in x.columns:  # numbers where they parse (TotalCharges has blanks), else levels
            num = pd.to_numeric(x[c], errors="coerce")
            x[c] = num if num.notna().sum() >= 0.9 * len(x) else x[c]
        x = pd.get_dummies(x, dtype=float)
        cols = list(x.columns)
        t = pd.concat([t[["user_id", "label"]], x], axis=1)
        held = set(pd.read_csv(holdout, header=None, dtype=str)[0])
        valid = t["user_id"].isin(held)
        keys = ["user_id"]
    xt, yt = t.loc[~valid, cols].to_numpy(float), t.loc[~valid, "label"].to_numpy(int)
    xv, yv = t.loc[valid, cols].to_numpy(float), t.loc[valid, "label"].to_numpy(int)
    p, best, seconds = fit(xt, yt, xv)
    y_by_key = t.loc[valid].set_index(keys)["label"]
    print(f"rows: {len(xt)} train, {len(xv)} validation, {len(cols)} features")
    print(f"python xgboost {xgb.__version__}: AUC {auc(yv, p):.4f}, best iteration {best}, "
          f"train {seconds:.2f} s")
    print(f"lapse gbdt scores on the same rows: AUC {lapse_auc(scores, keys, y_by_key):.4f}")


main()

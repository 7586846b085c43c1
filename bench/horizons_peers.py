#!/usr/bin/python3
"""Per-horizon figures for bench/horizons.sh (issue 15), all on the same rows.

usage: horizons_peers.py FIT LATER TRUTH MODEL_JSON HAZARD_SCORES SEPARATE_PREFIX H,H,H
                         [TREE_HAZARD_SCORES TREE_SEPARATE_PREFIX]

FIT, LATER: lapse feature tables (training snapshots, measured snapshot);
TRUTH: the simulator's truth_snapshots.csv (with --observer --horizons), or
"-" for a real log, which has none (its p_observed columns print "-");
MODEL_JSON: `lapse model show --json` of the hazard model (the peers get its
log1p transforms, then standardisation, as lapse does);
HAZARD_SCORES: lapse score of LATER with the hazard model (p_<h>);
SEPARATE_PREFIX<h>.csv: lapse score of LATER with a model trained on the
label days_to_churn <= h (p_churn); TREE_*: the same for the boosted-trees
hazard (lapse train --model gbdt --horizons) and separate gbdt models.

Peers, fitted on FIT's labelled rows in this run: scikit-learn
LogisticRegression (C=1, lapse's l2=1), one per horizon on the label
days_to_churn <= h; statsmodels' discrete-time logit hazard: person-period
rows (every row at risk in each band until it churns, no structural zeros),
the features plus one dummy per band after the first, fitted by
GLM(Binomial).fit_regularized with the same L2 (alpha = 1/n, intercept
unpenalised), p_h = 1 - prod(1 - hazard). Prints one line per horizon and
the concordance (Antolini's C_td, as lapse eval counts it) of each."""
import json
import sys

import numpy as np
import pandas as pd
import statsmodels.api as sm
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score


def read_table(path):
    return pd.read_csv(path, comment=None, skiprows=1, dtype={"user_id": str, "asof": str})


def ece(p, y):
    bins = np.minimum((p * 10).astype(int), 9)
    total = 0.0
    for b in range(10):
        m = bins == b
        if m.any():
            total += m.sum() / len(p) * abs(p[m].mean() - y[m].mean())
    return total


def concordance(ph, days, label, horizons):
    """Antolini: a churner at day t against every row with a later time;
    risk at t = p of the shortest horizon >= t."""
    last = horizons[-1]
    t = np.where((label == 1) & (days >= 1) & (days <= last), days, last + 1)
    conc = pairs = 0.0
    for i in np.nonzero(t <= last)[0]:
        h = next(k for k, hh in enumerate(horizons) if hh >= t[i])
        later = t > t[i]
        pj = ph[later, h]
        conc += (pj < ph[i, h]).sum() + 0.5 * (pj == ph[i, h]).sum()
        pairs += later.sum()
    return conc / pairs


def main():
    fit_path, later_path, truth_path, model_json, hazard_path, sep_prefix, hz = sys.argv[1:8]
    lapse_models = [("logistic", hazard_path, sep_prefix)]
    if len(sys.argv) > 9:
        lapse_models.append(("gbdt", sys.argv[8], sys.argv[9]))
    horizons = [int(h) for h in hz.split(",")]
    fit, later = read_table(fit_path), read_table(later_path)
    fit = fit[fit["label"].notna()].reset_index(drop=True)
    later = later[later["label"].notna()].reset_index(drop=True)
    model = json.load(open(model_json))
    names = [f["name"] for f in model["features"]]
    log1p = [f["name"] for f in model["features"] if f["transform"] == "log1p"]

    def design(df):
        x = df[names].astype(float).copy()
        x[log1p] = np.log1p(x[log1p])
        return x.to_numpy()

    xf, xl = design(fit), design(later)
    mu, sd = xf.mean(0), xf.std(0)
    keep = sd > 0
    xf = (xf[:, keep] - mu[keep]) / sd[keep]
    xl = (xl[:, keep] - mu[keep]) / sd[keep]
    dfit = fit["days_to_churn"].fillna(0).to_numpy()
    dlat = later["days_to_churn"].fillna(0).to_numpy()
    yfit, ylat = fit["label"].to_numpy(), later["label"].to_numpy()
    within = lambda y, d, h: ((y == 1) & (d >= 1) & (d <= h)).astype(int)

    key = later["user_id"] + "," + later["asof"]
    truth = None
    if truth_path != "-":
        truth = pd.read_csv(truth_path, dtype={"user_id": str, "asof": str})
        truth.index = truth["user_id"] + "," + truth["asof"]
        truth = truth.loc[key]

    def scored(path, col):
        s = pd.read_csv(path, comment="#", dtype={"user_id": str, "asof": str})
        s.index = s["user_id"] + "," + s["asof"]
        return s.loc[key, col].to_numpy()

    lapse_ph = {name: np.column_stack([scored(path, f"p_{h}") for h in horizons])
                for name, path, _ in lapse_models}

    # scikit-learn, one logistic regression per horizon.
    sk_ph = np.column_stack([
        LogisticRegression(C=1.0, max_iter=5000).fit(xf, within(yfit, dfit, h)).predict_proba(xl)[:, 1]
        for h in horizons])

    # statsmodels, discrete-time logit hazard on person-periods.
    rows, bands, ys = [], [], []
    for i in range(len(fit)):
        d = dfit[i] if yfit[i] == 1 else 0
        for b, h in enumerate(horizons):
            lo = horizons[b - 1] if b else 0
            rows.append(i)
            bands.append(b)
            event = d >= 1 and lo < d <= h
            ys.append(int(event))
            if event:
                break
    rows, bands, ys = np.array(rows), np.array(bands), np.array(ys)
    dummies = np.column_stack([(bands == b).astype(float) for b in range(1, len(horizons))])
    xpp = sm.add_constant(np.column_stack([xf[rows], dummies]), has_constant="add")
    alpha = np.full(xpp.shape[1], 1.0 / len(ys))
    alpha[0] = 0.0
    glm = sm.GLM(ys, xpp, family=sm.families.Binomial()).fit_regularized(alpha=alpha, L1_wt=0.0)
    hazard = np.column_stack([
        glm.predict(sm.add_constant(np.column_stack(
            [xl, np.tile((np.arange(1, len(horizons)) == b).astype(float), (len(xl), 1))]),
            has_constant="add"))
        for b in range(len(horizons))])
    sm_ph = 1 - np.cumprod(1 - hazard, axis=1)

    print(f"rows {len(later)} (labelled, measured snapshot); person-periods for statsmodels {len(ys)}")
    print("lapse  h  churners  lapse-AUC  ECE     separate-AUC  ECE     p_observed-AUC  ECE     lapse/p_obs  sklearn-AUC  ECE     statsmodels-AUC  ECE")
    for name, _, prefix in lapse_models:
        ph = lapse_ph[name]
        for k, h in enumerate(horizons):
            y = within(ylat, dlat, h)
            sep = scored(f"{prefix}{h}.csv", "p_churn")
            a = lambda p: roc_auc_score(y, p)
            if truth is None:
                observed = f"{'-':<6}          {'-':<6}  {'-':<6}       "
            else:
                pobs = truth[f"p_observed_{h}"].to_numpy()
                observed = f"{a(pobs):.4f}          {ece(pobs, y):.4f}  {a(ph[:, k]) / a(pobs):.4f}       "
            print(f"{name:<8} {h:<2} {y.sum():>9}  {a(ph[:, k]):.4f}     {ece(ph[:, k], y):.4f}  "
                  f"{a(sep):.4f}        {ece(sep, y):.4f}  {observed}"
                  f"{a(sk_ph[:, k]):.4f}       {ece(sk_ph[:, k], y):.4f}  {a(sm_ph[:, k]):.4f}           "
                  f"{ece(sm_ph[:, k], y):.4f}")
    bad = lambda ph: int((np.diff(ph, axis=1) < 0).any(axis=1).sum())
    print("C_td: " + "  ".join(f"lapse-{name} {concordance(lapse_ph[name], dlat, ylat, horizons):.4f}"
                               for name, _, _ in lapse_models) +
          f"  sklearn {concordance(sk_ph, dlat, ylat, horizons):.4f}  "
          f"statsmodels {concordance(sm_ph, dlat, ylat, horizons):.4f}" +
          ("" if truth is None else
           f"  p_observed {concordance(np.column_stack([truth[f'p_observed_{h}'].to_numpy() for h in horizons]), dlat, ylat, horizons):.4f}"))
    print("rows with p_h falling as h grows: " +
          "  ".join(f"lapse-{name} {bad(lapse_ph[name])}" for name, _, _ in lapse_models) +
          f"  sklearn {bad(sk_ph)}  statsmodels {bad(sm_ph)}")

if __name__ == "__main__":
    main()

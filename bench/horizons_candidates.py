#!/usr/bin/python3
"""Ways to close the hazard model's concordance gap (issue 15), measured on the
rows of bench/horizons.sh, each fitted here in scikit-learn on the same design
as lapse (the registry's log1p, standardisation on the training rows, L2 as
lapse's l2=1, C=1) and the same split (train on the snapshots before
2026-06-01, calibrate on 2026-06-01 with Platt, refit on all).

usage: horizons_candidates.py FIT LATER MODEL_JSON HAZARD_SCORES H,H,H

FIT, LATER, MODEL_JSON, HAZARD_SCORES: as for horizons_peers.py. The rows are
at risk as lapse's silence rule says (lapse/hazard.h): the churn day of a row
is min(horizon, silent_days + 1 - days since its last key event), so each row
is at risk in one band only. Candidates:
  hazard        lapse's fit: one weight vector, one intercept per band, one
                calibration (checked against HAZARD_SCORES' figures);
  band-slope    (a) the same plus a slope on the silence feature per band;
  band-at-risk  (b) one regression per band on the rows at risk in it,
                calibrated per band;
  band-start    (b) one regression per band on the rows still at risk at the
                band's start (the first band's is the separate 7-day
                regression), calibrated per band on its rows at risk;
  band-start-c  the same, calibrated on the held-out rows at the band's start;
  first-start   band-start for the first band only, hazard for the others;
  day-icpt      hazard with one intercept per churn day instead of per band;
  tilt-B        hazard with B x (silence, standardised, minus its first-band
                mean) added to the first band's decision: how much concordance
                a steeper silence order buys, and what it costs;
  gbdt-hazard   (c) the person-periods of hazard, the band index as one more
                feature, fitted by scikit-learn's HistGradientBoostingClassifier
                (200 rounds, learning rate 0.1, its defaults otherwise) instead
                of a logistic regression, one Platt calibration;
  sklearn       one regression per horizon (horizons_peers.py's peer).
Prints per candidate: AUC and ECE per horizon, C_td, C_td split by the band
of the earlier churner's day, rows where p_h falls as h grows."""
import json
import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from horizons_peers import concordance, ece, read_table


def lr(x, y):
    return LogisticRegression(C=1.0, max_iter=5000).fit(x, y)


def platt(f, y):
    m = LogisticRegression(C=1e6, max_iter=1000).fit(f.reshape(-1, 1), y)
    return lambda g: m.predict_proba(g.reshape(-1, 1))[:, 1]


def curve(hazard):
    return 1 - np.cumprod(1 - hazard, axis=1)


def main():
    fit_path, later_path, model_json, hazard_path, hz = sys.argv[1:6]
    H = [int(h) for h in hz.split(",")]
    K = len(H)
    fit, later = read_table(fit_path), read_table(later_path)
    fit = fit[fit["label"].notna()].reset_index(drop=True)
    later = later[later["label"].notna()].reset_index(drop=True)
    model = json.load(open(model_json))
    churn = model["churn"]
    names = [f["name"] for f in model["features"]]
    log1p = [f["name"] for f in model["features"] if f["transform"] == "log1p"]

    def design(df):
        x = df[names].astype(float).copy()
        x[log1p] = np.log1p(x[log1p])
        return x.to_numpy()

    xf, xl = design(fit), design(later)
    mu, sd = xf.mean(0), xf.std(0)
    keep = sd > 0
    xf, xl = (xf[:, keep] - mu[keep]) / sd[keep], (xl[:, keep] - mu[keep]) / sd[keep]
    silence = [n for n, k in zip(names, keep) if k].index("days_since_" + churn["key"])

    def churn_day(df):  # lapse_churn_days_to_churn; 0: silent past silent_days already
        day = churn["silent_days"] + 1 - df["days_since_" + churn["key"]].to_numpy().astype(float)
        return np.where(day >= 1, np.minimum(np.ceil(day), churn["horizon_days"]), 0).astype(int)

    def band_of(day):  # K: at risk in no band
        return np.where(day == 0, K, np.searchsorted(H, day))

    dayf, dayl = churn_day(fit), churn_day(later)
    bf, bl = band_of(dayf), band_of(dayl)
    dfit = fit["days_to_churn"].fillna(0).to_numpy()
    dlat = later["days_to_churn"].fillna(0).to_numpy()
    yf, yl = fit["label"].to_numpy(), later["label"].to_numpy()
    churned = ((yf == 1) & (dfit >= 1)).astype(int)  # in its band, the one it is at risk in
    valid = (fit["asof"] == fit["asof"].max()).to_numpy()
    train, every = ~valid, np.ones(len(yf), bool)
    at_risk = bf < K

    def with_bands(x, b, slopes):
        cols = [x] + [(b == k).astype(float)[:, None] for k in range(1, K)]
        cols += [(x[:, j] * (b == k))[:, None] for j in slopes for k in range(1, K)]
        return np.hstack(cols)

    def pooled(slopes=(), per_day=False, tilt=0.0):
        """One weight vector on the person-periods (one per row at risk),
        band (or day) intercepts, one Platt calibration."""
        grp_f = dayf - 1 if per_day else None
        grp_l = dayl - 1 if per_day else None

        def X(x, b, g):
            if g is None:
                return with_bands(x, b, slopes)
            cols = [x] + [(g == k).astype(float)[:, None] for k in range(1, churn["horizon_days"])]
            return np.hstack(cols)

        def sel(rows):
            return rows & at_risk

        def dec(m, x, b, g):
            f = m.decision_function(X(x, b, g))
            return f + tilt * (x[:, silence] - xf[bf == 0, silence].mean()) * (b == 0)

        r = sel(train)
        m = lr(X(xf[r], bf[r], None if grp_f is None else grp_f[r]), churned[r])
        v = sel(valid)
        cal = platt(dec(m, xf[v], bf[v], None if grp_f is None else grp_f[v]), churned[v])
        r = sel(every)
        m = lr(X(xf[r], bf[r], None if grp_f is None else grp_f[r]), churned[r])
        hazard = np.zeros((len(xl), K))
        for k in range(K):
            b = np.full(len(xl), k)
            hazard[:, k] = np.where(bl == k, cal(dec(m, xl, b, grp_l)), 0)
        return curve(hazard)

    def trees():
        def X(x, b):
            return np.hstack([x, b[:, None].astype(float)])

        def fit_on(rows):
            r = rows & at_risk
            return HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, random_state=0).fit(
                X(xf[r], bf[r]), churned[r])

        v = valid & at_risk
        cal = platt(fit_on(train).decision_function(X(xf[v], bf[v])), churned[v])
        m = fit_on(every)
        hazard = np.zeros((len(xl), K))
        for k in range(K):
            hazard[:, k] = np.where(bl == k, cal(m.decision_function(X(xl, np.full(len(xl), k)))), 0)
        return curve(hazard)

    def per_band(rows_of, calib_at_start=False, bands=K):
        hazard = np.zeros((len(xl), K))
        base = pooled() if bands < K else None
        for k in range(K):
            if k >= bands:  # the pooled model's hazard of this band
                hazard[:, k] = np.where(bl == k, base[:, k] - (base[:, k - 1] if k else 0), 0)
                continue
            lo = H[k - 1] if k else 0
            y = ((yf == 1) & (dfit > lo) & (dfit <= H[k])).astype(int)
            r = rows_of(k) & train
            m = lr(xf[r], y[r])
            v = rows_of(k) & valid if calib_at_start else (bf == k) & valid
            cal = platt(m.decision_function(xf[v]), y[v])
            r = rows_of(k)
            m = lr(xf[r], y[r])
            hazard[:, k] = np.where(bl == k, cal(m.decision_function(xl)), 0)
        return curve(hazard)

    in_band = lambda k: bf == k
    from_start = lambda k: (bf >= k) & at_risk

    def scored(path, col):
        s = pd.read_csv(path, comment="#", dtype={"user_id": str, "asof": str})
        s.index = s["user_id"] + "," + s["asof"]
        return s.loc[later["user_id"] + "," + later["asof"], col].to_numpy()

    t = np.where((yl == 1) & (dlat >= 1) & (dlat <= H[-1]), dlat, H[-1] + 1)

    def by_band(ph):
        out = []
        for k in range(K):
            lo = H[k - 1] if k else 0
            conc = pairs = 0.0
            for i in np.nonzero((t > lo) & (t <= H[k]))[0]:
                pj = ph[t > t[i], k]
                conc += (pj < ph[i, k]).sum() + 0.5 * (pj == ph[i, k]).sum()
                pairs += len(pj)
            out.append(f"{conc / pairs:.4f}")
        return " ".join(out)

    def report(name, ph):
        cells = []
        for k, h in enumerate(H):
            y = ((yl == 1) & (dlat >= 1) & (dlat <= h)).astype(int)
            cells.append(f"{roc_auc_score(y, ph[:, k]):.4f} {ece(ph[:, k], y):.4f}")
        bad = int((np.diff(ph, axis=1) < 0).any(axis=1).sum())
        print(f"{name:<14} {'  '.join(cells)}  {concordance(ph, dlat, yl, H):.4f}  {by_band(ph)}  {bad}",
              flush=True)

    print(f"rows {len(later)}; per horizon {', '.join(map(str, H))}: AUC ECE; then C_td, C_td by band "
          "of the earlier churner, rows with p_h falling")
    report("lapse", np.column_stack([scored(hazard_path, f"p_{h}") for h in H]))
    report("hazard", pooled())
    report("band-slope", pooled(slopes=(silence,)))
    report("band-at-risk", per_band(in_band))
    report("band-start", per_band(from_start))
    report("band-start-c", per_band(from_start, calib_at_start=True))
    report("first-start", per_band(from_start, bands=1))
    report("day-icpt", pooled(per_day=True))
    for beta in (2, 4, 8, 16):
        report(f"tilt-{beta}", pooled(tilt=beta))
    report("gbdt-hazard", trees())
    report("sklearn", np.column_stack([
        lr(xf, ((yf == 1) & (dfit >= 1) & (dfit <= h)).astype(int)).predict_proba(xl)[:, 1] for h in H]))


if __name__ == "__main__":
    main()

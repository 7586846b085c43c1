"""Peers for lapse on public churn data: scikit-learn LogisticRegression and XGBoost
fitted on the rows lapse fitted on, judged on the rows lapse was judged on.

Run with Debian's python (/usr/bin/python3: python3-sklearn, python3-xgboost).

    peers.py features TRAIN.csv TEST.csv SEED NAME=SCORED.csv=VAL_AUC...
        TRAIN.csv: the feature table lapse train read; as lapse train splits it,
        the latest labelled asof is the validation period and earlier rows fit.
        TEST.csv: a later snapshot of the same log, extracted separately, never
        seen by lapse train. Each NAME=SCORED.csv=VAL_AUC: a lapse model's score
        output for TEST.csv and the validation AUC lapse train reported for it.
    peers.py split TABLE.csv ID LABEL OUTDIR SEED
        A customer table (one row per customer): writes OUTDIR/train.csv and
        OUTDIR/test.csv, the table's own rows and header unchanged, a seeded 20%
        of rows held out (stratified by LABEL). Both lapse and the peers read them.
    peers.py table OUTDIR ID LABEL POSITIVE SEED [NAME=SCORED.csv=VAL_AUC...]
        Peers on OUTDIR/train.csv, judged on OUTDIR/test.csv, and lapse's scores
        for test.csv, joined by ID.

Prints a tab-separated table, one line per model: rows it fitted on, validation
rows, test rows, the test churn rate, the validation AUC (lapse's as it reported
it; a peer's on the same validation rows) and the test AUC. Every AUC comes with
its Hanley-McNeil (1982) standard error and, in parentheses where the scores are
at hand (not for the figure lapse reported, of which only the value is known),
its DeLong (1988) standard error. The peers' settings are fixed, not tuned:
LogisticRegression(C=1) on standardized columns; XGBoost with at most 2000
trees of depth 4, learning rate 0.05, subsample 0.8, stopped early (50 rounds)
on the validation rows (features: lapse's validation snapshot; tables: a seeded
20% of the training rows), as lapse calibrates and picks on those rows."""
import csv
import math
import sys

import numpy as np
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBClassifier

MAX_LEVELS = 50  # text columns with more levels (names, ids) are left out


def auc(y, p):
    """AUC-ROC as the Mann-Whitney statistic, ties counted half."""
    y = np.asarray(y)
    p = np.asarray(p, dtype=float)
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sp = p[order]
    i = 0
    while i < len(sp):
        j = i
        while j + 1 < len(sp) and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    npos = int((y == 1).sum())
    nneg = int((y == 0).sum())
    return (ranks[y == 1].sum() - npos * (npos + 1) / 2.0) / (npos * nneg)


def hanley_mcneil_se(a, npos, nneg):
    q1 = a / (2 - a)
    q2 = 2 * a * a / (1 + a)
    var = (a * (1 - a) + (npos - 1) * (q1 - a * a) + (nneg - 1) * (q2 - a * a)) / (npos * nneg)
    return math.sqrt(max(var, 0.0))


def delong_se(y, p):
    """DeLong et al. (1988) standard error of the AUC, from midranks (Sun & Xu 2014)."""
    y = np.asarray(y)
    p = np.asarray(p, dtype=float)
    pos, neg = p[y == 1], p[y == 0]
    n1, n0 = len(pos), len(neg)
    r_all = rankdata(np.concatenate([pos, neg]))
    v10 = (r_all[:n1] - rankdata(pos)) / n0
    v01 = 1.0 - (r_all[n1:] - rankdata(neg)) / n1
    return math.sqrt(v10.var(ddof=1) / n1 + v01.var(ddof=1) / n0)


def fmt(y, p=None, a=None):
    """AUC ± Hanley-McNeil SE (DeLong SE), of scores p or, for a figure lapse reported, of a."""
    y = np.asarray(y)
    if p is None and a is None:
        return "-"
    if p is not None:
        a = auc(y, p)
    hm = hanley_mcneil_se(a, int((y == 1).sum()), int((y == 0).sum()))
    return f"{a:.4f} ± {hm:.4f}" + (f" ({delong_se(y, p):.4f})" if p is not None else "")


def read_commented_csv(path):
    """Header and rows of a CSV whose '#' lines (lapse's meta lines) are skipped."""
    with open(path, newline="") as f:
        rows = [r for r in csv.reader(line for line in f if not line.startswith("#"))]
    return rows[0], rows[1:]


def read_features(path):
    header, rows = read_commented_csv(path)
    assert header[0] == "user_id" and header[1] == "asof" and "label" in header, path
    at = header.index("label")  # days_to_churn may follow it
    keys = [(r[0], r[1]) for r in rows]
    asof = np.array([r[1] for r in rows])
    label = np.array([int(r[at]) if r[at] != "" else -1 for r in rows])
    x = np.array([r[2:at] for r in rows], dtype=float)
    return keys, asof, label, x


def fit_peers(xfit, yfit, xval, yval, xtest, seed):
    lr = make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=5000))
    lr.fit(xfit, yfit)
    xgb = XGBClassifier(n_estimators=2000, max_depth=4, learning_rate=0.05, subsample=0.8,
                        colsample_bytree=0.8, eval_metric="logloss", early_stopping_rounds=50,
                        n_jobs=2, random_state=seed, tree_method="hist")
    xgb.fit(xfit, yfit, eval_set=[(xval, yval)], verbose=False)
    return (lr.predict_proba(xtest)[:, 1], lr.predict_proba(xval)[:, 1],
            xgb.predict_proba(xtest)[:, 1], xgb.predict_proba(xval)[:, 1], xgb.best_iteration + 1)


HEADER = "model\trows_fit\trows_val\trows_test\ttest_churn\tval_auc\ttest_auc"


def report(nfit, yval, ytest, lapse, lr_t, lr_v, xgb_t, xgb_v, trees):
    """One line per model. lapse: (name, test probabilities, the validation AUC it reported).
    A peer's val_auc is its AUC on the validation rows (for XGBoost, those it stopped on)."""
    print(HEADER)
    common = [str(nfit), str(len(yval)), str(len(ytest)), f"{ytest.mean():.4f}"]
    for name, p, val_auc in lapse:
        print("\t".join([name] + common + [fmt(yval, a=val_auc), fmt(ytest, p)]))
    print("\t".join(["sklearn-lr"] + common + [fmt(yval, lr_v), fmt(ytest, lr_t)]))
    print("\t".join([f"xgboost({trees} trees)"] + common + [fmt(yval, xgb_v), fmt(ytest, xgb_t)]))


def lapse_runs(specs, key_of_row, keys, labels):
    """specs: NAME=SCORED.csv=VAL_AUC; p_churn of lapse score's output in the order of keys."""
    runs = []
    for spec in specs:
        name, path, val_auc = spec.split("=")
        header, rows = read_commented_csv(path)
        pi = header.index("p_churn")
        scored = {key_of_row(header, r): (float(r[pi]), r) for r in rows}
        assert len(scored) == len(rows), "repeated key in " + path
        if labels is not None:
            li = header.index("label")
            assert all(scored[k][1][li] == str(y) for k, y in zip(keys, labels)), \
                "labels differ from the test table's in " + path
        runs.append((name, np.array([scored[k][0] for k in keys]), float(val_auc) if val_auc else None))
    return runs


def cmd_features(train_path, test_path, seed, specs):
    _, asof, label, x = read_features(train_path)
    labelled = label >= 0
    valid_asof = max(asof[labelled])
    fit = labelled & (asof < valid_asof)
    val = labelled & (asof == valid_asof)
    tkeys, _, tlabel, tx = read_features(test_path)
    tl = tlabel >= 0
    tkeys = [k for k, keep in zip(tkeys, tl) if keep]
    tx, ty = tx[tl], tlabel[tl]
    runs = lapse_runs(specs, lambda h, r: (r[0], r[1]), tkeys, ty)
    out = fit_peers(x[fit], label[fit], x[val], label[val], tx, seed)
    report(int(fit.sum()), label[val], ty, runs, *out)


def cmd_split(table, id_col, label_col, outdir, seed):
    with open(table, newline="", encoding="utf-8-sig") as f:
        r = csv.reader(f)
        header = next(r)
        rows = list(r)
    li = header.index(label_col)
    assert header.index(id_col) >= 0
    rng = np.random.default_rng(seed)
    test = np.zeros(len(rows), dtype=bool)
    for level in sorted({row[li] for row in rows}):
        idx = np.array([i for i, row in enumerate(rows) if row[li] == level])
        rng.shuffle(idx)
        test[idx[:int(round(0.2 * len(idx)))]] = True
    for name, keep in (("train.csv", ~test), ("test.csv", test)):
        with open(f"{outdir}/{name}", "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(row for row, k in zip(rows, keep) if k)


def design(header, rows, id_col, label_col, levels=None):
    """Numeric columns as numbers (blank: the training mean), text columns with at
    most MAX_LEVELS levels one-hot (levels from the training rows), the rest left out."""
    cols = [c for c in header if c not in (id_col, label_col)]
    if levels is None:
        levels = {}
        for c in cols:
            vals = [row[header.index(c)].strip() for row in rows]
            try:
                num = [float(v) for v in vals if v != ""]
                levels[c] = ("num", float(np.mean(num)))
            except ValueError:
                lv = sorted(set(vals))
                levels[c] = ("cat", lv) if len(lv) <= MAX_LEVELS else ("drop", None)
    out = []
    for c in cols:
        kind, info = levels[c]
        vals = [row[header.index(c)].strip() for row in rows]
        if kind == "num":
            out.append(np.array([float(v) if v != "" else info for v in vals]))
        elif kind == "cat":
            for lv in info:
                out.append(np.array([1.0 if v == lv else 0.0 for v in vals]))
    return np.column_stack(out), levels


def cmd_table(outdir, id_col, label_col, positive, seed, specs):
    def load(name):
        with open(f"{outdir}/{name}", newline="") as f:
            r = csv.reader(f)
            header = next(r)
            return header, list(r)
    header, train = load("train.csv")
    _, test = load("test.csv")
    li, ii = header.index(label_col), header.index(id_col)
    y = np.array([1 if r[li] == positive else 0 for r in train])
    ty = np.array([1 if r[li] == positive else 0 for r in test])
    x, levels = design(header, train, id_col, label_col)
    tx, _ = design(header, test, id_col, label_col, levels)
    rng = np.random.default_rng(seed + 1)
    val = np.zeros(len(train), dtype=bool)
    val[rng.permutation(len(train))[:len(train) // 5]] = True
    # lapse score names the id column user_id, or keeps the table's name for it
    runs = lapse_runs(specs, lambda h, r: r[h.index(id_col) if id_col in h else h.index("user_id")],
                      [r[ii] for r in test], None)
    out = fit_peers(x[~val], y[~val], x[val], y[val], tx, seed)
    dropped = [c for c, (k, _) in levels.items() if k == "drop"]
    print(f"# peers: {x.shape[1]} columns after one-hot; left out: {', '.join(dropped) or 'none'}")
    report(int((~val).sum()), y[val], ty, runs, *out)


def main(argv):
    if len(argv) > 5 and argv[1] == "features":
        cmd_features(argv[2], argv[3], int(argv[4]), argv[5:])
    elif len(argv) == 7 and argv[1] == "split":
        cmd_split(argv[2], argv[3], argv[4], argv[5], int(argv[6]))
    elif len(argv) >= 7 and argv[1] == "table":
        cmd_table(argv[2], argv[3], argv[4], argv[5], int(argv[6]), argv[7:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)

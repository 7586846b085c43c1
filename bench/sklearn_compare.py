"""lapse against scikit-learn (and libsvm's svm-train -b 1) on the same rows.

    sklearn_compare.py sklearn FEATURES PEERDIR C GAMMA L2 LAPSE_LOGISTIC.csv LAPSE_SVM.csv
    sklearn_compare.py libsvm-files FEATURES PEERDIR OUTDIR
    sklearn_compare.py eval VALID_LABELS.txt NAME=PROBS.txt...

Rows as lapse train splits them: labelled rows of FEATURES, the latest asof
validates, earlier ones train, in file order. The transform per feature comes
from PEERDIR/scaler.csv (bench/peer_dump.c, the model's scaler); the means and
scales are recomputed here on the training rows (population sd, 0 -> 1) and
checked against the model's. The SVM trains on PEERDIR/subsample.txt, the
rows lapse_svm_subsample picks for the model's --max-train and --seed.

sklearn: fits LogisticRegression(C = 1 / L2) on every training row and
SVC(rbf, C, GAMMA, class_weight='balanced') on the subsample, Platt-calibrated
on the validation rows (CalibratedClassifierCV(cv='prefit', method='sigmoid'),
as lapse calibrates on the validation period), and prints AUC and ECE of each
next to lapse's (LAPSE_*.csv: lapse score output for FEATURES), on the same
validation rows, with the fit times.

libsvm-files: writes OUTDIR/train.libsvm (the subsample, scaled),
OUTDIR/valid.libsvm (validation rows, scaled), OUTDIR/valid_labels.txt and
OUTDIR/weights.txt ("w0 w1", balanced as lapse weighs the subsample).

eval: AUC and ECE of each probability file (one p per line) against the labels."""
import csv
import sys
import time

import numpy as np


def read_table(path):
    """(asof, label or -1, raw feature matrix, feature names, user ids)."""
    with open(path) as f:
        first = f.readline()
        if not first.startswith("#"):
            f.seek(0)
        r = csv.reader(f)
        header = next(r)
        at = header.index("label")  # days_to_churn may follow it
        names = header[2:at]
        users, asof, label, rows = [], [], [], []
        for row in r:
            users.append(row[0])
            asof.append(row[1])
            label.append(int(row[at]) if row[at] != "" else -1)
            rows.append(row[2:at])
    return np.array(asof), np.array(label), np.array(rows, dtype=float), names, users


def split(path, peer):
    asof, label, raw, names, users = read_table(path)
    labelled = label >= 0
    valid_asof = max(asof[labelled])
    train = labelled & (asof != valid_asof)
    valid = labelled & (asof == valid_asof)
    with open(f"{peer}/scaler.csv") as f:
        scaler = list(csv.DictReader(f))
    assert [s["name"] for s in scaler] == names, "feature names differ from the model's"
    log1p = np.array([s["transform"] == "log1p" for s in scaler])
    t = raw.copy()
    t[:, log1p] = np.log1p(t[:, log1p])
    mean = t[train].mean(axis=0)
    sd = t[train].std(axis=0)
    sd[~(sd > 0)] = 1.0
    model_mean = np.array([float(s["mean"]) for s in scaler])
    model_sd = np.array([float(s["scale"]) for s in scaler])
    dm = np.max(np.abs(mean - model_mean) / (1 + np.abs(model_mean)))
    ds = np.max(np.abs(sd - model_sd) / model_sd)
    assert dm < 1e-9 and ds < 1e-9, f"scaler differs from the model's: {dm:.3g}, {ds:.3g}"
    x = (t - mean) / sd
    sub = np.loadtxt(f"{peer}/subsample.txt", dtype=np.int64, ndmin=1)
    xt, yt = x[train], label[train]
    print(f"rows: {train.sum()} training ({yt.mean():.2%} churn), {valid.sum()} validation at "
          f"{valid_asof}; {len(names)} features, {log1p.sum()} log1p; scaler matches the model's "
          f"(max rel diff mean {dm:.1g}, sd {ds:.1g}); SVM subsample {len(sub)} rows "
          f"({yt[sub].mean():.2%} churn)")
    vusers = [u for u, v in zip(users, valid) if v]
    return xt, yt, x[valid], label[valid], sub, vusers, valid_asof


def ece(p, y, bins=10):
    """Expected calibration error, 10 equal-width bins (as lapse eval)."""
    b = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for k in range(bins):
        m = b == k
        if m.any():
            total += abs(p[m].mean() - y[m].mean()) * m.sum()
    return total / len(p)


def lapse_probs(path, vusers, valid_asof):
    p = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["asof"] == valid_asof and r["label"] != "":
                p[r["user_id"]] = float(r["p_churn"])
    return np.array([p[u] for u in vusers])


def cmd_sklearn(features, peer, C, gamma, l2, lapse_lr, lapse_svm):
    from sklearn import __version__ as skv
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.svm import SVC

    xt, yt, xv, yv, sub, vusers, valid_asof = split(features, peer)
    print(f"scikit-learn {skv}, numpy {np.__version__}")
    res = []

    t0 = time.perf_counter()
    lr = LogisticRegression(C=1.0 / l2, solver="lbfgs", tol=1e-8, max_iter=10000).fit(xt, yt)
    t_lr = time.perf_counter() - t0
    p_lr = lr.predict_proba(xv)[:, 1]
    res.append(("logistic", "sklearn LogisticRegression(C=%g, lbfgs)" % (1.0 / l2), p_lr, t_lr,
                f"{lr.n_iter_[0]} iterations; uncalibrated"))
    p_lrc = CalibratedClassifierCV(lr, cv="prefit", method="sigmoid").fit(xv, yv).predict_proba(xv)[:, 1]
    res.append(("logistic", "  same + Platt on validation", p_lrc, None, ""))
    with open(f"{peer}/weights.csv") as f:
        w = np.array([float(r["weight"]) for r in csv.DictReader(f)])

    def objective(wb):
        z = xt @ wb[:-1] + wb[-1]
        return np.sum(np.logaddexp(0, z) - yt * z) + 0.5 * l2 * wb[:-1] @ wb[:-1]

    wsk = np.append(lr.coef_[0], lr.intercept_[0])
    print(f"logistic weights: max |w lapse - w sklearn| {np.max(np.abs(wsk - w)):.2g} (bias "
          f"included; largest |w| {np.max(np.abs(w)):.3g}); objective sum log loss + l2/2 |w|^2: "
          f"lapse {objective(w):.6f}, sklearn {objective(wsk):.6f}")
    res.append(("logistic", "lapse train --model logistic", lapse_probs(lapse_lr, vusers, valid_asof),
                None, "Newton"))

    t0 = time.perf_counter()
    svc = SVC(C=C, kernel="rbf", gamma=gamma, class_weight="balanced", tol=1e-3,
              cache_size=200, shrinking=True).fit(xt[sub], yt[sub])
    t_svc = time.perf_counter() - t0
    t0 = time.perf_counter()
    cal = CalibratedClassifierCV(svc, cv="prefit", method="sigmoid").fit(xv, yv)
    t_cal = time.perf_counter() - t0
    p_svc = cal.predict_proba(xv)[:, 1]
    res.append(("svm", f"sklearn SVC(rbf, C={C:g}, gamma={gamma:.6g}, balanced) + Platt on "
                "validation", p_svc, t_svc,
                f"{svc.n_support_.sum()} SVs, rho {-svc.intercept_[0]:.6f}; calibration "
                f"{t_cal:.1f} s"))
    res.append(("svm", "lapse train --model svm", lapse_probs(lapse_svm, vusers, valid_asof), None,
                ""))

    print(f"\nvalidation {valid_asof}: {len(yv)} rows, {yv.mean():.2%} churn")
    print(f"{'model':<70} {'AUC':>7} {'ECE':>7} {'fit s':>7}  notes")
    for kind, name, p, t, note in res:
        print(f"{name:<70} {roc_auc_score(yv, p):7.4f} {ece(p, yv):7.4f} "
              f"{'' if t is None else f'{t:7.1f}':>7}  {note}")
    for kind in ("logistic", "svm"):
        sk, la = [r[2] for r in res if r[0] == kind][-2:]
        d = roc_auc_score(yv, la) - roc_auc_score(yv, sk)
        print(f"{kind}: lapse AUC - sklearn AUC = {d:+.4f} "
              f"({'within 0.005' if d >= -0.005 else 'MORE than 0.005 below'})")
    # Calibrated sklearn against lapse (which always calibrates).
    for kind in ("logistic", "svm"):
        sk, la = [r[2] for r in res if r[0] == kind][-2:]
        print(f"{kind}: max |p lapse - p sklearn| {np.max(np.abs(sk - la)):.2g}, "
              f"correlation {np.corrcoef(sk, la)[0, 1]:.6f}")


def write_libsvm(path, x, y):
    with open(path, "w") as f:
        for row, label in zip(x, y):
            nz = np.nonzero(row)[0]
            f.write(str(int(label)) + "".join(f" {j + 1}:{row[j]:.17g}" for j in nz) + "\n")


def cmd_libsvm_files(features, peer, out):
    xt, yt, xv, yv, sub, _, _ = split(features, peer)
    write_libsvm(f"{out}/train.libsvm", xt[sub], yt[sub])
    write_libsvm(f"{out}/valid.libsvm", xv, yv)
    np.savetxt(f"{out}/valid_labels.txt", yv, fmt="%d")
    n, n1 = len(sub), int(yt[sub].sum())
    with open(f"{out}/weights.txt", "w") as f:
        f.write(f"{n / (2 * (n - n1)):.17g} {n / (2 * n1):.17g}\n")


def cmd_eval(labels, pairs):
    from sklearn.metrics import roc_auc_score
    y = np.loadtxt(labels, dtype=int)
    for pair in pairs:
        name, path = pair.split("=", 1)
        p = np.loadtxt(path)
        print(f"{name:<40} AUC {roc_auc_score(y, p):.4f}  ECE {ece(p, y):.4f}  ({len(y)} rows)")


def main():
    cmd = sys.argv[1]
    if cmd == "sklearn":
        f, peer, C, gamma, l2, lr, svm = sys.argv[2:9]
        cmd_sklearn(f, peer, float(C), float(gamma), float(l2), lr, svm)
    elif cmd == "libsvm-files":
        cmd_libsvm_files(*sys.argv[2:5])
    elif cmd == "eval":
        cmd_eval(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)


main()
